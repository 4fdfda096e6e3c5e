"""Two web servers on one PostgreSQL database with SEARCH_BACKEND=postgres: a letter uploaded
through one is found through the other (CI's PostgreSQL run)."""

import http.cookiejar
import re
import urllib.parse
import urllib.request
import uuid

import pytest
from django.db import connection

from tests.letters import SEED_FILES
from tests.servers import gunicorn, site_environment

pytestmark = pytest.mark.django_db(transaction=True)


def _browser():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def _csrf(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _upload(base, name, data):
    browser = _browser()
    login = browser.open(f"{base}/admin/login/?next=/admin/").read().decode()
    browser.open(
        f"{base}/admin/login/?next=/admin/",
        urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": _csrf(login),
                "username": "editor",
                "password": "a long test password 4U",
                "next": "/admin/",
            }
        ).encode(),
    ).read()
    form = browser.open(f"{base}/admin/decisions/determination/upload/").read().decode()
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{_csrf(form)}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: text/plain\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{base}/admin/decisions/determination/upload/",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Referer": f"{base}/admin/"},
    )
    return browser.open(request).read().decode()


def _count(base, text):
    with urllib.request.urlopen(
        f"{base}/api/items?{urllib.parse.urlencode({'q': text})}", timeout=30
    ) as response:
        import json

        return json.loads(response.read())["count"]


def test_a_letter_uploaded_through_one_server_is_found_through_the_other(django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("several servers share a PostgreSQL database (CI's second run)")
    django_user_model.objects.create_superuser("editor", "editor@example.org", "a long test password 4U")
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    url = f"postgres://{settings['USER']}@{host}:{port}/{settings['NAME']}"
    environment = site_environment(DATABASE_URL=url, SEARCH_BACKEND="postgres")
    with gunicorn(environment, workers=1) as (first, _), gunicorn(environment, workers=1) as (second, _):
        assert _count(second, "Zanaflex") == 0
        page = _upload(first, "zanaflex.txt", SEED_FILES[1].read_bytes())
        assert "Imported" in page
        assert _count(second, "Zanaflex") == 1
        assert _count(first, "Zanaflex") == 1
