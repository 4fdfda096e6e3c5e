"""Index directories behind an atomically switched pointer.

WHOOSH_INDEX_DIR holds one directory per built index (a name that never repeats) and a file
CURRENT naming the live one. A rebuild fills a new directory, then replaces CURRENT in one
rename; every process sees the new name on its next check (at most CHECK_SECONDS later) and
never mistakes a rebuilt index for the one it had, as a restarting generation number could.
"""

import fcntl
import hashlib
import os
import secrets
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from whoosh import index
from whoosh.writing import LockError

from decisions.search.backends.whoosh.schema import build_schema

POINTER = "CURRENT"
CHECK_SECONDS = 0.5
WRITER_LOCK_WAIT_SECONDS = 120


def root():
    return Path(settings.WHOOSH_INDEX_DIR)


@contextmanager
def _root_lock(directory):
    """Serialises creating and switching index directories between processes."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".switch.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_pointer(directory):
    try:
        return (directory / POINTER).read_text().strip() or None
    except FileNotFoundError:
        return None


SCHEMA_FILE = "SCHEMA"


def schema_fingerprint():
    """Names and types of this version's fields: an index built with others needs a rebuild."""
    schema = build_schema()
    described = ",".join(f"{name}:{type(schema[name]).__name__}" for name in sorted(schema.names()))
    return hashlib.sha256(described.encode()).hexdigest()[:16]


def new_index(directory):
    """An empty index in a fresh directory under the root: (name, whoosh index)."""
    name = f"{time.time_ns():x}-{secrets.token_hex(4)}"
    path = directory / name
    path.mkdir(parents=True)
    (path / SCHEMA_FILE).write_text(schema_fingerprint())
    return name, index.create_in(str(path), build_schema())


def is_outdated(directory, name):
    try:
        return (directory / name / SCHEMA_FILE).read_text().strip() != schema_fingerprint()
    except FileNotFoundError:
        return True


def switch_to(directory, name):
    """Make `name` the live index, then delete all but it and the one before it (whose readers may
    still be finishing a search)."""
    with _root_lock(directory):
        previous = _read_pointer(directory)
        temporary = directory / f".{POINTER}.{secrets.token_hex(4)}"
        temporary.write_text(name)
        os.replace(temporary, directory / POINTER)
        for path in directory.iterdir():
            if path.is_dir() and path.name not in {name, previous}:
                shutil.rmtree(path, ignore_errors=True)


class Store:
    """This process's handle on the live index under one root."""

    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        self.name = None
        self.index = None
        self.checked = 0.0

    def live(self, force=False):
        """(name, whoosh index) of the live index, created empty on first use."""
        with self.lock:
            now = time.monotonic()
            if self.index is None or force or now - self.checked >= CHECK_SECONDS:
                self.checked = now
                name = _read_pointer(self.directory)
                if name is None:
                    with _root_lock(self.directory):
                        name = _read_pointer(self.directory)
                        if name is None:
                            name, _ = new_index(self.directory)
                            (self.directory / POINTER).write_text(name)
                if name != self.name:
                    self.name, self.index = name, index.open_dir(str(self.directory / name))
            return self.name, self.index

    def writer(self, **options):
        """A writer on the live index that waits for another process's write instead of failing."""
        _, ix = self.live(force=True)
        try:
            return ix.writer(timeout=WRITER_LOCK_WAIT_SECONDS, **options)
        except LockError:
            raise LockError(
                f"the search index under {self.directory} stayed locked for {WRITER_LOCK_WAIT_SECONDS}s"
            ) from None

    def expire(self):
        """Look at the pointer and the index on the next search (after a write in this process)."""
        with self.lock:
            self.checked = 0.0


_stores = {}
_stores_lock = threading.Lock()


def store():
    directory = root()
    with _stores_lock:
        if directory not in _stores:
            _stores[directory] = Store(directory)
        return _stores[directory]


def forget():
    with _stores_lock:
        _stores.clear()
