"""Read settings from the environment, failing with one clear sentence per bad value."""

import os
import warnings
from pathlib import Path

import dj_database_url
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
    _check_secret_key,
)
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def flag(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a yes/no value; use 1/0, true/false, yes/no or on/off."
    )


def text_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [part.strip() for part in raw.split(",") if part.strip()]


def _bounded(name, default, minimum, convert, kind):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = convert(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not {kind}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum:g}.")
    return value


def integer(name, default, minimum=0):
    return _bounded(name, default, minimum, int, "a whole number")


def number(name, default, minimum=0.0):
    return _bounded(name, default, minimum, float, "a number")


SEARCH_BACKENDS = ("embedded", "postgres")
# Names of earlier releases, still accepted (with a warning) until the next one.
RENAMED_BACKENDS = {"whoosh": "embedded"}


def renamed(old, new):
    warnings.warn(
        f"{old} is now {new}; the old name works until the next release.", FutureWarning, stacklevel=3
    )


def search_backend(database):
    """SEARCH_BACKEND: embedded (the default) or postgres (needs a PostgreSQL DATABASE_URL)."""
    value = (os.environ.get("SEARCH_BACKEND") or "embedded").strip().lower()
    if value in RENAMED_BACKENDS:
        renamed(f"SEARCH_BACKEND={value}", f"SEARCH_BACKEND={RENAMED_BACKENDS[value]}")
        value = RENAMED_BACKENDS[value]
    if value not in SEARCH_BACKENDS:
        raise ImproperlyConfigured(f"SEARCH_BACKEND={value!r} is not one of: {', '.join(SEARCH_BACKENDS)}.")
    if value == "postgres" and not database["ENGINE"].endswith("postgresql"):
        raise ImproperlyConfigured(
            "SEARCH_BACKEND=postgres needs a PostgreSQL DATABASE_URL "
            "(postgres://user@host:5432/name); this one is SQLite."
        )
    return value


def search_index_shared(backend):
    """SEARCH_INDEX_SHARED: each server's copy of the embedded index kept from the database."""
    shared = flag("SEARCH_INDEX_SHARED", False)
    if shared and backend != "embedded":
        raise ImproperlyConfigured(
            f"SEARCH_INDEX_SHARED shares the embedded index, and SEARCH_BACKEND={backend} has none "
            "(every server reads its search table in place): set one of them, not both."
        )
    return shared


def search_index_dir(var_dir):
    """SEARCH_INDEX_DIR, else the old WHOOSH_INDEX_DIR; with neither, var/search_index, or the
    var/whoosh_index an earlier release built, so a deployment keeps one index folder (an index of
    an older format is rebuilt in it, as anywhere) until it is moved."""
    if value := os.environ.get("SEARCH_INDEX_DIR"):
        return Path(value)
    if value := os.environ.get("WHOOSH_INDEX_DIR"):
        renamed("WHOOSH_INDEX_DIR", "SEARCH_INDEX_DIR")
        return Path(value)
    earlier, folder = var_dir / "whoosh_index", var_dir / "search_index"
    if earlier.is_dir() and not folder.exists():
        renamed(f"The search index folder {earlier}", f"{folder} (move it there, or set SEARCH_INDEX_DIR)")
        return earlier
    return folder


def served_at(host, port):
    """The URL of a site bound to host:port (an address on every interface is reached locally)."""
    host = (host or "").strip()
    if host in {"", "0.0.0.0", "::", "[::]"}:
        host = "127.0.0.1"
    return f"http://{host}:{port or 8000}"


def _database_url(name, url):
    try:
        config = dj_database_url.parse(url, conn_max_age=60)
    except Exception as error:  # dj_database_url raises several types for a bad URL
        raise ImproperlyConfigured(
            f"{name}={url!r} is not a database URL ({error}); "
            "expected e.g. sqlite:///path/db.sqlite3 or postgres://user@127.0.0.1:5432/name."
        ) from None
    if config.get("ENGINE") not in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}:
        raise ImproperlyConfigured(f"{name}={url!r}: only SQLite and PostgreSQL are supported.")
    return config


def database(default_url):
    return _database_url("DATABASE_URL", os.environ.get("DATABASE_URL") or default_url)


def database_replicas(primary):
    """DATABASE_REPLICA_URLS: PostgreSQL streaming replicas of DATABASE_URL, comma-separated, as
    databases replica1, replica2, ... (searches and pages read from them; see decisions/replicas.py)."""
    urls = text_list("DATABASE_REPLICA_URLS", [])
    if urls and not primary["ENGINE"].endswith("postgresql"):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL (replicas are PostgreSQL streaming "
            "replicas of it); this one is SQLite."
        )
    replicas = {}
    for number, url in enumerate(urls, 1):
        config = _database_url("DATABASE_REPLICA_URLS", url)
        if not config["ENGINE"].endswith("postgresql"):
            raise ImproperlyConfigured(
                f"DATABASE_REPLICA_URLS={url!r} is not a PostgreSQL URL (postgres://user@host:5432/name)."
            )
        config["TEST"] = {"MIRROR": "default"}  # tests read the primary's test database through it
        replicas[f"replica{number}"] = config
    return replicas


def secret_key(debug, key_file):
    """SECRET_KEY from the environment, else the file scripts/serve writes, else (DEBUG only) a
    development key. Without DEBUG, a key Django's own deployment check would call weak (W009:
    short, few distinct characters, or Django's insecure prefix) is refused: it can be guessed
    and sessions forged."""
    key = os.environ.get("SECRET_KEY") or (key_file.read_text().strip() if key_file.is_file() else "")
    if key:
        if not debug and not _check_secret_key(key):
            raise ImproperlyConfigured(
                f"SECRET_KEY is weak ({len(key)} characters, {len(set(key))} different); use a random "
                f"string of at least {SECRET_KEY_MIN_LENGTH} characters with at least "
                f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones, not starting "
                f"{SECRET_KEY_INSECURE_PREFIX!r}."
            )
        return key
    if debug:
        return "django-insecure-development-only-key-not-for-production-use"
    raise ImproperlyConfigured(
        f"SECRET_KEY must be set when DEBUG is off (use a long random string), or "
        f"written to {key_file} (scripts/serve does that)."
    )
