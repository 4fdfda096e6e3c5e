"""Worker processes (parsing an import, building index segments) that never outlive their parent."""

import contextlib
import ctypes
import gc
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
    with _forked_pool(workers) as pool:
        yield from pool.imap(function, items, chunksize=chunksize)


def _forked_pool(size):
    connections.close_all()  # forked processes must not share the parent's database connection
    return multiprocessing.get_context("fork").Pool(size, initializer=ends_with_parent)


class OneBehind:
    """Calls of `function` run in order in one forked process while the caller goes on, at most one
    call behind it: each call waits for the one before, so a failure surfaces (raised here) one call
    late, and the work is never more than one call behind. With `forked` false, calls run here."""

    def __init__(self, function, forked):
        self.function, self.forked = function, forked
        self.pool = self.running = None

    def __enter__(self):
        if self.forked:
            self.pool = _forked_pool(1)
        return self

    def __call__(self, *arguments):
        if not self.forked:
            self.function(*arguments)
            return
        self.wait()
        self.running = self.pool.apply_async(self.function, arguments)

    def wait(self):
        running, self.running = self.running, None
        if running is not None:
            running.get()

    def __exit__(self, kind, error, traceback):
        if self.pool is None:
            return
        try:
            if kind is None:
                self.wait()
        finally:
            self.pool.terminate()
            self.pool.join()


def ends_with_parent():
    """A pool process's initializer: SIGTERM ends it (the pool's terminate), Ctrl-C is the parent's to
    handle, and on Linux the kernel kills it when the parent dies (kill -9 of the worker left its
    pool waiting forever). What it inherited is frozen out of garbage collection: the collector
    would otherwise walk the whole inherited Django process again and again while it parses or
    indexes."""
    gc.freeze()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the pool's terminate still ends it
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
