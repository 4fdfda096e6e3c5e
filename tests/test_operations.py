"""The serve scripts as an operator runs them, each on a site of its own: the background worker is
started again however it dies, and twenty slow clients leave the site answering, behind nginx
(scripts/serve-production) and on the embedded server (scripts/serve). The figures (times of the
normal requests, load) are benchmarks/operations.py's; these tests check what works."""

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from benchmarks import corpus
from tests.letters import REPO
from tests.servers import free_port, manage, site_environment

SLOW_CLIENTS = 20


@contextlib.contextmanager
def served(script, folder, start_seconds=180, **settings):
    """(base URL, environment, the script's process) of a serve script running a site of its own
    (with no letters loaded unless IMR_SAMPLE_LETTERS says otherwise)."""
    port = free_port()
    environment = site_environment(
        IMR_VAR_DIR=str(folder / "var"),
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        SEARCH_INDEX_DIR=str(folder / "index"),
        PORT=str(port),
        **{"IMR_SAMPLE_LETTERS": "0", **settings},
    )
    log = open(folder / "serve.log", "w")  # noqa: SIM115 - closed below, after the process
    process = subprocess.Popen(
        [str(REPO / "scripts" / script)],
        cwd=REPO,
        env=environment,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/", timeout=2).read()
                break
            except OSError:
                assert process.poll() is None, (folder / "serve.log").read_text()[-2000:]
                assert time.monotonic() < deadline, f"{script} did not start"
                time.sleep(0.5)
        yield base, environment, process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        log.close()


def _workers(environment):
    """Process ids of this site's background workers (found by their own database)."""
    found = subprocess.run(
        ["pgrep", "-f", "manage.py run_worker"], capture_output=True, text=True
    ).stdout.split()
    mine = []
    for pid in map(int, found):
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to read
            if (
                f"DATABASE_URL={environment['DATABASE_URL']}".encode()
                in Path(f"/proc/{pid}/environ").read_bytes()
            ):
                mine.append(pid)
    return mine


def _wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"waited {seconds}s for {what}"
        time.sleep(0.2)
    return value


def _job_state(folder):
    with sqlite3.connect(f"file:{folder / 'db.sqlite3'}?mode=ro", uri=True, timeout=30) as db:
        return db.execute(
            "SELECT state, files_done, files_total FROM decisions_job ORDER BY id DESC"
        ).fetchone()


def test_scripts_serve_starts_the_background_worker_again_after_kill_9(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, text in corpus.letters(400):
        (inbox / name).write_text(text)
    with served("serve", tmp_path) as (_, environment, _):
        (first,) = _wait_for(lambda: _workers(environment), 60, "the background worker")
        os.kill(first, signal.SIGKILL)  # exit status 137: the loop used to end on it
        (second,) = _wait_for(
            lambda: [pid for pid in _workers(environment) if pid != first], 60, "a new worker"
        )
        manage(environment, "import_determinations", str(inbox))  # queued for the new worker
        _wait_for(lambda: _job_state(tmp_path)[0] == "running", 60, "the job to start")
        os.kill(second, signal.SIGKILL)  # killed in the middle of the job
        _wait_for(
            lambda: [pid for pid in _workers(environment) if pid not in (first, second)], 60, "a third worker"
        )
        state = _wait_for(
            lambda: (found := _job_state(tmp_path))[0] == "done" and found, 240, "the job to resume"
        )
        assert state[1:] == (400, 400)


def _slow_client(port, stop):
    """Headers sent a byte every half second, never finished while the test runs."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        for byte in b"GET /?q=pain HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 400:
            if stop.is_set():
                return
            try:
                sock.send(bytes([byte]))
            except OSError:
                return  # the front closed it: what it is for
            stop.wait(0.5)


@pytest.mark.parametrize("script", ["serve", "serve-production"])
def test_twenty_slow_clients_leave_the_site_answering(tmp_path, script):
    if script == "serve-production" and shutil.which("nginx") is None:
        pytest.skip("nginx is not installed (apt-get install nginx; .ci/install-packages does)")
    with served(script, tmp_path) as (base, _, _):
        port, stop = int(base.rsplit(":", 1)[1]), threading.Event()
        slow = [
            threading.Thread(target=_slow_client, args=(port, stop), daemon=True) for _ in range(SLOW_CLIENTS)
        ]
        for thread in slow:
            thread.start()
        try:
            time.sleep(2)  # every slow client connected and sending
            statuses = []
            for _ in range(6):
                with urllib.request.urlopen(f"{base}/?q=therapy", timeout=10) as response:
                    statuses.append(response.status)
            assert statuses == [200] * 6
        finally:
            stop.set()


def test_scripts_serve_opens_on_an_archive_big_enough_to_show_what_it_does(tmp_path):
    """Found on a fresh clone: it served 3 letters (sample_letters/ and ../shared/seeds/ hold the
    same three), and every chart and rate said "too few"."""
    with served("serve", tmp_path, IMR_SAMPLE_LETTERS="3000") as (base, _, _):
        with sqlite3.connect(f"file:{tmp_path / 'db.sqlite3'}?mode=ro", uri=True) as db:
            generated, real = db.execute(
                "SELECT sum(sample), sum(1 - sample) FROM decisions_determination"
            ).fetchone()
        assert generated == 3000
        real_letters = 150 if (REPO.parent / "shared" / "real" / "letters").is_dir() else 0
        assert real == 3 + real_letters  # the seeds, and the DWC's letters as posted
        page = urllib.request.urlopen(f"{base}/", timeout=30).read().decode()
        assert "3,000 generated sample letters</strong> are in this archive" in page
        assert (
            "generated sample</span>" in urllib.request.urlopen(f"{base}/?q=pain", timeout=30).read().decode()
        )
        real_only = json.loads(urllib.request.urlopen(f"{base}/api/items?letters=real", timeout=30).read())
        letters = {value["value"]: value["count"] for value in real_only["facets"]["letters"]}
        assert real_only["count"] == letters["real"] and letters["generated"] > 7000  # items of 3,000 letters
        insights = urllib.request.urlopen(f"{base}/insights/", timeout=30).read().decode()
        assert insights.count("too few") < insights.count("95% CI")  # the rates have decisions behind them
