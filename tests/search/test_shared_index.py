"""One embedded index shared by several servers through the database (SEARCH_INDEX_SHARED): each
server here is its own index folder on one database, as each web server of a site is."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from decisions import importing, indexing, search
from decisions.models import Determination, IndexChange
from decisions.search.backends.embedded import sharing, store
from decisions.search.backends.embedded.integrity import Damaged
from decisions.search.backends.shared_index.models import SharedChunk, SharedFile, SharedManifest
from tests.letters import SEEDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def servers(settings, tmp_path):
    """Switch between two servers' index folders: `servers("a")`, `servers("b")`."""
    settings.SEARCH_INDEX_SHARED = True

    def on(name):
        settings.SEARCH_INDEX_DIR = tmp_path / name
        return search.backend()

    yield on
    for name in "ab":
        on(name).clear()


def _import_seeds():
    report = importing.import_candidates(importing.candidates_from_paths([SEEDS]))
    assert report.count(importing.IMPORTED) == 3, report.results


def _count(client, text=None):
    return client.get("/api/items", {"q": text} if text else {}).json()["count"]


def _live_manifest():
    return store.resolve(store.root()).manifest


def test_letters_indexed_on_one_server_are_found_on_another_once_its_worker_copies_them(servers, client):
    servers("a")
    _import_seeds()
    items = _count(client)
    assert items > 3 and _count(client, "Zanaflex") == 1
    servers("b")
    assert _count(client) == 0
    assert search.backend().catch_up() is True
    assert _count(client) == items and _count(client, "Zanaflex") == 1
    assert store.read_pointer(store.root()) == SharedManifest.objects.latest("id").index
    assert search.backend().catch_up() is False  # nothing new


def test_a_write_on_either_server_starts_from_the_newest_and_reaches_the_other(
    servers, client, django_capture_on_commit_callbacks
):
    servers("a")
    _import_seeds()
    servers("b").catch_up()
    with django_capture_on_commit_callbacks(execute=True):
        Determination.objects.get(items__request__icontains="zanaflex").delete()  # through server b
    assert _count(client, "Zanaflex") == 0
    servers("a")
    assert _count(client, "Zanaflex") == 1  # server a has not copied it yet
    search.backend().catch_up()
    assert _count(client, "Zanaflex") == 0
    generations = list(SharedManifest.objects.order_by("id").values_list("generation", flat=True))
    assert generations == sorted(set(generations))  # one write after another, none over another's


def test_a_write_publishes_only_the_files_no_write_before_it_did(servers):
    servers("a")
    _import_seeds()
    before = set(SharedFile.objects.values_list("path", flat=True))
    letter = Determination.objects.first()
    indexing.apply([letter.pk])
    written = set(SharedFile.objects.values_list("path", flat=True)) - before
    newest = _live_manifest()["segments"][-1]["name"]
    assert written and all(path.startswith("segments/") for path in written)
    assert {path.split("/")[1] for path in written} <= {
        entry["name"] for entry in _live_manifest()["segments"]
    }
    assert any(path.startswith(f"segments/{newest}/") for path in written)


def test_a_rebuild_on_one_server_is_copied_whole_and_the_old_index_leaves_the_database(servers, client):
    servers("a")
    _import_seeds()
    items = _count(client)
    old = store.read_pointer(store.root())
    search.backend().rebuild(Determination.objects.values_list("pk", flat=True))
    new = store.read_pointer(store.root())
    assert new != old
    servers("b").catch_up()
    assert store.read_pointer(store.root()) == new and _count(client) == items
    for letter in Determination.objects.all()[: store.KEEP_MANIFESTS]:
        indexing.apply([letter.pk])
    assert not SharedFile.objects.filter(index=old).exists()
    assert SharedManifest.objects.count() == store.KEEP_MANIFESTS


def _cut_an_array():
    live = store.root() / store.read_pointer(store.root())
    segment = live / "segments" / _live_manifest()["segments"][0]["name"]
    array = next(path for path in sorted(segment.glob("*.npy")) if path.stat().st_size > 200)
    with open(array, "r+b") as handle:
        handle.truncate(100)


def test_a_damaged_file_on_a_server_is_copied_again_from_the_database_not_taken_out(servers, client):
    servers("a")
    _import_seeds()
    servers("b").catch_up()
    items = _count(client)
    _cut_an_array()
    assert "damaged" in client.get("/", {"q": "pain"}).content.decode()
    assert search.backend().catch_up() is True  # the worker's next copy
    assert _count(client) == items and search.backend().health().sound
    _cut_an_array()
    mended = indexing.mend()  # the worker's mend, if it looks first
    assert not any("taken out" in action for action in mended.actions), mended.actions
    assert _count(client) == items and search.backend().health().sound


def test_a_server_whose_copy_lags_the_published_index_says_so_until_it_has_copied(servers, client):
    servers("a")
    _import_seeds()
    servers("b").catch_up()
    servers("a")
    indexing.apply([Determination.objects.first().pk])
    servers("b")
    assert "not taken in the latest writes" not in client.get("/").content.decode()  # a copy takes a moment
    SharedManifest.objects.update(published_at=timezone.now() - timedelta(minutes=5))
    assert "not taken in the latest writes" in client.get("/").content.decode()
    search.backend().catch_up()
    assert "not taken in the latest writes" not in client.get("/").content.decode()


def test_a_damaged_copy_in_the_database_is_never_copied(servers, client):
    servers("a")
    _import_seeds()
    servers("b").catch_up()
    items = _count(client)
    servers("a")
    indexing.apply([Determination.objects.first().pk])  # a new segment, published
    newest = SharedManifest.objects.latest("id")
    fresh = SharedFile.objects.filter(index=newest.index, path__endswith=".npy", size__gt=200).latest("id")
    chunk = SharedChunk.objects.filter(file=fresh).first()
    SharedChunk.objects.filter(pk=chunk.pk).update(data=bytes(b ^ 0xFF for b in bytes(chunk.data)))
    servers("b")
    before = _live_manifest()
    with pytest.raises(Damaged, match="not the file its manifest names"):
        search.backend().catch_up()
    assert _live_manifest() == before and _count(client) == items


def test_a_write_that_could_not_be_published_gives_way_to_the_published_index_and_is_written_again(
    servers, client, monkeypatch
):
    servers("a")
    _import_seeds()
    letter = Determination.objects.get(items__request__icontains="zanaflex")
    published = SharedManifest.objects.latest("id").manifest
    letter.items.update(rationale=Concat(F("rationale"), Value(" Quetiapine was never mentioned before.")))
    IndexChange.objects.create(determination_id=letter.pk)

    def down(**fields):
        raise OSError("the database went away")

    monkeypatch.setattr(SharedManifest.objects, "create", down)
    with pytest.raises(OSError):
        indexing.apply_pending()
    monkeypatch.undo()
    assert IndexChange.objects.filter(applied=False, determination_id=letter.pk).exists()
    search.backend().catch_up()
    assert _live_manifest() == published
    assert _count(client, "quetiapine") == 0
    indexing.apply_pending()
    assert _count(client, "quetiapine") == letter.items.count()
    servers("b").catch_up()
    assert _count(client, "quetiapine") == letter.items.count()


def test_without_sharing_nothing_is_written_to_the_database(settings, seeded):
    settings.SEARCH_INDEX_SHARED = False
    indexing.apply([Determination.objects.first().pk])
    assert not SharedFile.objects.exists() and not SharedManifest.objects.exists()
    assert search.backend().catch_up() is False


def test_the_first_server_of_a_shared_site_publishes_the_index_it_has(settings, seeded):
    settings.SEARCH_INDEX_SHARED = True
    assert not SharedManifest.objects.exists()
    search.backend().catch_up()
    assert SharedManifest.objects.get().manifest == _live_manifest()
    assert sharing.enabled()


def test_a_failed_statement_in_the_writers_transaction_never_leaves_the_lock_held(settings):
    """The lock every server's writes take is let go whatever the write's transaction went
    through; otherwise every other server would wait for it until this process ended."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's lock is a file lock, let go with the file")
    settings.SEARCH_INDEX_SHARED = True
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        sharing._database_lock(5),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT 1 / 0")  # the transaction is aborted: no statement runs in it now
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [sharing.LOCK_KEY])
            assert cursor.fetchone()[0] is True
    finally:
        other.close()
