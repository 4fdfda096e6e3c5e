"""Keep the search index equal to the database.

Every change to stored letters writes an IndexChange row in the same transaction (`record`);
`apply_pending` rewrites those letters' search documents and marks the rows applied. A crash at
any point leaves rows to apply, never an index that silently differs: the worker applies what is
pending every few seconds, `behind` says how many letters wait (the pages show it), and `compare`
(with `repair`) compares the two by item ids. A damaged index is mended (`mend`): the backend
takes out what is damaged, and the letters it held are written again from the database, the
source of truth.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from decisions import search
from decisions.models import DecisionItem, Determination, IndexChange, Job

logger = logging.getLogger(__name__)

APPLY_BATCH = 500
# Applied rows are kept this long, so a rebuild that ran meanwhile can replay them.
KEEP_APPLIED = timedelta(days=1)
# The worker catches up on changes left pending this long (whoever made them applies them sooner).
CATCH_UP_AFTER = timedelta(seconds=30)


def record(determination_ids):
    """Note that these letters changed; call inside the transaction that changes them."""
    IndexChange.objects.bulk_create(
        (IndexChange(determination_id=pk) for pk in set(determination_ids)), batch_size=APPLY_BATCH
    )


def record_and_apply(determination_ids):
    """For a small change made in a web request: recorded now, applied once the transaction commits,
    so the admin sees it in search at once. If applying fails, the worker applies it later."""
    ids = list(determination_ids)
    record(ids)
    transaction.on_commit(lambda: _apply_quietly(ids))


def _apply_quietly(determination_ids):
    try:
        apply(determination_ids)
    except Exception:  # the rows stay pending; the worker retries them
        logger.exception("could not update the search index now; the worker will")


def apply(determination_ids):
    """Rewrite these letters' documents from what the database holds now, then mark their pending
    changes applied. Safe to run twice or at once with another: it only writes the current state."""
    ids = sorted(set(determination_ids))
    for start in range(0, len(ids), APPLY_BATCH):
        _apply_batch(ids[start : start + APPLY_BATCH])


def _apply_batch(ids):
    # Only rows already visible are satisfied by the state read below; a change committed while
    # this runs keeps its row pending for the next pass.
    satisfied = list(
        IndexChange.objects.filter(determination_id__in=ids, applied=False).values_list("id", flat=True)
    )
    present = set(Determination.objects.filter(pk__in=ids).values_list("pk", flat=True))
    backend = search.backend()
    if present:
        backend.index(sorted(present))
    gone = [pk for pk in ids if pk not in present]
    if gone:
        backend.remove(gone)
    for start in range(0, len(satisfied), APPLY_BATCH):
        IndexChange.objects.filter(id__in=satisfied[start : start + APPLY_BATCH]).update(applied=True)


def pending_ids(limit=APPLY_BATCH, older_than=None):
    pending = IndexChange.objects.filter(applied=False)
    if older_than:
        pending = pending.filter(created_at__lt=timezone.now() - older_than)
    return list(pending.order_by("id").values_list("determination_id", flat=True).distinct()[:limit])


def apply_pending(batch=APPLY_BATCH, older_than=None):
    """Apply every pending change, oldest first (only those older than `older_than`, if given, so
    the worker's catching up leaves an import's fresh rows to the import); returns the letters
    rewritten."""
    done = 0
    while ids := pending_ids(batch, older_than):
        apply(ids)
        done += len(ids)
    return done


def forget_applied(now=None):
    """Drop applied rows older than KEEP_APPLIED (unless a rebuild still needs them)."""
    if Job.objects.filter(kind=Job.Kind.REBUILD, state=Job.State.RUNNING).exists():
        return 0
    cutoff = (now or timezone.now()) - KEEP_APPLIED
    deleted, _ = IndexChange.objects.filter(applied=True, created_at__lt=cutoff).delete()
    return deleted


def behind():
    """How many letters have changes the index has not taken in for longer than the worker takes to
    catch up (a full disk, a damaged index): those an import is adding now are not missing yet."""
    waiting = IndexChange.objects.filter(applied=False, created_at__lt=timezone.now() - CATCH_UP_AFTER)
    return waiting.values("determination_id").distinct().count()


def notices():
    """Sentences for every page that answers from the index, while its answers are not whole."""
    found = [notice] if (notice := search.backend().health().notice) else []
    waiting = behind()
    if waiting:
        letters, are, them = (
            (f"{waiting:,} letters", "are", "them") if waiting != 1 else ("1 letter", "is", "it")
        )
        found.append(
            f"{letters} stored recently {are} not in search yet; the worker is adding {them}, "
            f"and counts leave {them} out."
        )
    return found


def last_change_id():
    return IndexChange.objects.order_by("-id").values_list("id", flat=True).first() or 0


def changed_since(change_id):
    """Letters changed after a given IndexChange id, applied or not (what a rebuild may have missed)."""
    return set(IndexChange.objects.filter(id__gt=change_id).values_list("determination_id", flat=True))


@dataclass
class Comparison:
    database: int
    indexed: int
    missing: list  # item ids in the database, not in the index
    extra: list  # item ids in the index, not in the database
    pending: int  # letters with changes not yet applied

    @property
    def in_step(self):
        return not self.missing and not self.extra


def compare():
    database_ids = DecisionItem.objects.values_list("pk", flat=True).iterator(chunk_size=10_000)
    check = search.backend().check(database_ids)
    return Comparison(
        database=DecisionItem.objects.count(),
        indexed=check.indexed,
        missing=check.missing,
        extra=check.extra,
        pending=IndexChange.objects.filter(applied=False).values("determination_id").distinct().count(),
    )


def repair(comparison):
    """Remove what the index should not hold and rewrite every letter with items missing from it;
    returns the number of letters rewritten."""
    if comparison.extra:
        search.backend().remove_items(comparison.extra)
    letters = _letters_of(comparison.missing)
    apply(letters)
    return len(letters)


def _letters_of(item_ids):
    letters = set()
    for start in range(0, len(item_ids), APPLY_BATCH):
        chunk = item_ids[start : start + APPLY_BATCH]
        letters.update(DecisionItem.objects.filter(pk__in=chunk).values_list("determination_id", flat=True))
    return letters


@dataclass
class Mending:
    actions: list  # what the backend did to the index
    rebuild: str  # why only a rebuild will do ("" when mended in place)
    letters: int = 0  # letters written again from the database


def mend(thorough=False):
    """Make a damaged index answer whole again: the backend mends what it can in place (a rebuild
    is the caller's when it cannot), then every letter it left out, or changed after the copy it
    fell back on, is recorded as a change and applied; only then do the pages stop saying so."""
    backend = search.backend()
    mended = backend.mend(thorough)
    if mended.rebuild:
        return Mending(mended.actions, mended.rebuild)
    letters = set()
    if mended.changed_since:
        since = datetime.fromisoformat(mended.changed_since)
        if since < timezone.now() - KEEP_APPLIED:
            return Mending(
                mended.actions, "the copy of the index it fell back on is older than the changes kept"
            )
        letters |= set(
            IndexChange.objects.filter(created_at__gte=since).values_list("determination_id", flat=True)
        )
    comparison = compare()
    if comparison.extra:
        backend.remove_items(comparison.extra)
    letters |= _letters_of(comparison.missing)
    record(letters)
    apply_pending()
    backend.mended()
    return Mending(mended.actions, "", len(letters))
