"""Two web servers and a worker on one PostgreSQL database with SEARCH_BACKEND=postgres: a letter
uploaded through one is found through the other (CI's PostgreSQL run)."""

import json
import time
import urllib.parse
import urllib.request

import pytest
from django.db import connection

from tests.letters import SEED_FILES
from tests.servers import admin_browser, gunicorn, site_environment, upload, worker

pytestmark = pytest.mark.django_db(transaction=True)


def _count(base, text):
    with urllib.request.urlopen(
        f"{base}/api/items?{urllib.parse.urlencode({'q': text})}", timeout=30
    ) as response:
        return json.loads(response.read())["count"]


def test_a_letter_uploaded_through_one_server_is_found_through_the_other(django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("several servers share a PostgreSQL database (CI's second run)")
    django_user_model.objects.create_superuser("editor", "editor@example.org", "a long test password 4U")
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    url = f"postgres://{settings['USER']}@{host}:{port}/{settings['NAME']}"
    environment = site_environment(DATABASE_URL=url, SEARCH_BACKEND="postgres")
    with (
        gunicorn(environment, workers=1) as (first, _),
        gunicorn(environment, workers=1) as (second, _),
        worker(environment),
    ):
        assert _count(second, "Zanaflex") == 0
        browser = admin_browser(first, "editor", "a long test password 4U")
        page, _ = upload(browser, first, "zanaflex.txt", SEED_FILES[1].read_bytes())
        assert "Upload saved" in page
        deadline = time.monotonic() + 60
        while _count(second, "Zanaflex") == 0 and time.monotonic() < deadline:
            time.sleep(0.2)  # the worker imports it in the background
        assert _count(second, "Zanaflex") == 1
        assert _count(first, "Zanaflex") == 1
