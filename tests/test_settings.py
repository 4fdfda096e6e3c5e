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
        ({"DEBUG": "1", "IMR_MAX_UPLOAD_BYTES": "lots"}, "IMR_MAX_UPLOAD_BYTES='lots' is not a whole number"),
    ],
)
def test_bad_environment_is_one_clear_line(environment, message):
    result = _manage("check", **environment)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


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
