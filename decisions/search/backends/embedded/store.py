"""Index directories behind an atomically switched pointer, each a manifest of segments.

SEARCH_INDEX_DIR holds one directory per built index (a name that never repeats) and a file
CURRENT naming the live one: a rebuild fills a new directory, marks it PUBLISHED, then replaces
CURRENT in one rename. Inside an index directory MANIFEST.json lists the segments (segments.py)
and each one's deleted documents. Every write (add letters, delete them, merge) runs under the
directory's write lock, writes its new files first and replaces the manifest last, in one rename:
a reader sees the index before the write or after it, never half of it, in every process.

Nothing here is trusted for being there. A manifest carries its own CRC-32 and a copy of each of
the last KEEP_MANIFESTS is kept under manifests/ (with the segments they name), so a damaged
MANIFEST.json is read from its copy; a CURRENT that names no published index gives way to the
newest one that is. `resolve` says what it had to pass over, and the worker mends it (mending.py).

Merging keeps the number of segments small as the archive grows: MERGE_FACTOR segments of one
size tier become one segment of the next (as many as fit in LARGEST_MERGE documents), so each
document is rewritten a few times in its life, no write ever costs more than one bounded merge,
and a million letters (2.6 million items) imported in batches make about twenty segments. A
rebuild writes segments of LARGEST_MERGE documents straight away: seven for a million letters.
"""

import fcntl
import functools
import json
import math
import re
import secrets
import shutil
import threading
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy
from django.conf import settings

from decisions.search.backends.embedded import integrity, merging, segments
from decisions.search.backends.embedded.integrity import Damaged

POINTER = "CURRENT"
MANIFEST = "MANIFEST.json"
MANIFESTS = "manifests"  # a copy of each recent manifest, by generation
KEEP_MANIFESTS = 3
FORMAT_FILE = "FORMAT"
PUBLISHED = "PUBLISHED"  # written when the index is complete, before CURRENT names it
INCOMING = "incoming"  # segments built elsewhere (a rebuild's processes) wait here to be adopted
NAME = re.compile(r"[0-9a-f]{1,20}-[0-9a-f]{8}")
CHECK_SECONDS = 0.5
WRITER_LOCK_WAIT_SECONDS = 120
MERGE_FACTOR = 8
SMALLEST_TIER = 2048  # documents; segments below this are all one tier
LARGEST_MERGE = 400_000  # documents one merge may write (bounds a write's time and memory)


class LockError(RuntimeError):
    pass


def root():
    return Path(settings.SEARCH_INDEX_DIR)


def unique_name():
    return f"{time.time_ns():x}-{secrets.token_hex(4)}"


def _flock(handle, wait_seconds):
    """Lock an open file; wait at most wait_seconds when given (LockError past it), else as long as
    it takes."""
    deadline = time.monotonic() + (wait_seconds or 0)
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (fcntl.LOCK_NB if wait_seconds is not None else 0))
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise LockError(
                    f"the search index under {Path(handle.name).parent} stayed locked for {wait_seconds}s"
                ) from None
            time.sleep(0.05)


@contextmanager
def locked(path, wait_seconds=None):
    """An exclusive lock on a file, shared by every process; waits at most wait_seconds when given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        _flock(handle, wait_seconds)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def rebuilding(directory):
    """Held for a whole rebuild: a second one waits for the first to finish (two at once would
    each delete what the other is building)."""
    with locked(directory / ".rebuild.lock"):
        yield


def rebuild_running(directory):
    """Whether another process holds the rebuild lock now."""
    try:
        with locked(directory / ".rebuild.lock", wait_seconds=0):
            return False
    except LockError:
        return True


def read_pointer(directory):
    """What CURRENT says, or None when there is no CURRENT."""
    try:
        return (directory / POINTER).read_bytes().decode("utf-8", "replace").strip()
    except FileNotFoundError:
        return None


def _write_atomically(path, data):
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    try:
        integrity.write_bytes(temporary, data)
        integrity.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _encoded(manifest):
    body = json.dumps(manifest, sort_keys=True)
    return json.dumps({"checksum": zlib.crc32(body.encode()), "manifest": manifest}, sort_keys=True).encode()


def _decoded(path):
    """The manifest in a file, or Damaged saying why it cannot be trusted."""
    try:
        held = json.loads(path.read_bytes())
        manifest = held["manifest"]
        body = json.dumps(manifest, sort_keys=True)
        if zlib.crc32(body.encode()) != held["checksum"]:
            raise Damaged(f"{path.name} does not match its checksum")
        if not isinstance(manifest["generation"], int) or not isinstance(manifest["segments"], list):
            raise Damaged(f"{path.name} does not list segments")
    except FileNotFoundError:
        raise Damaged(f"{path.name} is missing") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise Damaged(f"{path.name} is not a manifest ({type(error).__name__})") from None
    return manifest


def read_manifest(path):
    """The index's manifest, from MANIFEST.json; Damaged when that cannot be trusted."""
    return _decoded(path / MANIFEST)


def manifest_copies(path):
    """The kept copies of the index's manifests, newest first: (generation, file)."""
    try:
        found = [
            (int(copy.stem.rpartition(".")[2]), copy) for copy in (path / MANIFESTS).glob("MANIFEST.*.json")
        ]
    except (OSError, ValueError):
        return []
    return sorted(found, reverse=True)


def load_manifest(path):
    """(manifest, problems, stale): from MANIFEST.json, else from the newest sound copy; stale when
    even that is older than the last write (the letters of the writes since are not in it)."""
    try:
        return read_manifest(path), [], False
    except Damaged as damage:
        problems = [str(damage)]
    copies = manifest_copies(path)
    for generation, copy in copies:
        try:
            manifest = _decoded(copy)
        except Damaged as damage:
            problems.append(f"{MANIFESTS}/{copy.name}: {damage}")
            continue
        return manifest, problems, generation < copies[0][0]
    raise Damaged(f"no manifest of the index can be read ({'; '.join(problems)})")


def publish_manifest(path, manifest):
    """Write a manifest: its copy first, then MANIFEST.json, each whole on disk; older copies past
    KEEP_MANIFESTS go."""
    data = _encoded(manifest)
    (path / MANIFESTS).mkdir(exist_ok=True)
    _write_atomically(path / MANIFESTS / f"MANIFEST.{manifest['generation']}.json", data)
    _write_atomically(path / MANIFEST, data)
    for _, copy in manifest_copies(path)[KEEP_MANIFESTS:]:
        copy.unlink(missing_ok=True)


def new_index(directory):
    """An empty index in a fresh directory under the root, not yet published; returns its name."""
    name = unique_name()
    path = directory / name
    (path / "segments").mkdir(parents=True)
    _write_atomically(path / FORMAT_FILE, segments.fingerprint().encode())
    publish_manifest(path, {"generation": 0, "written_at": _now(), "segments": [], "notes": {}})
    return name


def _now():
    return datetime.now(UTC).isoformat()


def is_outdated(directory, name):
    try:
        return (directory / name / FORMAT_FILE).read_text().strip() != segments.fingerprint()
    except (OSError, UnicodeDecodeError):
        return True


def _published(directory):
    """Names of the complete indexes under the root, newest first."""
    try:
        names = [path.name for path in directory.iterdir() if NAME.fullmatch(path.name)]
    except FileNotFoundError:
        return []
    return sorted((name for name in names if (directory / name / PUBLISHED).exists()), reverse=True)


def switch_to(directory, name):
    """Make `name` the live index, then delete all but it and the one before it (whose readers may
    still be finishing a search)."""
    with locked(directory / ".switch.lock"):
        previous = read_pointer(directory)
        _publish(directory, name)
        for path in directory.iterdir():
            if path.is_dir() and path.name not in {name, previous}:
                shutil.rmtree(path, ignore_errors=True)


def _publish(directory, name):
    """Mark the index complete, then point CURRENT at it (each on disk before the next)."""
    _write_atomically(directory / name / PUBLISHED, b"")
    _write_atomically(directory / POINTER, name.encode())


def point_at(directory, name):
    """Point CURRENT at a published index again (mending a damaged CURRENT)."""
    with locked(directory / ".switch.lock"):
        _publish(directory, name)


@dataclass
class Resolved:
    """The live index as found: its name and manifest, and what had to be passed over to find them."""

    name: str
    path: Path
    manifest: dict
    problems: list = field(default_factory=list)
    stale: bool = False  # the manifest is a copy older than the last write

    @functools.cached_property
    def outdated(self):
        return is_outdated(self.path.parent, self.name)


def resolve(directory):
    """The live index: the one CURRENT names when it is a published index, else the newest published
    one; an empty one is made in a root that holds none. Damaged when there is no index to read."""
    problems = []
    name = read_pointer(directory)
    published = _published(directory)
    if name is None and not published:
        with locked(directory / ".switch.lock"):
            name = read_pointer(directory)
            if name is None and not _published(directory):
                name = new_index(directory)
                _publish(directory, name)
        published = _published(directory)
    if name not in published:
        if name is None:
            problems.append(f"{POINTER} is missing")
        elif not NAME.fullmatch(name):
            problems.append(f"{POINTER} holds something other than an index's name")
        else:
            problems.append(f"{POINTER} names {name}, which is not a published index here")
        if not published:
            raise Damaged(f"{'; '.join(problems)}, and no other index is published")
        name = published[0]
    path = directory / name
    manifest, manifest_problems, stale = load_manifest(path)
    return Resolved(name, path, manifest, problems + manifest_problems, stale)


class Writer:
    """One write to an index directory, made under its lock and published by `commit`; from the
    given manifest (a mend's) or else MANIFEST.json, which must be sound."""

    def __init__(self, path, manifest=None):
        self.path = path
        if manifest is None:
            manifest, _, stale = load_manifest(path)
            if stale:
                raise Damaged(
                    f"{MANIFEST} is damaged and its newest sound copy is older than the last write; "
                    "the index must be mended first"
                )
        self.before = manifest
        self.entries = [dict(entry) for entry in self.before["segments"]]
        self.notes = dict(self.before.get("notes") or {})
        self._opened = {}

    def segment(self, entry):
        """The entry's segment, its files checked (Damaged, naming the segment, when one is not)."""
        name = entry["name"]
        if name not in self._opened:
            try:
                self._opened[name] = segments.Segment(self.path / "segments" / name, entry.get("meta"))
            except Damaged as damage:
                raise Damaged(f"segment {name}: {damage}") from None
        return self._opened[name]

    def deleted(self, entry):
        try:
            return segments.deleted_of(self.path / "segments" / entry["name"], entry)
        except Damaged as damage:
            raise Damaged(f"segment {entry['name']}: {damage}") from None

    def add(self, builder):
        if builder.count:
            name = unique_name()
            crc = builder.write(self.path / "segments" / name)
            self.entries.append(
                {"name": name, "docs": builder.count, "deleted": None, "dead": 0, "meta": crc}
            )

    def adopt(self, built, docs):
        """Take in the segments written at `built` (under INCOMING) by other processes, holding `docs`
        documents in all, as one segment: merged when there are several."""
        name = unique_name()
        target = self.path / "segments" / name
        if len(built) == 1:
            integrity.replace(built[0], target)
            crc = zlib.crc32((target / segments.META).read_bytes())
        else:
            crc = merging.merge([segments.Segment(path) for path in built], {}, target)
            for path in built:
                shutil.rmtree(path, ignore_errors=True)
        self.entries.append({"name": name, "docs": docs, "deleted": None, "dead": 0, "meta": crc})

    def delete_where(self, column, values):
        """Delete every live document whose column (item_id or determination_id) holds one of the values."""
        values = numpy.asarray(sorted(values), dtype=numpy.int64)
        if not len(values):
            return
        for entry in self.entries:
            segment = self.segment(entry)
            span = segment.meta["ranges"][column]
            if span is None or not _any_between(values, *span):
                continue
            hits = numpy.flatnonzero(numpy.isin(segment.column(column), values))
            already = self.deleted(entry)
            fresh = numpy.setdiff1d(hits, already)
            if len(fresh):
                self._set_deleted(entry, numpy.union1d(already, fresh))

    def _set_deleted(self, entry, docnums):
        name = f"{segments.DELETED}{unique_name()}.npy"
        folder = self.path / "segments" / entry["name"]
        _, crc, _ = integrity.write_array(folder / name, docnums.astype(numpy.int64))
        integrity.sync_folder(folder)
        entry["deleted"], entry["deleted_crc"], entry["dead"] = name, crc, len(docnums)

    def drop(self, names):
        """Take segments out of the index (damaged ones, whose letters a mend writes again)."""
        self.entries = [entry for entry in self.entries if entry["name"] not in names]

    def commit(self):
        self.entries = [entry for entry in self.entries if entry["dead"] < entry["docs"]]
        while plan := _merge_plan(self.entries):
            self._merge(plan)
        manifest = {
            "generation": max(self.before["generation"], _newest_copy(self.path)) + 1,
            "written_at": _now(),
            "segments": self.entries,
            "notes": self.notes,
        }
        publish_manifest(self.path, manifest)
        self.remove_unreferenced()

    def _merge(self, plan):
        name = unique_name()
        crc = merging.merge(
            [self.segment(entry) for entry in plan],
            {entry["name"]: self.deleted(entry) for entry in plan},
            self.path / "segments" / name,
        )
        live = sum(entry["docs"] - entry["dead"] for entry in plan)
        at = self.entries.index(plan[0])
        merged = {"name": name, "docs": live, "deleted": None, "dead": 0, "meta": crc}
        self.entries = [entry for entry in self.entries if entry not in plan]
        self.entries.insert(min(at, len(self.entries)), merged)

    def remove_unreferenced(self):
        """Delete segment and deletion files that no kept manifest names (a reader that opened the
        one before may still be opening its files; a mend may go back to an older copy)."""
        kept = {}
        manifests = [self.before, {"segments": self.entries}]
        for _, copy in manifest_copies(self.path):
            try:
                manifests.append(_decoded(copy))
            except Damaged:
                continue
        for manifest in manifests:
            for entry in manifest["segments"]:
                kept.setdefault(entry["name"], set()).add(entry.get("deleted"))
        for path in (self.path / "segments").iterdir():
            if path.name not in kept:
                shutil.rmtree(path, ignore_errors=True)
                continue
            for deletion in path.glob(f"{segments.DELETED}*.npy"):
                if deletion.name not in kept[path.name]:
                    deletion.unlink(missing_ok=True)


def _newest_copy(path):
    copies = manifest_copies(path)
    return copies[0][0] if copies else 0


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
        self.resolved = None
        self.checked = 0.0

    def current(self, force=False):
        """The live index as `resolve` finds it, looked for again every CHECK_SECONDS."""
        with self.lock:
            now = time.monotonic()
            if self.resolved is None or force or now - self.checked >= CHECK_SECONDS:
                self.checked = now
                self.resolved = resolve(self.directory)
            return self.resolved

    def live(self, force=False):
        """The name of the live index, created empty on first use."""
        return self.current(force).name

    def path(self, force=False):
        return self.current(force).path

    @contextmanager
    def writer(self, path=None, manifest=None):
        """A Writer on the live index (or the index at path), under its lock; committed when the block
        ends without an exception, else nothing of it is published."""
        path = path or self.path(force=True)
        with locked(path / ".write.lock", WRITER_LOCK_WAIT_SECONDS):
            writer = Writer(path, manifest)
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
