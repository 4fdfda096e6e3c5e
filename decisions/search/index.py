"""The Whoosh index on disk: open it, keep it in step with the database, rebuild it."""
import os
import shutil
import threading
from pathlib import Path

from django.conf import settings
from whoosh import index
from whoosh.writing import LockError

from decisions.search.documents import documents_for
from decisions.search.schema import build_schema

WRITER_LOCK_WAIT_SECONDS = 120
_open_lock = threading.Lock()
_opened = {}


def index_dir():
    return Path(settings.WHOOSH_INDEX_DIR)


def open_index():
    """The index for this process, created empty on first use."""
    directory = index_dir()
    with _open_lock:
        ix = _opened.get(directory)
        if ix is None:
            directory.mkdir(parents=True, exist_ok=True)
            ix = index.open_dir(str(directory)) if index.exists_in(str(directory)) else index.create_in(
                str(directory), build_schema())
            _opened[directory] = ix
        return ix


def _forget(directory):
    with _open_lock:
        _opened.pop(directory, None)


def _writer(ix, **options):
    """A writer that waits for another process's write to finish instead of failing at once."""
    try:
        return ix.writer(timeout=WRITER_LOCK_WAIT_SECONDS, **options)
    except LockError:
        raise LockError(f"the search index at {index_dir()} stayed locked for {WRITER_LOCK_WAIT_SECONDS}s") from None


def index_determinations(determination_ids):
    """(Re)index every item of these determinations; their old documents are replaced."""
    ids = [str(pk) for pk in determination_ids]
    if not ids:
        return 0
    writer = _writer(open_index())
    count = 0
    try:
        for pk in ids:
            writer.delete_by_term("determination_id", pk)
        for document in documents_for(determination_ids):
            writer.add_document(**document)
            count += 1
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    return count


def remove_determinations(determination_ids):
    if not determination_ids:
        return
    writer = _writer(open_index())
    for pk in determination_ids:
        writer.delete_by_term("determination_id", str(pk))
    writer.commit()


def rebuild(determination_ids, progress=None, batch=500, processes=None):
    """Build a fresh index beside the live one, then swap it in, so searches go on meanwhile.
    Analysis runs in `processes` worker processes (default: one per CPU core)."""
    live = index_dir()
    fresh = live.with_name(live.name + ".rebuilding")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    ix = index.create_in(str(fresh), build_schema())
    processes = processes or os.cpu_count() or 1
    writer = ix.writer(limitmb=256, procs=processes, multisegment=processes > 1)
    count = 0
    ids = list(determination_ids)
    for start in range(0, len(ids), batch):
        for document in documents_for(ids[start:start + batch]):
            writer.add_document(**document)
            count += 1
            if progress:
                progress(1)
    writer.commit()
    old = live.with_name(live.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if live.exists():
        live.rename(old)
    fresh.rename(live)
    shutil.rmtree(old, ignore_errors=True)
    _forget(live)
    return count


def clear():
    """Drop the index (tests, and a database reset)."""
    directory = index_dir()
    _forget(directory)
    shutil.rmtree(directory, ignore_errors=True)
