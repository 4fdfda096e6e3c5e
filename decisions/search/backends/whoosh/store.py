"""Index directories behind an atomically switched pointer, each a manifest of segments.

WHOOSH_INDEX_DIR holds one directory per built index (a name that never repeats) and a file
CURRENT naming the live one: a rebuild fills a new directory, then replaces CURRENT in one
rename. Inside an index directory MANIFEST.json lists the segments (segments.py) and each one's
deleted documents. Every write (add letters, delete them, merge) runs under the directory's
write lock, writes its new files first and replaces the manifest last, in one rename: a reader
sees the index before the write or after it, never half of it, in every process.

Merging keeps the number of segments small as the archive grows: MERGE_FACTOR segments of one
size tier become one segment of the next (as many as fit in LARGEST_MERGE documents), so each
document is rewritten a few times in its life, no write ever costs more than one bounded merge,
and a million letters (2.6 million items) imported in batches make about twenty segments. A
rebuild writes segments of LARGEST_MERGE documents straight away: seven for a million letters.
"""

import fcntl
import json
import math
import os
import secrets
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy
from django.conf import settings

from decisions.search.backends.whoosh import merging, segments

POINTER = "CURRENT"
MANIFEST = "MANIFEST.json"
FORMAT_FILE = "FORMAT"
INCOMING = "incoming"  # segments built elsewhere (a rebuild's processes) wait here to be adopted
CHECK_SECONDS = 0.5
WRITER_LOCK_WAIT_SECONDS = 120
MERGE_FACTOR = 8
SMALLEST_TIER = 2048  # documents; segments below this are all one tier
LARGEST_MERGE = 400_000  # documents one merge may write (bounds a write's time and memory)


class LockError(RuntimeError):
    pass


def root():
    return Path(settings.WHOOSH_INDEX_DIR)


def unique_name():
    return f"{time.time_ns():x}-{secrets.token_hex(4)}"


@contextmanager
def _locked(path, wait_seconds=None):
    """An exclusive lock on a file, shared by every process; waits at most wait_seconds when given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        deadline = time.monotonic() + (wait_seconds or 0)
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (fcntl.LOCK_NB if wait_seconds else 0))
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockError(
                        f"the search index under {path.parent} stayed locked for {wait_seconds}s"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_pointer(directory):
    try:
        return (directory / POINTER).read_text().strip() or None
    except FileNotFoundError:
        return None


def _write_atomically(path, text):
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    temporary.write_text(text)
    os.replace(temporary, path)


def read_manifest(path):
    return json.loads((path / MANIFEST).read_text())


def new_index(directory):
    """An empty index in a fresh directory under the root; returns its name."""
    name = unique_name()
    path = directory / name
    (path / "segments").mkdir(parents=True)
    (path / FORMAT_FILE).write_text(segments.fingerprint())
    _write_atomically(path / MANIFEST, json.dumps({"generation": 0, "segments": []}))
    return name


def is_outdated(directory, name):
    try:
        return (directory / name / FORMAT_FILE).read_text().strip() != segments.fingerprint()
    except FileNotFoundError:
        return True


def switch_to(directory, name):
    """Make `name` the live index, then delete all but it and the one before it (whose readers may
    still be finishing a search)."""
    with _locked(directory / ".switch.lock"):
        previous = _read_pointer(directory)
        _write_atomically(directory / POINTER, name)
        for path in directory.iterdir():
            if path.is_dir() and path.name not in {name, previous}:
                shutil.rmtree(path, ignore_errors=True)


class Writer:
    """One write to an index directory, made under its lock and published by `commit`."""

    def __init__(self, path):
        self.path = path
        self.before = read_manifest(path)
        self.entries = [dict(entry) for entry in self.before["segments"]]

    def segment(self, entry):
        return segments.Segment(self.path / "segments" / entry["name"])

    def deleted(self, entry):
        if not entry.get("deleted"):
            return numpy.zeros(0, dtype=numpy.int64)
        return numpy.load(self.path / "segments" / entry["name"] / entry["deleted"])

    def add(self, builder):
        if builder.count:
            name = unique_name()
            builder.write(self.path / "segments" / name)
            self.entries.append({"name": name, "docs": builder.count, "deleted": None, "dead": 0})

    def adopt(self, built, docs):
        """Take in the segments written at `built` (under INCOMING) by other processes, holding `docs`
        documents in all, as one segment: merged when there are several."""
        name = unique_name()
        if len(built) == 1:
            os.replace(built[0], self.path / "segments" / name)
        else:
            merging.merge([segments.Segment(path) for path in built], {}, self.path / "segments" / name)
            for path in built:
                shutil.rmtree(path, ignore_errors=True)
        self.entries.append({"name": name, "docs": docs, "deleted": None, "dead": 0})

    def delete_where(self, column, values):
        """Delete every live document whose column (item_id or determination_id) holds one of the values."""
        values = numpy.asarray(sorted(values), dtype=numpy.int64)
        if not len(values):
            return
        for entry in self.entries:
            folder = self.path / "segments" / entry["name"]
            span = segments.read_meta(folder)["ranges"][column]
            if span is None or not _any_between(values, *span):
                continue
            hits = numpy.flatnonzero(numpy.isin(segments.load_array(folder, column), values))
            already = self.deleted(entry)
            fresh = numpy.setdiff1d(hits, already)
            if len(fresh):
                self._set_deleted(entry, numpy.union1d(already, fresh))

    def _set_deleted(self, entry, docnums):
        name = f"{segments.DELETED}{unique_name()}.npy"
        numpy.save(self.path / "segments" / entry["name"] / name, docnums.astype(numpy.int64))
        entry["deleted"], entry["dead"] = name, len(docnums)

    def commit(self):
        self.entries = [entry for entry in self.entries if entry["dead"] < entry["docs"]]
        while plan := _merge_plan(self.entries):
            self._merge(plan)
        manifest = {"generation": self.before["generation"] + 1, "segments": self.entries}
        _write_atomically(self.path / MANIFEST, json.dumps(manifest))
        self._remove_unreferenced()

    def _merge(self, plan):
        name = unique_name()
        merging.merge(
            [self.segment(entry) for entry in plan],
            {entry["name"]: self.deleted(entry) for entry in plan},
            self.path / "segments" / name,
        )
        live = sum(entry["docs"] - entry["dead"] for entry in plan)
        at = self.entries.index(plan[0])
        merged = {"name": name, "docs": live, "deleted": None, "dead": 0}
        self.entries = [entry for entry in self.entries if entry not in plan]
        self.entries.insert(min(at, len(self.entries)), merged)

    def _remove_unreferenced(self):
        """Delete segment and deletion files that neither this manifest nor the one before names (a
        reader that opened the one before may still be opening its files)."""
        kept = {}
        for entry in self.before["segments"] + self.entries:
            kept.setdefault(entry["name"], set()).add(entry.get("deleted"))
        for path in (self.path / "segments").iterdir():
            if path.name not in kept:
                shutil.rmtree(path, ignore_errors=True)
                continue
            for deletion in path.glob(f"{segments.DELETED}*.npy"):
                if deletion.name not in kept[path.name]:
                    deletion.unlink(missing_ok=True)


def _any_between(sorted_values, low, high):
    at = numpy.searchsorted(sorted_values, low)
    return at < len(sorted_values) and sorted_values[at] <= high


def _tier(entry):
    live = entry["docs"] - entry["dead"]
    return 0 if live < SMALLEST_TIER else 1 + int(math.log(live / SMALLEST_TIER, MERGE_FACTOR))


def _merge_plan(entries):
    """Segments to merge next: MERGE_FACTOR of one tier (as many of them as fit in LARGEST_MERGE, at
    least two), or one left mostly deleted; [] for none."""
    for entry in entries:
        if entry["dead"] * 2 > entry["docs"] and entry["docs"] >= SMALLEST_TIER:
            return [entry]
    tiers = {}
    for entry in entries:
        tiers.setdefault(_tier(entry), []).append(entry)
    for members in tiers.values():
        if len(members) < MERGE_FACTOR:
            continue
        plan, live = [], 0
        for entry in members[:MERGE_FACTOR]:
            if live + entry["docs"] - entry["dead"] > LARGEST_MERGE:
                break
            plan.append(entry)
            live += entry["docs"] - entry["dead"]
        if len(plan) >= 2:
            return plan
    return []


class Store:
    """This process's handle on the live index under one root."""

    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        self.name = None
        self.checked = 0.0

    def live(self, force=False):
        """The name of the live index, created empty on first use."""
        with self.lock:
            now = time.monotonic()
            if self.name is None or force or now - self.checked >= CHECK_SECONDS:
                self.checked = now
                name = _read_pointer(self.directory)
                if name is None:
                    with _locked(self.directory / ".switch.lock"):
                        name = _read_pointer(self.directory)
                        if name is None:
                            name = new_index(self.directory)
                            _write_atomically(self.directory / POINTER, name)
                self.name = name
            return self.name

    def path(self, force=False):
        return self.directory / self.live(force)

    @contextmanager
    def writer(self, path=None):
        """A Writer on the live index (or the index at path), under its lock; committed when the block
        ends without an exception, else nothing of it is published."""
        path = path or self.path(force=True)
        with _locked(path / ".write.lock", WRITER_LOCK_WAIT_SECONDS):
            writer = Writer(path)
            yield writer
            writer.commit()
        self.expire()

    def expire(self):
        """Look at the pointer and the manifest on the next search (after a write in this process)."""
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
