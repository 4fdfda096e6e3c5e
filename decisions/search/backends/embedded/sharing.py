"""One embedded index for several servers: each searches its own copy, kept from the database.

With SEARCH_INDEX_SHARED on, every write to the live index is published to the database (the
tables of the `shared_index` app), and every server's worker copies what it lacks (`copy_newest`, every
SEARCH_INDEX_COPY_SECONDS). This is segment replication, as Lucene-based engines do it: segment
files are written once and never changed, so a write publishes only the files no write before
it did, then its manifest, last, in one row; a copy made from the newest row is the index after
a whole write, never part of one. One write at a time across every server (a lock in the
database), and each starts from the newest published index, so no server writes over another's.

Every file copied is checked against the CRC-32 its manifest or its segment's meta.json records
before anything names it, and takes the time its segment recorded (which readers check). A local
file found damaged is copied again (`restore`, the worker's mend) instead of rebuilt. A write
that could not be published is not kept: the newest published index replaces it, and the letters
it held are still pending in the database's change log, so they are written again.
"""

import hashlib
import itertools
import logging
import os
import secrets
import tempfile
import threading
import time
import zlib
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from decisions.search.backends.embedded import integrity, segments, store
from decisions.search.backends.embedded.integrity import Damaged
from decisions.search.backends.shared_index.models import SharedChunk, SharedFile, SharedManifest

logger = logging.getLogger(__name__)

CHUNK_BYTES = 4 << 20
LOCK_KEY = 0x494D52_5EA2C4  # the PostgreSQL advisory lock every server's index writes take
DELETE_BATCH = 500
BEHIND_AFTER = timedelta(seconds=30)  # a copy normally takes a second or two


def enabled():
    return settings.SEARCH_INDEX_SHARED


# Writing


_held = threading.local()


@contextmanager
def writing(directory):
    """Around one write to the live index: the write lock of every server, and the newest published
    index copied here first, so the write starts from it."""
    if not enabled():
        yield
        return
    with _database_lock(store.WRITER_LOCK_WAIT_SECONDS):
        copy_newest(directory)
        yield


@contextmanager
def _database_lock(wait_seconds):
    """Held by whoever changes what the live index here is (a write, a copy, a mend). PostgreSQL:
    an advisory lock. SQLite: a file lock, since every process on one SQLite file runs on one
    machine. Re-entered by its holder."""
    if getattr(_held, "lock", False):
        yield
        return
    with _lock(wait_seconds):
        _held.lock = True
        try:
            yield
        finally:
            _held.lock = False


@contextmanager
def _lock(wait_seconds):
    if connection.vendor != "postgresql":
        name = hashlib.sha256(str(settings.DATABASES["default"]["NAME"]).encode()).hexdigest()[:16]
        with store.locked(Path(tempfile.gettempdir()) / f"imr-index-{name}.lock", wait_seconds):
            yield
        return
    # A connection of its own: the lock outlives whatever the caller's transaction does (an error
    # there would leave it unable to unlock), and goes with the connection if this process dies.
    locking = connection.copy()
    try:
        deadline = time.monotonic() + wait_seconds
        with locking.cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
                if cursor.fetchone()[0]:
                    break
                if time.monotonic() > deadline:
                    raise store.LockError(
                        f"another server held the search index's write lock for {wait_seconds}s"
                    )
                time.sleep(0.05)
        yield
    finally:
        locking.close()


def publish(path):
    """Publish the index at `path` as its MANIFEST.json stands: the files no earlier write
    published, then the manifest. Call inside `writing`."""
    if not enabled():
        return
    manifest = store.read_manifest(path)
    index = path.name
    published = set(SharedFile.objects.filter(index=index).values_list("path", flat=True))
    for relative, crc, _ in itertools.chain([(store.FORMAT_FILE, None, None)], _files_of(path, manifest)):
        if relative not in published:
            _upload(path, relative, crc)
    SharedManifest.objects.create(index=index, generation=manifest["generation"], manifest=manifest)
    _forget_superseded()


def share_local(directory, first=False):
    """Publish the live index here as it stands: the first server's of a shared site (`first`:
    unless another was published meanwhile), or what a mend left when the database's copy could
    not mend it."""
    if enabled():
        with _database_lock(store.WRITER_LOCK_WAIT_SECONDS):
            if not (first and _newest() is not None):
                publish(store.resolve(directory).path)


def _files_of(path, manifest):
    """(path inside the index, the CRC-32 recorded for it, the [size, CRC-32, time] record of a
    segment array or None) of every file of the manifest's segments. Each meta.json comes before
    the files it lists and is read only when they are asked for, so a copy can fetch it first."""
    for entry in manifest["segments"]:
        folder = f"segments/{entry['name']}"
        yield f"{folder}/{segments.META}", entry.get("meta"), None
        meta = segments.read_meta(path / folder, entry.get("meta"))
        for name, record in meta["files"].items():
            yield f"{folder}/{name}", record[1], record
        if entry.get("deleted"):
            yield f"{folder}/{entry['deleted']}", entry.get("deleted_crc"), None


def _upload(path, relative, crc):
    """One file, whole in one transaction (a crash publishes none of it); never a damaged one."""
    source = path / relative
    stat = os.stat(source)
    running = 0
    with transaction.atomic():
        shared = SharedFile.objects.create(
            index=path.name, path=relative, size=stat.st_size, modified_ns=stat.st_mtime_ns
        )
        with open(source, "rb") as handle:
            number = 0
            while data := handle.read(CHUNK_BYTES):
                running = zlib.crc32(data, running)
                SharedChunk.objects.create(file=shared, number=number, data=data)
                number += 1
        if crc is not None and running != crc:
            raise Damaged(f"{relative} does not match its checksum here; it was not published")


def _forget_superseded():
    """Keep the manifests of the last KEEP_MANIFESTS writes and the files they name (a server may
    still be copying the one before); the rest go."""
    kept = list(SharedManifest.objects.order_by("-id")[: store.KEEP_MANIFESTS])
    SharedManifest.objects.filter(id__lt=kept[-1].id).delete()
    indexes = {row.index for row in kept}
    entries = [(row.index, entry) for row in kept for entry in row.manifest["segments"]]
    named = {(index, entry["name"]) for index, entry in entries}
    deletions = {(index, entry["name"], entry.get("deleted")) for index, entry in entries}
    doomed = []
    for pk, index, relative in SharedFile.objects.values_list("id", "index", "path").iterator():
        parts = relative.split("/")
        if (
            index not in indexes
            or parts[0] == "segments"
            and (
                (index, parts[1]) not in named
                or (parts[2].startswith(segments.DELETED) and (index, parts[1], parts[2]) not in deletions)
            )
        ):
            doomed.append(pk)
    for start in range(0, len(doomed), DELETE_BATCH):
        SharedFile.objects.filter(id__in=doomed[start : start + DELETE_BATCH]).delete()


# Copying


def catch_up(directory):
    """The worker's step: publish this server's index if nothing is published yet (the first server
    of a shared site), else copy the newest published index here. True when the copy changed."""
    if not enabled():
        return False
    if _newest() is None:
        if store.read_pointer(directory) is not None:
            share_local(directory, first=True)
        return False
    return copy_newest(directory)


def copy_newest(directory, thorough=False):
    """Make the live index here the newest published one, every file of it checked (size and time;
    `thorough`: every byte), any that is not the published one copied again; True when anything
    changed. Files are copied first; the index here is switched under the write lock, and only
    when it must be. Damaged, and the index here as it was, when the database's copy is not whole."""
    newest = _newest()
    if newest is None:
        return False
    fetched = _fetch_all(directory, newest, thorough)
    if fetched is None or (not fetched and _holds(directory, newest)):
        return False
    with _database_lock(store.WRITER_LOCK_WAIT_SECONDS):
        latest = _newest()
        if latest.pk != newest.pk:  # published while the files were copied: copy what that added
            newest = latest
            if _fetch_all(directory, newest, thorough) is None:
                return False
        path = directory / newest.index
        if not _holds(directory, newest, pointer=False):
            with store.locked(path / ".write.lock", store.WRITER_LOCK_WAIT_SECONDS):
                _drop_unpublished_copies(path, newest.generation)
                store.publish_manifest(path, newest.manifest)
                store.Writer(path, newest.manifest).remove_unreferenced()
        if store.read_pointer(directory) != newest.index:
            store.switch_to(directory, newest.index)
    store.store().expire()
    return True


def restore(directory, thorough=False):
    """Copy again from the database every local file of the live index that is not the published
    one (the worker's mend, before it takes anything out)."""
    if enabled():
        copy_newest(directory, thorough=thorough)


def behind_since(resolved):
    """When the index here was written, if it has lagged the published one for longer than a copy
    takes (a server whose worker is down, or the database's copy damaged); else ""."""
    if not enabled():
        return ""
    newest = SharedManifest.objects.order_by("-id").values("index", "generation", "published_at").first()
    if newest is None or (newest["index"], newest["generation"]) == (
        resolved.name,
        resolved.manifest["generation"],
    ):
        return ""
    if newest["published_at"] > timezone.now() - BEHIND_AFTER:
        return ""
    return resolved.manifest.get("written_at", "")


def _newest():
    return SharedManifest.objects.order_by("-id").first()


def _holds(directory, newest, pointer=True):
    """Whether the index here is the published one: the same index live, with the same manifest."""
    if pointer and store.read_pointer(directory) != newest.index:
        return False
    try:
        return store.read_manifest(directory / newest.index) == newest.manifest
    except Damaged:
        return False


def _fetch_all(directory, newest, thorough):
    """Every file of the published index here: how many had to be copied, or None when another
    version of this site built it."""
    path = directory / newest.index
    (path / "segments").mkdir(parents=True, exist_ok=True)  # an index of no segments has the folder too
    copied = _fetch(newest.index, path, store.FORMAT_FILE, None)
    if (path / store.FORMAT_FILE).read_text("utf-8", "replace").strip() != segments.fingerprint():
        logger.warning("the published search index %s was built by another version; not copied", newest.index)
        return None
    for relative, crc, record in _files_of(path, newest.manifest):
        copied += _fetch(newest.index, path, relative, crc, record, thorough)
    return copied


def _drop_unpublished_copies(path, generation):
    """Copies of manifests of writes that were never published (newer than the published one) go,
    so no later write or mend takes them for the newest."""
    for found, copy in store.manifest_copies(path):
        if found > generation:
            copy.unlink(missing_ok=True)


def _fetch(index, path, relative, crc, record=None, thorough=False):
    """Put the published file at its place here, unless the one here already is it: its recorded
    size and time (and, thorough, its CRC-32) for a segment array, its CRC-32 for a small file.
    1 when it was copied, else 0."""
    target = path / relative
    if record is not None:
        if integrity.problem(target, record, thorough) is None:
            return 0
    elif target.exists() and (crc is None or integrity.crc_of(target) == crc):
        return 0
    shared = SharedFile.objects.filter(index=index, path=relative).first()
    if shared is None:
        raise Damaged(f"{relative} of the published index {index} is not in the database")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
    running = 0
    try:
        with open(temporary, "xb") as handle:
            chunks = SharedChunk.objects.filter(file=shared).order_by("number").values_list("data", flat=True)
            for data in chunks.iterator(chunk_size=2):
                data = bytes(data)
                running = zlib.crc32(data, running)
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.getsize(temporary) != shared.size or (crc is not None and running != crc):
            raise Damaged(f"{relative} of the published index {index} is not the file its manifest names")
        os.utime(temporary, ns=(shared.modified_ns, shared.modified_ns))
        integrity.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return 1
