"""Settings come from the environment; a bad value is one clear line, and production passes check --deploy."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from imr_site import env
from tests.letters import REPO


def _manage(*args, **environment):
    base = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "SECRET_KEY",
            "DATABASE_URL",
            "DATABASE_REPLICA_URLS",
            "ALLOWED_HOSTS",
            "HTTPS",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "environment, message",
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a yes/no value"),
        ({"DEBUG": "0", "IMR_VAR_DIR": "/nonexistent-var"}, "SECRET_KEY must be set when DEBUG is off"),
        (
            {"DEBUG": "1", "DATABASE_URL": "mysql://root@localhost/imr"},
            "only SQLite and PostgreSQL are supported",
        ),
        ({"DEBUG": "1", "DATABASE_URL": "not a url"}, "is not a database URL"),
        (
            {"DEBUG": "1", "DATABASE_REPLICA_URLS": "postgres://imr@replica:5432/imr"},
            "DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL",
        ),
        (
            {
                "DEBUG": "1",
                "DATABASE_URL": "postgres://imr@primary:5432/imr",
                "DATABASE_REPLICA_URLS": "postgres://imr@replica:5432/imr, sqlite:///copy.sqlite3",
            },
            "DATABASE_REPLICA_URLS='sqlite:///copy.sqlite3' is not a PostgreSQL URL",
        ),
        ({"DEBUG": "1", "IMR_MAX_UPLOAD_BYTES": "lots"}, "IMR_MAX_UPLOAD_BYTES='lots' is not a whole number"),
        (
            {"DEBUG": "1", "SEARCH_INDEX_SHARED": "sometimes"},
            "SEARCH_INDEX_SHARED='sometimes' is not a yes/no",
        ),
        (
            {
                "DEBUG": "1",
                "DATABASE_URL": "postgres://imr@db:5432/imr",
                "SEARCH_BACKEND": "postgres",
                "SEARCH_INDEX_SHARED": "1",
            },
            "SEARCH_INDEX_SHARED shares the embedded index, and SEARCH_BACKEND=postgres has none",
        ),
    ],
)
def test_bad_environment_is_one_clear_line(environment, message):
    result = _manage("check", **environment)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "s3cr3t-" + "Q7x" * 11,  # 40 characters: Django's deployment check calls under 50 weak (W009)
        "ab" * 40,  # long, but two different characters
        "django-insecure-" + "k9Vq2mZ" * 8,  # Django's prefix for keys it made up itself
    ],
)
def test_a_key_djangos_deployment_check_calls_weak_stops_start_up(key, tmp_path):
    result = _manage("check", DEBUG="0", SECRET_KEY=key, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "SECRET_KEY is weak" in result.stderr and "at least 50 characters" in result.stderr


def test_links_in_emails_follow_the_port_the_site_serves_on(tmp_path):
    shown = "from django.conf import settings; print(settings.SITE_URL)"
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    served = _manage("shell", "-c", shown, DEBUG="1", PORT="8123", DATABASE_URL=database)
    assert served.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8123", served.stderr
    named = _manage(
        "shell",
        "-c",
        shown,
        DEBUG="1",
        PORT="8123",
        SITE_URL="https://imr.example.org",
        DATABASE_URL=database,
    )
    assert named.stdout.strip().splitlines()[-1] == "https://imr.example.org"
    assert env.served_at("0.0.0.0", 9000) == "http://127.0.0.1:9000"
    assert env.served_at("imr.internal", None) == "http://imr.internal:8000"
    bad = _manage("check", DEBUG="1", PORT="eighty", DATABASE_URL=database)
    assert bad.returncode == 2 and "PORT='eighty' is not a whole number" in bad.stderr


def test_production_settings_pass_check_deploy(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="a-production-secret-" + "x7Q9" * 12,
        ALLOWED_HOSTS="imr.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "raw, expected", [("1", True), ("yes", True), ("On", True), ("0", False), ("false", False), ("", False)]
)
def test_flags(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env.flag("SOME_FLAG", default=not expected) is expected


def test_database_url_for_postgres(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/imr")
    config = env.database("sqlite:///unused")
    assert (config["ENGINE"], config["NAME"], config["HOST"]) == (
        "django.db.backends.postgresql",
        "imr",
        "127.0.0.1",
    )


def test_integer_bounds(monkeypatch):
    monkeypatch.setenv("LIMIT", "5")
    with pytest.raises(ImproperlyConfigured, match="at least 10"):
        env.integer("LIMIT", 100, minimum=10)


def test_the_old_names_of_the_embedded_backend_still_work_for_a_release_with_a_warning(monkeypatch, tmp_path):
    """The backend was named `whoosh` though its index is its own; a deployment set up with the
    old names must keep its index and be told the new ones."""
    monkeypatch.setenv("SEARCH_BACKEND", "whoosh")
    with pytest.warns(FutureWarning, match="SEARCH_BACKEND=whoosh is now SEARCH_BACKEND=embedded"):
        assert env.search_backend({"ENGINE": "django.db.backends.sqlite3"}) == "embedded"
    monkeypatch.delenv("SEARCH_INDEX_DIR", raising=False)
    monkeypatch.setenv("WHOOSH_INDEX_DIR", str(tmp_path / "old"))
    with pytest.warns(FutureWarning, match="WHOOSH_INDEX_DIR is now SEARCH_INDEX_DIR"):
        assert env.search_index_dir(tmp_path) == tmp_path / "old"
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "new"))
    assert env.search_index_dir(tmp_path) == tmp_path / "new"  # the new name wins, silently


def test_an_index_built_where_earlier_releases_kept_it_is_used_where_it_is(monkeypatch, tmp_path):
    monkeypatch.delenv("SEARCH_INDEX_DIR", raising=False)
    monkeypatch.delenv("WHOOSH_INDEX_DIR", raising=False)
    assert env.search_index_dir(tmp_path) == tmp_path / "search_index"
    (tmp_path / "whoosh_index").mkdir()
    with pytest.warns(FutureWarning, match="move it there"):
        assert env.search_index_dir(tmp_path) == tmp_path / "whoosh_index"
    (tmp_path / "search_index").mkdir()
    assert env.search_index_dir(tmp_path) == tmp_path / "search_index"
