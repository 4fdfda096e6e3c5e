"""Run one untrusted-input function in a forked child with a time and a memory limit.

A 17 KB PDF of scattered text objects kept pdfminer busy for minutes, and a 2 KB PDF of nested
form XObjects grew a process to gigabytes. The child takes the blow: past its address-space
limit its allocations fail, past its time it is killed, and the caller gets a sentence.
os.fork (not multiprocessing) so it also works inside the import's pool workers.
"""

import os
import pickle
import resource
import select
import signal
import time

from decisions.parsing.records import ParseError


class LimitExceeded(ParseError):
    """The input needed more time or memory than a letter ever does."""


def _address_space():
    """Bytes of address space this process holds already (the fork inherits the parent's, mapped
    index files included), so the limit bounds what reading adds."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(function, args, memory_bytes, write_end):
    try:
        limit = _address_space() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            outcome = ("ok", function(*args))
        except MemoryError:
            outcome = ("memory", None)
        except ParseError as error:
            outcome = ("error", str(error))
        except Exception as error:  # noqa: BLE001 - reported to the parent as a sentence
            outcome = ("error", f"{type(error).__name__}: {str(error)[:200]}")
        payload = pickle.dumps(outcome)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
    finally:
        os._exit(0)


def _read_all(read_end, deadline):
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([read_end], [], [], remaining)
        if not ready:
            return None
        chunk = os.read(read_end, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def run_limited(function, args, seconds, memory_bytes, what="the file"):
    """function(*args) computed in a child process; LimitExceeded or ParseError with a sentence."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child(function, args, memory_bytes, write_end)
    os.close(write_end)
    try:
        payload = _read_all(read_end, time.monotonic() + seconds)
    finally:
        os.close(read_end)
    if payload is None:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    if payload is None:
        raise LimitExceeded(
            f"reading {what} took longer than {seconds:g} seconds and was stopped "
            f"(no letter needs that long; the file may be malformed or hostile)"
        )
    status, value = pickle.loads(payload) if payload else ("memory", None)  # a child killed while allocating
    if status == "memory":
        raise LimitExceeded(
            f"reading {what} needed more than {memory_bytes // 2**20} MB of memory and was stopped "
            f"(the file may be malformed or hostile)"
        )
    if status == "error":
        raise ParseError(value)
    return value
