"""A least-recently-used cache bounded by bytes, shared by every index view of a process.

Postings and columns are cached per segment: segments never change once written, so after an
import adds a segment only that segment is read, and what the old segments cached stays warm.
"""

import sys
import threading
from collections import OrderedDict


def size_of(value):
    """Bytes a cached value holds: NumPy arrays, Python ints (bitsets), and tuples or lists of them."""
    if hasattr(value, "nbytes"):
        return int(value.nbytes) + 112
    if isinstance(value, (tuple, list)):
        return sum(size_of(part) for part in value) + 56
    if isinstance(value, dict):
        return sum(size_of(part) for part in value.values()) + 64 * len(value) + 64
    return sys.getsizeof(value)


class BoundedCache:
    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, build):
        """The cached value for key, else build() cached (unless it alone is larger than the bound)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry[0]
        value = build()
        size = size_of(value)
        with self._lock:
            if size <= self.max_bytes and key not in self._entries:
                self._entries[key] = (value, size)
                self.bytes += size
                while self.bytes > self.max_bytes:
                    _, (_, evicted) = self._entries.popitem(last=False)
                    self.bytes -= evicted
        return value

    def drop(self, predicate):
        """Forget every entry whose key matches (a view that was replaced)."""
        with self._lock:
            for key in [key for key in self._entries if predicate(key)]:
                self.bytes -= self._entries.pop(key)[1]

    def __len__(self):
        return len(self._entries)
