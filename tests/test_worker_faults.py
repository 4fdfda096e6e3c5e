"""Faults done for real, with processes, on a site of its own (an SQLite file, its own index and
folders): kill -9 of the worker in the middle of a job, kill -9 of a web worker during an upload,
two workers running three jobs at once while searches go on."""

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from benchmarks import corpus
from tests.letters import REPO
from tests.servers import admin_browser, gunicorn, manage, own_site, upload, upload_request, worker

PASSWORD = "a long test password 4U"


@pytest.fixture
def site(tmp_path):
    environment = own_site(tmp_path, "editor", PASSWORD)
    environment["TEST_DATABASE_FILE"] = str(tmp_path / "db.sqlite3")
    return environment


def _letters(folder, count, first=1):
    folder.mkdir()
    for name, text in list(corpus.letters(count + first - 1))[first - 1 :]:
        (folder / name).write_text(text)
    return folder


def _rows(site, sql):
    with sqlite3.connect(f"file:{site['TEST_DATABASE_FILE']}?mode=ro", uri=True, timeout=30) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql)]


def _jobs(site):
    return _rows(site, "SELECT * FROM decisions_job ORDER BY id")


def _wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds}s for {what}"
        time.sleep(0.1)


def _check_index(site):
    result = subprocess.run(
        [sys.executable, "manage.py", "check_index"], cwd=REPO, env=site, capture_output=True, text=True
    )
    return result.returncode, result.stdout


def _children(pid):
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(child) for child in found.split()]


def _alive(pid):
    """Running, not a zombie nobody has reaped yet."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _letter_count(site):
    return _rows(site, "SELECT count(*) AS n FROM decisions_determination")[0]["n"]


def test_kill_9_of_the_worker_mid_job_then_restart_resumes_it(site, tmp_path):
    letters = _letters(tmp_path / "inbox", 1500)
    manage(site, "import_determinations", str(letters))
    with worker(site) as first:
        # Past the first 500 letters, the index is taking them in its own process as the next are stored.
        _wait_for(lambda: _jobs(site)[0]["files_done"] >= 600, 120, "the import to get going")
        helpers = _children(first.pid)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    assert len(helpers) >= 3, "the worker parses in two processes of its own and indexes in a third"
    _wait_for(lambda: not any(_alive(pid) for pid in helpers), 10, "its helper processes to die with it")
    killed = _jobs(site)[0]
    assert killed["state"] == "running" and 600 <= killed["files_done"] < 1500
    with worker(site):
        _wait_for(lambda: _jobs(site)[0]["state"] == "done", 300, "the resumed job to finish")
    job = _jobs(site)[0]
    assert (job["files_done"], job["imported"], job["duplicates"], job["failed"]) == (1500, 1500, 0, 0)
    assert _letter_count(site) == 1500
    positions = _rows(site, "SELECT count(DISTINCT position) AS n, count(*) AS m FROM decisions_jobfile")[0]
    assert positions == {"n": 1500, "m": 1500}
    code, report = _check_index(site)
    assert code == 0 and "In step." in report, report


def test_sigterm_stops_the_worker_within_a_step_and_the_job_waits_for_the_next(site, tmp_path):
    letters = _letters(tmp_path / "inbox", 1000)
    manage(site, "import_determinations", str(letters))
    with worker(site) as first:
        _wait_for(lambda: _jobs(site)[0]["files_done"] >= 100, 120, "the import to get going")
        first.terminate()
        first.wait(timeout=30)
    stopped = _jobs(site)[0]
    assert stopped["state"] == "queued" and stopped["files_done"] < 1000
    with worker(site):
        _wait_for(lambda: _jobs(site)[0]["state"] == "done", 300, "the job to finish")
    assert _jobs(site)[0]["imported"] == 1000 and _letter_count(site) == 1000
    assert _check_index(site)[0] == 0


def test_kill_9_of_a_web_worker_during_an_upload_loses_nothing(site, tmp_path):
    letters = dict(corpus.letters(40))
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, text in letters.items():
            bundle.writestr(name, text)
    data = archive.read_bytes()
    with gunicorn(site, workers=1) as (base, master):
        browser = admin_browser(base, "editor", PASSWORD)
        url, body, headers = upload_request(browser, base, "batch.zip", data)
        parsed = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        jar = next(h for h in browser.handlers if hasattr(h, "cookiejar")).cookiejar
        connection.putrequest("POST", parsed.path)
        for name, value in {
            **headers,
            "Content-Length": str(len(body)),
            "Cookie": "; ".join(f"{c.name}={c.value}" for c in jar),
        }.items():
            connection.putheader(name, value)
        connection.endheaders()
        connection.send(body[: len(body) // 2])
        time.sleep(0.5)
        web_workers = subprocess.run(
            ["pgrep", "-P", str(master)], capture_output=True, text=True
        ).stdout.split()
        assert web_workers
        for pid in web_workers:
            os.kill(int(pid), signal.SIGKILL)
        with pytest.raises(OSError):
            connection.send(body[len(body) // 2 :])
            connection.getresponse().read()
        assert _jobs(site) == [] and _letter_count(site) == 0
        # The master starts a new worker; the same upload, sent whole, goes through.
        _wait_for(lambda: _answers(base), 60, "gunicorn to start a new worker")
        browser = admin_browser(base, "editor", PASSWORD)
        page, job_url = upload(browser, base, "batch.zip", data)
        assert "Upload saved" in page and "/admin/decisions/job/" in job_url
        with worker(site):
            _wait_for(lambda: _jobs(site)[0]["state"] == "done", 120, "the import job")
    assert _jobs(site)[0]["imported"] == 40 and _letter_count(site) == 40
    code, report = _check_index(site)
    assert code == 0, report


def _answers(base):
    try:
        urllib.request.urlopen(f"{base}/api/", timeout=2).read()
        return True
    except OSError:
        return False


def _search(base, text):
    started = time.monotonic()
    with urllib.request.urlopen(
        f"{base}/api/items?{urllib.parse.urlencode({'q': text})}", timeout=30
    ) as reply:
        return reply.status, json.loads(reply.read())["count"], time.monotonic() - started


def test_two_workers_three_jobs_at_once_while_searches_go_on(site, tmp_path):
    first = _letters(tmp_path / "first", 300)
    second = _letters(tmp_path / "second", 200, first=301)
    manage(site, "import_determinations", str(first))
    manage(site, "import_determinations", str(first))  # the same files again, at the same time
    manage(site, "import_determinations", str(second))
    answers = []
    with gunicorn(site, workers=1) as (base, _), worker(site), worker(site):
        while not all(job["state"] == "done" for job in _jobs(site)):
            answers.append(_search(base, "medically necessary"))
            time.sleep(0.05)
        answers.append(_search(base, "medically necessary"))
    one, again, other = _jobs(site)
    assert one["imported"] + again["imported"] == 300 and one["duplicates"] + again["duplicates"] == 300
    assert other["imported"] == 200 and _letter_count(site) == 500
    assert all(status == 200 for status, _, _ in answers)
    counts = [count for _, count, _ in answers]
    assert counts == sorted(counts) and counts[-1] > 0, "new letters appear as they land, never go away"
    code, report = _check_index(site)
    assert code == 0, report
