"""Worker processes (parsing an import, building index segments) that never outlive their parent."""

import contextlib
import ctypes
import multiprocessing
import signal

from django.db import connections

PR_SET_PDEATHSIG = 1  # prctl(2)


def mapped(function, items, workers, chunksize=1):
    """function(item) for each item, in order: here when workers <= 1, else in that many forked
    processes, consumed as they come (the caller's work overlaps theirs)."""
    if workers <= 1:
        yield from map(function, items)
        return
    connections.close_all()  # forked processes must not share the parent's database connection
    with multiprocessing.get_context("fork").Pool(workers, initializer=ends_with_parent) as pool:
        yield from pool.imap(function, items, chunksize=chunksize)


def ends_with_parent():
    """A pool process's initializer: SIGTERM ends it (the pool's terminate), Ctrl-C is the parent's to
    handle, and on Linux the kernel kills it when the parent dies (kill -9 of the worker left its
    pool waiting forever)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the pool's terminate still ends it
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
