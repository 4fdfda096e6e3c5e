"""Background jobs and the index outbox, in one process: resume after a crash, cancel, retry, failures,
uploads that cannot be saved, rebuilds that miss nothing, and check_index."""

import contextlib
import errno
import io
import socket
import threading
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from benchmarks import corpus
from decisions import importing, indexing, jobs, search, tasks
from decisions.models import DecisionItem, Determination, IndexChange, Job, JobFile
from decisions.search import query
from tests.letters import SEED_FILES

pytestmark = pytest.mark.django_db
UPLOAD = "/admin/decisions/determination/upload/"
DEAD_WORKER = f"{socket.gethostname()}:999999999:dead"  # this host, a process that is not there


@pytest.fixture
def folder(tmp_path):
    """30 generated letters, imported 10 per batch by the jobs below."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, text in corpus.letters(30):
        (inbox / name).write_text(text)
    return inbox


@pytest.fixture
def small_batches(monkeypatch):
    original = importing.import_batches
    monkeypatch.setattr(
        importing, "import_batches", lambda *args, **kwargs: original(*args, **{**kwargs, "batch_size": 10})
    )


def _in_step():
    comparison = indexing.compare()
    return comparison.in_step and comparison.database == DecisionItem.objects.count() > 0


def _die_after(monkeypatch, steps):
    """Make the job's process 'die' (an exception nothing catches) after `steps` committed steps."""
    real_report = jobs._Run.report
    calls = {"n": 0}

    def report(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > steps:
            raise KeyboardInterrupt("worker killed")
        real_report(self, *args, **kwargs)

    monkeypatch.setattr(jobs._Run, "report", report)


def test_an_interrupted_import_resumes_where_it_stopped(folder, small_batches, monkeypatch, run_worker):
    job = jobs.start_import([folder], "test", queue=False)
    assert job.files_total == 30
    _die_after(monkeypatch, 3)  # the start, two batches of 10; it dies reporting the third
    with pytest.raises(KeyboardInterrupt):
        jobs.run(job.pk)
    monkeypatch.undo()
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING and job.files_done == 20
    # The third batch's letters were stored, but their results not committed.
    assert Determination.objects.count() == 30
    Job.objects.filter(pk=job.pk).update(worker=DEAD_WORKER)  # its worker is gone
    assert jobs.recover() == [job.pk]
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert (job.files_done, job.imported, job.duplicates, job.failed) == (30, 30, 0, 0)
    assert sorted(job.files.values_list("position", flat=True)) == list(range(30))
    assert Determination.objects.count() == 30 and _in_step()
    assert job.files.filter(detail="stored before the job was resumed").count() == 10


def test_a_job_held_by_a_live_worker_is_left_alone(folder):
    job = jobs.start_import([folder], "test")
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, worker=jobs.worker_name())
    assert jobs.recover() == []


def test_a_queued_job_whose_task_was_lost_gets_a_new_one(folder, run_worker):
    job = jobs.start_import([folder], "test")
    DBTaskResult.objects.all().delete()
    assert jobs.recover() == [job.pk]
    run_worker()
    assert Job.objects.get(pk=job.pk).state == Job.State.DONE


def test_cancel_stops_a_running_job_and_retry_goes_on(folder, small_batches, run_worker):
    job = jobs.start_import([folder], "test", queue=False)
    state = jobs.run(job.pk, on_progress=jobs.cancel)
    job.refresh_from_db()
    assert state == Job.State.CANCELLED == job.state and 0 < job.files_done < 30
    assert jobs.retry(job)
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.imported == 30 and _in_step()


def test_cancel_of_a_queued_job_is_at_once(folder, run_worker):
    job = jobs.start_import([folder], "test")
    jobs.cancel(job)
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.CANCELLED and job.files_done == 0 and not Determination.objects.exists()


def test_a_job_whose_every_file_fails_says_why_for_each(admin_client, run_worker):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.pdf", b"%PDF-1.4 broken")
        archive.writestr("b.txt", b"not a letter at all")
        archive.writestr("c.docx", b"PK\x05\x06" + bytes(18))
    response = admin_client.post(UPLOAD, {"files": [SimpleUploadedFile("bad.zip", buffer.getvalue())]})
    run_worker()
    job = Job.objects.get()
    assert job.state == Job.State.DONE and (job.failed, job.imported) == (3, 0)
    html = admin_client.get(response.url + "?status=failed").content.decode()
    assert html.count('class="result-failed"') == 3
    assert "PDF could not be read" in html and "unsupported file type" in html


def test_a_zero_byte_upload_is_refused_with_a_reason(admin_client):
    html = admin_client.post(UPLOAD, {"files": [SimpleUploadedFile("empty.pdf", b"")]}).content.decode()
    assert "The submitted file is empty." in html
    assert not Job.objects.exists()


def test_an_upload_that_cannot_be_saved_leaves_nothing_behind(admin_client, settings, monkeypatch):
    real_open = Path.open

    def full_disk(self, mode="r", *args, **kwargs):
        if "x" in mode:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", full_disk)
    html = admin_client.post(
        UPLOAD, {"files": [SimpleUploadedFile("a.txt", SEED_FILES[0].read_bytes())]}
    ).content.decode()
    assert "could not be saved, so nothing was imported" in html and "No space left on device" in html
    assert not Job.objects.exists() and not list(Path(settings.IMR_UPLOAD_DIR).iterdir())


def test_a_store_that_fails_fails_its_letters_not_the_job(folder, monkeypatch, run_worker):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(importing, "_write_rows", no_space)
    job = jobs.start_import([folder], "test")
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.failed == 30 and not Determination.objects.exists()
    assert "No space left on device" in job.files.first().detail
    monkeypatch.undo()
    again = jobs.start_import([folder], "again")  # the files are still there to import
    run_worker()
    assert Job.objects.get(pk=again.pk).imported == 30 and _in_step()


def test_two_jobs_of_the_same_files_store_each_letter_once(folder, run_worker):
    first, second = jobs.start_import([folder], "one"), jobs.start_import([folder], "two")
    run_worker()
    first.refresh_from_db(), second.refresh_from_db()
    assert first.imported + second.imported == 30 and first.duplicates + second.duplicates == 30
    assert Determination.objects.count() == 30 and _in_step()


def test_an_index_write_that_fails_is_caught_up_by_the_worker(monkeypatch):
    backend = search.backend()
    monkeypatch.setattr(type(backend), "index", lambda self, ids: (_ for _ in ()).throw(OSError("disk")))
    with pytest.raises(OSError):
        importing.import_candidates([importing.Candidate("a.txt", SEED_FILES[0].read_bytes())])
    monkeypatch.undo()
    assert Determination.objects.count() == 1 and IndexChange.objects.filter(applied=False).count() == 1
    assert not indexing.compare().in_step
    tasks.upkeep()  # too fresh: left to whoever made the change, for now
    assert IndexChange.objects.filter(applied=False).exists()
    IndexChange.objects.update(created_at=timezone.now() - indexing.CATCH_UP_AFTER)
    tasks.upkeep()
    assert _in_step() and not IndexChange.objects.filter(applied=False).exists()


def test_a_deleted_letter_leaves_the_index(seeded, django_capture_on_commit_callbacks):
    letters = Determination.objects.filter(source_name=SEED_FILES[0].name)
    with pytest.raises(RuntimeError), transaction.atomic():
        letters.get().delete()
        raise RuntimeError("rolled back")
    assert _in_step() and not IndexChange.objects.filter(applied=False).exists()
    with django_capture_on_commit_callbacks(execute=True):
        letters.get().delete()
    assert _in_step() and len(search.backend().indexed_ids()) == DecisionItem.objects.count() == 18


def test_check_index_finds_and_mends_a_difference(seeded, capsys):
    letter = Determination.objects.first()
    search.backend().remove([letter.pk])  # behind the outbox's back
    with pytest.raises(SystemExit):
        call_command("check_index")
    out = capsys.readouterr().out
    assert f"Missing from the index: {letter.items.count()}" in out and "differs" in out
    call_command("check_index", "--repair")
    assert "In step." in capsys.readouterr().out and _in_step()


def test_a_rebuild_replays_what_changed_while_it_ran(seeded, monkeypatch, run_worker):
    backend_class = type(search.backend())
    real_rebuild = backend_class.rebuild

    def rebuild_with_an_import_meanwhile(self, ids, progress=None, **kwargs):
        importing.import_candidates(
            [
                importing.Candidate(
                    "late.txt", SEED_FILES[0].read_text().replace("Baclofen", "Zorblaxil").encode()
                )
            ]
        )
        return real_rebuild(self, ids, progress=progress, **kwargs)

    monkeypatch.setattr(backend_class, "rebuild", rebuild_with_an_import_meanwhile)
    job = jobs.start(Job.Kind.REBUILD, "test")
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.DONE and _in_step()
    assert search.backend().search(query("zorblaxil")).total == 1


def test_reparse_every_letter_is_a_job_that_says_what_changed(admin_client, seeded, run_worker):
    first = Determination.objects.get(source_name=SEED_FILES[0].name)
    first.items.filter(position=1).update(outcome="upheld", treatment="")  # as an older parser had it
    first.items.filter(position=2).delete()
    response = admin_client.post("/admin/decisions/job/start/reparse/")
    run_worker()
    job = Job.objects.get()
    assert job.state == Job.State.DONE and job.imported == 3 and job.files_done == job.files_total == 3
    assert job.reported_summary == {
        "letters changed": 1,
        "items added": 1,
        "items removed": 0,
        "outcomes changed": 1,
        "treatments changed": 1,
        "layouts changed": 0,
        "dates filled": 0,
        "dates changed": 0,
        "items citing differently": 0,
        "partial authorizations found": 0,
        "items giving other reasons": 0,
        "letters that failed": 0,
    }
    assert first.items.count() == 2 and _in_step()
    page = admin_client.get(response.url).content.decode()
    assert "Re-parsed" in page and "2 items; was 1; 1 outcome(s) changed; 1 treatment(s) changed" in page


def test_a_letter_change_counts_what_a_reparse_changed():
    item = importing.ItemSnapshot
    chronic = ("chronic_pain", "", "chronic_pain", (63,), ())
    before = importing.LetterSnapshot(
        "standard",
        (None, None, date(2016, 1, 2), None, None),
        {1: item("upheld", "baclofen", (chronic,), reasons=("exceeds_guideline",)), 2: item("upheld", "")},
    )
    after = importing.LetterSnapshot(
        "legacy_2013",
        (date(2016, 2, 1), date(2016, 3, 1), date(2016, 1, 3), None, None),
        {
            1: item("overturned", "baclofen", (chronic,), reasons=("criteria_met",)),
            2: item("upheld", "gabapentin", (("acoem", "12", "acoem_12", (), (7,)),), partial=True),
            3: item("upheld", ""),
        },
    )
    change = importing.LetterChange.between(before, after)
    assert (change.items_before, change.items_after, change.outcomes_changed, change.treatments_changed) == (
        2,
        3,
        1,
        1,
    )
    assert (change.dates_filled, change.dates_changed, change.citations_changed, change.partial_found) == (
        2,
        1,
        1,
        1,
    )
    assert change.reasons_changed == 1 and change.format_changed and change.changed
    assert change.describe() == (
        "3 items; was 2; 1 outcome(s) changed; 1 treatment(s) changed; 2 date(s) filled; 1 date(s) changed; "
        "1 item(s) cite differently; 1 partial authorization(s) found; 1 item(s) give other reasons; "
        "layout changed"
    )
    same = importing.LetterChange.between(before, before)
    assert not same.changed and same.describe() == "2 items; unchanged"


def test_the_job_page_reloads_itself_only_while_the_job_runs(admin_client, folder, run_worker):
    job = jobs.start_import([folder], "test")
    page = admin_client.get(f"/admin/decisions/job/{job.pk}/change/").content.decode()
    assert 'http-equiv="refresh"' in page and "<progress" in page and "Cancel this job" in page
    run_worker()
    page = admin_client.get(f"/admin/decisions/job/{job.pk}/change/").content.decode()
    assert 'http-equiv="refresh"' not in page and "<strong>Done</strong>" in page
    assert admin_client.get("/admin/decisions/job/").status_code == 200
    assert admin_client.get("/admin/decisions/job/999/change/").status_code == 404
    assert admin_client.get("/admin/decisions/job/x/change/").status_code == 404


def test_the_index_panel_compares_and_mends_in_a_job(admin_client, seeded, run_worker):
    assert (
        "exactly the items of the database"
        in admin_client.get("/admin/decisions/job/index/").content.decode()
    )
    search.backend().remove([Determination.objects.first().pk])
    assert "differs from the database" in admin_client.get("/admin/decisions/job/index/").content.decode()
    response = admin_client.post("/admin/decisions/job/index/")
    job = Job.objects.get(kind=Job.Kind.REPAIR)
    assert response.url == f"/admin/decisions/job/{job.pk}/change/"
    assert "is under way" in admin_client.get("/admin/decisions/job/index/").content.decode()
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.summary["letters written again"] == 1
    assert _in_step()


def test_job_pages_need_staff(client, folder):
    job = jobs.start_import([folder], "test")
    assert client.get(f"/admin/decisions/job/{job.pk}/change/").status_code == 302
    assert client.post(f"/admin/decisions/job/{job.pk}/cancel/").status_code == 302
    assert Job.objects.get(pk=job.pk).state == Job.State.QUEUED


def test_deleting_a_job_removes_its_uploaded_files(
    admin_client, run_worker, django_capture_on_commit_callbacks
):
    admin_client.post(UPLOAD, {"files": [SimpleUploadedFile("a.txt", SEED_FILES[0].read_bytes())]})
    job = Job.objects.get()
    assert Path(job.upload_dir).is_dir()
    with django_capture_on_commit_callbacks(execute=True):
        job.delete()
    assert not Path(job.upload_dir).exists() and JobFile.objects.count() == 0


def test_a_worker_shutting_down_puts_its_job_back_in_the_queue(folder, small_batches, run_worker):
    job = jobs.start_import([folder], "test", queue=False)
    try:
        stop_after_a_batch = lambda running: running.files_done and jobs.interrupt()  # noqa: E731
        assert jobs.run(job.pk, on_progress=stop_after_a_batch) == Job.State.QUEUED
    finally:
        jobs._shutting_down.clear()
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and job.worker == "" and 0 < job.files_done < 30
    run_worker()  # the next worker takes it from its queued task
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.imported == 30 and _in_step()


def test_a_cancel_asked_for_before_a_crash_is_kept_when_the_job_resumes(folder, small_batches, run_worker):
    job = jobs.start_import([folder], "test")
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, worker=DEAD_WORKER, cancel_requested=True)
    assert jobs.recover() == [job.pk]
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.CANCELLED and job.files_done == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_finding_damage_at_once_start_one_mend(monkeypatch):
    """Each looks for index work under way, finds none, and starts one: unless the looking and the
    starting are one step, both start a mend (or a rebuild) of the same index."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database fails a second writer instead of making it wait")
    looked = threading.Barrier(2, timeout=5)
    original = jobs.index_work_under_way

    def slow_look():
        found = original()
        with contextlib.suppress(threading.BrokenBarrierError):
            looked.wait(timeout=1)  # the other looks meanwhile, unless it must wait its turn
        return found

    monkeypatch.setattr(jobs, "index_work_under_way", slow_look)
    started = []

    def start():
        try:
            started.append(jobs.start_index_work(Job.Kind.REPAIR, "Found by a worker")[1])
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(started) == [False, True]
    assert Job.objects.filter(kind__in=jobs.INDEX_WORK).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_bulk_import_leaves_postgresql_statistics_that_describe_the_archive(monkeypatch, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite plans without statistics")
    monkeypatch.setattr(jobs, "ANALYZE_AFTER_LETTERS", 3)
    job = jobs.start_import([str(path) for path in SEED_FILES], "three letters", queue=False)
    assert jobs.run(job.pk) == Job.State.DONE
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL AND relname IN "
            "('decisions_determination', 'decisions_decisionitem', 'decisions_indexchange')"
        )
        analysed = {row[0] for row in cursor.fetchall()}
    assert analysed == {"decisions_determination", "decisions_decisionitem", "decisions_indexchange"}
