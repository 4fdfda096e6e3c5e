"""Worker processes (parsing an import, building index segments) that never outlive their parent."""

import contextlib
import ctypes
import signal

PR_SET_PDEATHSIG = 1  # prctl(2)


def ends_with_parent():
    """A pool process's initializer: SIGTERM ends it (the pool's terminate), Ctrl-C is the parent's to
    handle, and on Linux the kernel kills it when the parent dies (kill -9 of the worker left its
    pool waiting forever)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the pool's terminate still ends it
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
