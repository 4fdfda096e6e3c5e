"""A damaged, missing or foreign index file never reaches a user as a crash or a wrong hit.

Each case is the one found from outside on the embedded index (issue 31), done the same way: a
segment's .npy file cut short, item_id.npy cut to 100 bytes, a segment folder deleted, item ids
reversed in place, garbage in CURRENT and in MANIFEST.json, a full disk during an import, two
rebuilds at once. Searches leave out what is damaged and say so, `check_index` finds each case,
`--repair` (and the worker, by itself) mends it from the database.
"""

import errno
import os
import threading
from io import StringIO

import numpy
import pytest
from django.core.management import call_command

from decisions import importing, indexing, jobs, search, tasks
from decisions.models import DecisionItem, Determination, Job
from decisions.search.backends.embedded import integrity, store
from tests.letters import SEED_FILES

pytestmark = pytest.mark.django_db


@pytest.fixture
def letters(settings):
    """The three sample letters, each imported on its own: each is one segment of the index."""
    settings.SEARCH_BACKEND = "embedded"
    for path in SEED_FILES:
        report = importing.import_candidates(importing.candidates_from_paths([path]))
        assert report.count(importing.IMPORTED) == 1
        _number(Determination.objects.latest("pk"))
    assert len(_entries()) == 3
    return list(Determination.objects.order_by("pk"))


def _number(letter):
    """Give a sample letter an IMR case number (theirs are blank), as every real one has."""
    letter.case_number = f"CM16-{letter.pk:07d}"
    letter.save(update_fields=["case_number"])
    indexing.record([letter.pk])
    indexing.apply_pending()


def _entries():
    return store.read_manifest(store.store().path(force=True))["segments"]


def _folder_of(letter):
    """The segment folder holding a letter's items."""
    path = store.store().path(force=True)
    for entry in _entries():
        folder = path / "segments" / entry["name"]
        if letter.pk in numpy.load(folder / "determination_id.npy"):
            return folder
    raise AssertionError(f"letter {letter.pk} is in no segment")


def _all_items():
    return search.backend().search(search.query()).total


def _item_ids(**filters):
    results = search.backend().search(search.query(**filters))
    return {hit.item_id for hit in results[: results.total]}


def _items_by_case_number(letter):
    return _item_ids(case_number=search.AnyOf((letter.case_number,)))


def _new_process():
    """What a gunicorn worker started now would see: no view, no cached pointer."""
    search._backend.cache_clear()
    store.forget()


def _check_index(*arguments):
    out = StringIO()
    try:
        call_command("check_index", *arguments, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def _cut(path, size):
    with open(path, "r+b") as handle:
        handle.truncate(size)


def _items_of(letter):
    return set(letter.items.values_list("pk", flat=True))


def _assert_left_out_and_said(letter, client):
    """The damaged letter's items are missing from every answer, which says so; the rest answer."""
    everything = set(DecisionItem.objects.values_list("pk", flat=True))
    for _ in range(2):  # the process that had the segment mapped, then a new one
        assert _item_ids() == everything - _items_of(letter)
        health = search.backend().health()
        assert not health.sound and health.unsearchable == len(_items_of(letter))
        assert not _items_by_case_number(letter)
        page = client.get("/", {"q": "medical"})
        assert page.status_code == 200
        assert "Part of the search index is damaged" in page.content.decode()
        api = client.get("/api/items").json()
        assert api["count"] == len(everything) - len(_items_of(letter))
        assert any("damaged" in notice for notice in api["notices"])
        _new_process()


def _assert_mended(letter):
    code, out = _check_index("--repair")
    assert code == 0, out
    _new_process()
    assert search.backend().health().sound
    assert _items_by_case_number(letter) == _items_of(letter)
    assert _all_items() == DecisionItem.objects.count()
    assert _check_index() == (0, _check_index()[1])


def test_a_segment_file_cut_short_is_left_out_of_every_answer_with_a_sentence(letters, client):
    victim = letters[1]
    _all_items()  # the segment is mapped by this process before the cut
    largest = max(_folder_of(victim).glob("*.npy"), key=lambda path: path.stat().st_size)
    _cut(largest, largest.stat().st_size // 2)
    _assert_left_out_and_said(victim, client)
    code, out = _check_index("--quick")
    assert code == 1 and f"{largest.name} holds" in out
    _assert_mended(victim)


def test_item_ids_cut_to_100_bytes_never_crash_a_search(letters, client):
    victim = letters[0]
    _all_items()
    _cut(_folder_of(victim) / "item_id.npy", 100)
    _assert_left_out_and_said(victim, client)
    _assert_mended(victim)


def test_a_deleted_segment_folder_is_left_out_and_written_again(letters, client):
    import shutil

    victim = letters[2]
    _all_items()
    folder = _folder_of(victim)
    shutil.rmtree(folder)
    _assert_left_out_and_said(victim, client)
    code, out = _check_index()
    assert code == 1 and "missing" in out
    _assert_mended(victim)


def _reverse_ids(folder):
    """100 item ids (or all there are) written back in reverse order, in place."""
    path = folder / "item_id.npy"
    ids = numpy.load(path)
    header = path.stat().st_size - ids.nbytes
    count = min(100, len(ids))
    with open(path, "r+b") as handle:
        handle.seek(header)
        handle.write(ids[:count][::-1].tobytes())
    return ids


def test_item_ids_reversed_in_place_never_answer_with_another_letters_items(settings, client):
    settings.SEARCH_BACKEND = "embedded"
    importing.import_candidates(importing.candidates_from_paths(SEED_FILES[:2]))
    first, second = Determination.objects.order_by("pk")
    Determination.objects.filter(pk=first.pk).update(case_number="CM16-0000001")
    Determination.objects.filter(pk=second.pk).update(case_number="CM16-0000002")
    indexing.apply([first.pk, second.pk])  # one segment, two letters
    first.refresh_from_db()
    second.refresh_from_db()
    _all_items()
    _reverse_ids(_folder_of(first))
    for letter in (first, second):
        found = _items_by_case_number(letter)
        assert found <= _items_of(letter)  # nothing of the other letter, however the ids lie
    assert not search.backend().health().sound
    code, out = _check_index("--quick")
    assert code == 1 and "item_id.npy was written to after the index wrote it" in out
    _assert_mended(first)


def test_ids_reversed_with_the_files_time_put_back_are_found_by_their_checksum(letters, run_worker):
    victim = letters[0]
    path = _folder_of(victim) / "item_id.npy"
    times = path.stat()
    _reverse_ids(path.parent)
    os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert _check_index("--quick")[0] == 0  # a look at sizes and times cannot see it
    code, out = _check_index()
    assert code == 1 and "item_id.npy does not match its checksum" in out
    assert tasks.verify_index.call()  # the worker's daily check finds it and starts a mend
    job = Job.objects.get(kind=Job.Kind.REPAIR)
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.error
    _new_process()
    assert _items_by_case_number(victim) == _items_of(victim)
    assert _check_index()[0] == 0


@pytest.mark.parametrize("garbage", [b"not an index\n", bytes(range(0, 256, 3)), b""])
def test_garbage_in_CURRENT_answers_whole_from_the_newest_published_index(letters, client, garbage):
    everything = _item_ids()
    pointer = store.root() / store.POINTER
    pointer.write_bytes(garbage)
    _new_process()
    assert _item_ids() == everything
    assert client.get("/", {"q": "medical"}).status_code == 200
    code, out = _check_index()
    assert code == 1 and "CURRENT" in out
    code, out = _check_index("--repair")
    assert code == 0 and "CURRENT names the published index" in out
    assert pointer.read_text() == store.store().live(force=True)
    call_command("rebuild_index", stdout=StringIO())  # a rebuild works on such a root too
    _new_process()
    assert _item_ids() == everything


def test_garbage_in_MANIFEST_json_answers_from_its_copy_and_writes_go_on(letters, client):
    everything = _item_ids()
    manifest = store.store().path(force=True) / store.MANIFEST
    manifest.write_bytes(b'{"generation": 3, "segm')
    _new_process()
    assert _item_ids() == everything and not search.backend().health().notice
    assert _check_index()[0] == 1
    letters[0].items.update(rationale="The rationale now mentions zygomycosis.")
    indexing.apply([letters[0].pk])  # an edit, written on top of the copy
    assert _item_ids() == everything and search.backend().search(search.query("zygomycosis")).total
    store.read_manifest(manifest.parent)  # the write put a sound MANIFEST.json back


def test_damaged_MANIFEST_and_newest_copy_answer_from_an_older_copy_and_say_so(letters, client, run_worker):
    path = store.store().path(force=True)
    for damaged in [path / store.MANIFEST, store.manifest_copies(path)[0][1]]:
        damaged.write_bytes(os.urandom(100))
    _new_process()
    health = search.backend().health()
    assert health.stale_since and "answering from a copy" in health.notice
    assert "answering from a copy" in client.get("/").content.decode()
    assert not _items_by_case_number(letters[-1])  # the copy is from before the last letter got its number
    tasks.upkeep()  # the worker notices, and mends
    run_worker()
    _new_process()
    assert search.backend().health().sound and _check_index()[0] == 0
    assert _items_by_case_number(letters[-1]) == _items_of(letters[-1])
    assert _all_items() == DecisionItem.objects.count()


def test_an_index_with_no_readable_manifest_answers_every_page_with_a_sentence(letters, client):
    path = store.store().path(force=True)
    for damaged in [path / store.MANIFEST, *(copy for _, copy in store.manifest_copies(path))]:
        damaged.write_bytes(b"\x00garbage")
    _new_process()
    page = client.get("/", {"q": "medical"})
    assert page.status_code == 503 and "cannot be read" in page.content.decode()
    assert 'name="q"' in page.content.decode()  # the search form is still there
    assert client.get("/api/items").status_code == 503
    assert (
        client.get(f"/letters/{letters[0].pk}/", {"q": "medical"}).status_code == 200
    )  # the letter needs no index
    item = letters[0].items.first()
    for address in (  # every page that answers from the index: 503, come back, with the sentence
        "/insights/",
        "/insights/?q=medical",
        f"/items/{item.pk}/similar/",
        f"/estimate/?treatment={item.treatment or 'gabapentin'}",
        "/feed/?q=medical",
        "/api/stats",
    ):
        response = client.get(address)
        assert response.status_code == 503, address
        assert "cannot be read" in response.content.decode() or "index" in response.content.decode(), address
    for address in ("/cited/", "/export.csv"):
        assert client.get(address).status_code in (200, 503), address
    code, out = _check_index("--repair")
    assert code == 0 and "Rebuilding the index" in out
    _new_process()
    assert _all_items() == DecisionItem.objects.count()


def test_a_full_disk_fails_the_import_with_a_sentence_and_the_pages_say_the_index_is_behind(
    settings, admin_client, client, run_worker, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.SEARCH_BACKEND = "embedded"

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(store.root() / "x.npy"))

    real_write = integrity.write_array
    monkeypatch.setattr(integrity, "write_array", full)
    upload = SimpleUploadedFile(SEED_FILES[0].name, SEED_FILES[0].read_bytes())
    admin_client.post("/admin/decisions/determination/upload/", {"files": [upload]})
    run_worker()
    job = Job.objects.get(kind=Job.Kind.IMPORT)
    assert job.state == Job.State.FAILED and job.error.startswith("The disk is full")
    assert Determination.objects.count() == 1  # stored; not lost
    assert "not in search yet" not in client.get("/", {"q": "medical"}).content.decode()  # just stored
    monkeypatch.setattr(indexing, "CATCH_UP_AFTER", indexing.timedelta(0))  # ... and a while later
    page = client.get("/", {"q": "medical"}).content.decode()
    assert "1 letter stored recently is not in search yet" in page
    monkeypatch.setattr(integrity, "write_array", real_write)  # space freed
    tasks.upkeep()
    assert "not in search yet" not in client.get("/", {"q": "medical"}).content.decode()
    assert _all_items() == DecisionItem.objects.count()


@pytest.mark.django_db(transaction=True)
def test_two_rebuilds_at_once_both_finish_and_leave_one_whole_index(settings):
    settings.SEARCH_BACKEND = "embedded"
    importing.import_candidates(importing.candidates_from_paths(SEED_FILES))
    ids = list(Determination.objects.values_list("pk", flat=True))
    failures = []

    def rebuild():
        try:
            search.backend().rebuild(ids)
        except Exception as failure:  # noqa: BLE001 - the test reports any
            failures.append(failure)

    threads = [threading.Thread(target=rebuild) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert _all_items() == DecisionItem.objects.count()
    assert indexing.compare().in_step


def test_a_second_rebuild_asked_for_says_one_is_under_way(seeded, admin_client):
    first = admin_client.post("/admin/decisions/job/start/rebuild/")
    second = admin_client.post("/admin/decisions/job/start/rebuild/", follow=True)
    assert Job.objects.filter(kind=Job.Kind.REBUILD).count() == 1
    assert first.url == second.redirect_chain[-1][0]
    assert "already under way" in second.content.decode()
    out = StringIO()
    call_command("rebuild_index", stdout=out)
    assert "is under way; this rebuild starts when it has finished" in out.getvalue()


def test_every_file_is_on_disk_before_anything_names_it(settings, monkeypatch):
    """Each segment file and its folder fsynced before the folder is renamed into place; the
    manifest fsynced before it replaces MANIFEST.json."""
    settings.SEARCH_BACKEND = "embedded"
    synced, renamed = [], []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor):
        synced.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        real_fsync(descriptor)

    def replace(source, target):
        renamed.append((str(source), str(target), len(synced)))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    importing.import_candidates(importing.candidates_from_paths(SEED_FILES[:1]))
    building, _, before = next(event for event in renamed if event[0].endswith(".building"))
    assert {f"{building}/item_id.npy", f"{building}/meta.json", building} <= set(synced[:before])
    temporary, _, before = next(event for event in renamed if event[1].endswith(f"/{store.MANIFEST}"))
    assert temporary in synced[:before]


def test_the_worker_mends_a_damaged_index_by_itself_once(letters, run_worker):
    victim = letters[1]
    _cut(_folder_of(victim) / "item_id.npy", 100)
    _new_process()
    tasks.upkeep()
    tasks.upkeep()  # a second look while the first mend waits: no second job
    assert Job.objects.filter(kind=Job.Kind.REPAIR).count() == 1
    run_worker()
    job = Job.objects.get(kind=Job.Kind.REPAIR)
    assert job.state == Job.State.DONE, job.error
    assert "taken out" in job.summary["what was mended"] and job.summary["letters written again"] == 1
    assert search.backend().health().sound
    assert _items_by_case_number(victim) == _items_of(victim)
    tasks.upkeep()
    assert Job.objects.filter(kind=Job.Kind.REPAIR).count() == 1


def test_a_worker_starts_on_a_damaged_index(letters):
    _cut(_folder_of(letters[0]) / "item_id.npy", 100)
    _new_process()
    search.backend().warm()  # gunicorn's post_worker_init: no exception, so the worker boots
    (store.store().path(force=True) / store.MANIFEST).write_bytes(b"")
    for _, copy in store.manifest_copies(store.store().path(force=True)):
        copy.write_bytes(b"")
    _new_process()
    search.backend().warm()


def test_foreign_files_in_a_segment_folder_are_not_read(letters):
    folder = _folder_of(letters[0])
    numpy.save(folder / "planted.npy", numpy.arange(5))
    (folder / "notes.txt").write_text("hello")
    _new_process()
    assert search.backend().health().sound
    assert _all_items() == DecisionItem.objects.count()
    assert jobs.heal_index() is None


def test_a_served_site_stays_up_on_a_cut_index_file_restarts_and_mends_with_its_worker(tmp_path):
    """As found: gunicorn workers died of SIGBUS on a cut item_id.npy, and none would boot again."""
    import json
    import subprocess
    import time
    import urllib.request

    from tests import servers

    environment = servers.own_site(tmp_path, "admin", "a-long-test-password-9")
    for path in SEED_FILES:  # a segment each
        servers.manage(environment, "import_determinations", str(path), "--wait")

    def get(base, address):
        with urllib.request.urlopen(base + address, timeout=30) as response:
            return response.status, response.read().decode()

    index = tmp_path / "index"
    live = index / (index / store.POINTER).read_text()
    victim = sorted((live / "segments").iterdir())[1]
    with servers.gunicorn(environment, workers=2) as (base, master):
        workers = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
        assert get(base, "/?q=medical")[0] == 200
        whole = json.loads(get(base, "/api/items")[1])["count"]
        _cut(victim / "item_id.npy", 100)
        for _ in range(20):  # every worker, several times
            status, page = get(base, "/?q=medical")
            assert status == 200 and "Part of the search index is damaged" in page
        assert (
            subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
            == workers
        )
    with servers.gunicorn(environment, workers=2) as (base, _):  # a start on the damaged index
        status, page = get(base, "/?q=medical")
        assert status == 200 and "Part of the search index is damaged" in page
        with servers.worker(environment):
            deadline = time.monotonic() + 60
            while "damaged" in get(base, "/?q=medical")[1]:
                assert time.monotonic() < deadline, "the worker never mended the index"
                time.sleep(0.5)
        api = json.loads(get(base, "/api/items")[1])
        assert api["count"] == whole and api["notices"] == []  # no moment answers part without saying
