"""Two web servers and a worker on one PostgreSQL database with SEARCH_BACKEND=postgres: a letter
uploaded through one is found through the other (CI's PostgreSQL run); and a site reading from a
hot standby of its database finds a letter imported through the primary."""

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.letters import SEED_FILES
from tests.servers import admin_browser, free_port, gunicorn, manage, site_environment, upload, worker

pytestmark = pytest.mark.django_db(transaction=True)


def _count(base, text):
    with urllib.request.urlopen(
        f"{base}/api/items?{urllib.parse.urlencode({'q': text})}", timeout=30
    ) as response:
        return json.loads(response.read())["count"]


@pytest.mark.parametrize("shared", ["postgres", "embedded"], ids=["postgres search", "shared embedded index"])
def test_a_letter_uploaded_through_one_server_is_found_through_the_other(django_user_model, tmp_path, shared):
    """Either the PostgreSQL backend every server reads in place, or each server's own copy of the
    embedded index, written by whichever worker imports the letter and copied by every other."""
    if connection.vendor != "postgresql":
        pytest.skip("several servers share a PostgreSQL database (CI's second run)")
    django_user_model.objects.create_superuser("editor", "editor@example.org", "a long test password 4U")
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    url = f"postgres://{settings['USER']}@{host}:{port}/{settings['NAME']}"
    environment = site_environment(DATABASE_URL=url, SEARCH_BACKEND=shared)
    servers = [environment, environment]
    if shared == "embedded":
        servers = [
            {**environment, "SEARCH_INDEX_SHARED": "1", "SEARCH_INDEX_DIR": str(tmp_path / name)}
            for name in ("first", "second")
        ]
    with (
        gunicorn(servers[0], workers=1) as (first, _),
        gunicorn(servers[1], workers=1) as (second, _),
        worker(servers[0]),
        worker(servers[1]),
    ):
        assert _count(second, "Zanaflex") == 0
        browser = admin_browser(first, "editor", "a long test password 4U")
        page, _ = upload(browser, first, "zanaflex.txt", SEED_FILES[1].read_bytes())
        assert "Upload saved" in page
        assert _wait_for(lambda: _count(second, "Zanaflex") == 1)  # imported in the background
        assert _wait_for(lambda: _count(first, "Zanaflex") == 1)


def _postgres_programs():
    """PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup), or None."""
    try:
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    folder = Path(found.stdout.strip())
    return folder if all((folder / name).exists() for name in ("initdb", "pg_ctl", "pg_basebackup")) else None


def _run(command, check=True):
    """PostgreSQL refuses to run as root: as root, its programs run as the postgres user."""
    as_server_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*as_server_user, *command], check=check, capture_output=True, timeout=120)


def _owned_by_server_user(folder):
    folder.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    return folder


@contextlib.contextmanager
def _server(programs, data, port):
    """A PostgreSQL server on its own data directory and port (fsync off: a test's throwaway)."""
    with (data / "postgresql.auto.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{data}'\n"
            "fsync = off\nmax_wal_senders = 4\nhot_standby = on\n"
        )
    pg_ctl = [str(programs / "pg_ctl"), "-D", str(data), "-w"]
    _run([*pg_ctl, "-l", str(data / "log"), "start"])
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/imr", lambda: _run([*pg_ctl, "-m", "fast", "stop"])
    finally:
        _run([*pg_ctl, "-m", "immediate", "stop"], check=False)  # unless the test stopped it


def _wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
    return condition()


def test_a_site_searching_a_hot_standby_finds_a_letter_imported_through_the_primary():
    programs = _postgres_programs()
    if programs is None:
        pytest.skip(
            "PostgreSQL's server programs (pg_config --bindir: initdb, pg_ctl, pg_basebackup) are not here"
        )
    root = _owned_by_server_user(Path(tempfile.mkdtemp(prefix="imr_pg_helper_replica_")))
    primary_data, standby_data = _owned_by_server_user(root / "primary"), root / "standby"
    try:
        _run([str(programs / "initdb"), "-D", str(primary_data), "-U", "postgres", "--auth=trust"])
        primary_port, standby_port = free_port(), free_port()
        with _server(programs, primary_data, primary_port) as (primary, stop_primary):
            _run(["createdb", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres", "imr"])
            _run(
                [
                    str(programs / "pg_basebackup"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(primary_port),
                    "-U",
                    "postgres",
                ]
                + ["-D", str(standby_data), "-R", "-X", "stream", "--checkpoint=fast"]
            )
            with _server(programs, standby_data, standby_port) as (standby, _):
                environment = site_environment(
                    DATABASE_URL=primary,
                    DATABASE_REPLICA_URLS=standby,
                    SEARCH_BACKEND="postgres",
                    IMR_VAR_DIR=str(root / "var"),
                )
                manage(environment, "migrate", "--noinput", "-v0")
                with gunicorn(environment, workers=1) as (base, _):
                    assert _count(base, "Zanaflex") == 0
                    letters = root / "letters"
                    letters.mkdir()
                    shutil.copy(SEED_FILES[1], letters / "zanaflex.txt")
                    manage(environment, "import_determinations", "--wait", str(letters))
                    assert _wait_for(lambda: _count(base, "Zanaflex") == 1)  # once the standby replays it
                    stop_primary()
                    assert _count(base, "Zanaflex") == 1  # the primary is down: the search read the standby
    finally:
        shutil.rmtree(root, ignore_errors=True)
