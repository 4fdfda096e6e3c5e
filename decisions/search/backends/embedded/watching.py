"""News, before a search reads them, that files of the mapped segments changed.

A process that reads a memory-mapped file past the point it was cut back to is killed (SIGBUS),
and one reading a file written over in place reads what was written. Segment files never change
once written, so any change is damage: the kernel (Linux inotify) queues an event the moment a
file in a watched segment folder is written, cut, deleted or replaced, and each search reads that
queue, one system call, before it reads the index. Where inotify cannot watch (another system, no
watches left), every segment's files are looked at again every SWEEP_SECONDS instead.
"""

import contextlib
import logging
import os
import threading
import time

from decisions.search.backends.embedded.segments import DELETED

logger = logging.getLogger(__name__)

try:
    from inotify_simple import INotify
    from inotify_simple import flags as inotify_flags
except ImportError:  # pragma: no cover - every Linux has it; the sweep does the work elsewhere
    INotify = None

SWEEP_SECONDS = 5.0  # without inotify
SAFETY_SWEEP_SECONDS = 60.0  # with it: an event lost to a full queue is found within a minute
EVERYTHING = object()  # what changed when the events cannot say (a full queue, no inotify)


def _mask():
    if INotify is None:
        return 0
    f = inotify_flags
    return (
        f.MODIFY
        | f.ATTRIB
        | f.MOVED_FROM
        | f.MOVED_TO
        | f.DELETE
        | f.DELETE_SELF
        | f.MOVE_SELF
        | f.CLOSE_WRITE
    )


class Watch:
    """The segment folders one process maps, and which of them saw a change since it last asked."""

    def __init__(self):
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.folders = {}  # folder -> watch descriptor
        self.by_descriptor = {}
        self.swept = time.monotonic()
        self.inotify = None
        if INotify is not None:
            try:
                self.inotify = INotify(nonblocking=True)
            except OSError as error:
                logger.warning("inotify is unavailable (%s); segment files are swept instead", error)

    def follow(self, folders):
        """Watch exactly these folders (those of the segments the live view maps)."""
        with self.lock:
            wanted = set(folders)
            for folder in set(self.folders) - wanted:
                descriptor = self.folders.pop(folder)
                self.by_descriptor.pop(descriptor, None)
                self._stop(descriptor)
            for folder in wanted - set(self.folders):
                descriptor = self._start(folder)
                self.folders[folder] = descriptor
                if descriptor is not None:
                    self.by_descriptor[descriptor] = folder

    def _start(self, folder):
        if self.inotify is None:
            return None
        try:
            return self.inotify.add_watch(folder, _mask())
        except OSError as error:  # no watches left, or the folder is gone (the sweep finds which)
            logger.warning("cannot watch %s (%s); swept instead", folder, error)
            return None

    def _stop(self, descriptor):
        if self.inotify is not None and descriptor is not None:
            with contextlib.suppress(OSError):  # a deleted folder's watch the kernel dropped already
                self.inotify.rm_watch(descriptor)

    def changed(self):
        """Folders whose files may have changed since the last call: a set, or EVERYTHING."""
        with self.lock:
            now = time.monotonic()
            unwatched = self.inotify is None or None in self.folders.values()
            if now - self.swept >= (SWEEP_SECONDS if unwatched else SAFETY_SWEEP_SECONDS):
                self.swept = now
                self._drain()
                return EVERYTHING
            return self._drain()

    def _drain(self):
        if self.inotify is None:
            return set()
        changed = set()
        for event in self.inotify.read(timeout=0):
            if event.mask & inotify_flags.Q_OVERFLOW:
                return EVERYTHING
            if event.name.startswith((DELETED, ".")):  # a new deletion file, or a temporary one
                continue
            folder = self.by_descriptor.get(event.wd)
            if folder is not None:
                changed.add(folder)
        return changed


_watch = None
_watch_lock = threading.Lock()


def watch():
    """This process's Watch (a new one in a forked child: an inherited queue would be shared)."""
    global _watch
    with _watch_lock:
        if _watch is None or _watch.pid != os.getpid():
            _watch = Watch()
        return _watch
