"""The site served by gunicorn with the repository's configuration, for tests and benchmarks that
need real servers."""

import contextlib
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

from tests.letters import REPO


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_environment(**overrides):
    return {
        **os.environ,
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": "a-test-secret-" + "Kq7x" * 12,
        "ALLOWED_HOSTS": "127.0.0.1",
        **overrides,
    }


def own_site(folder, username, password):
    """The environment of a fresh embedded site under `folder` (SQLite file, Whoosh index, var/),
    migrated, with an admin user; its database file is folder/db.sqlite3."""
    environment = site_environment(
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        IMR_VAR_DIR=str(folder / "var"),
        SEARCH_INDEX_DIR=str(folder / "index"),
        SEARCH_BACKEND="embedded",
        DJANGO_SUPERUSER_USERNAME=username,
        DJANGO_SUPERUSER_PASSWORD=password,
    )
    manage(environment, "migrate", "--noinput", "-v0")
    manage(environment, "createsuperuser", "--noinput", "--email", f"{username}@example.org")
    return environment


def manage(environment, *arguments):
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=REPO, env=environment, check=True)


@contextlib.contextmanager
def gunicorn(environment, workers=2, options=(), start_seconds=90):
    """(base URL, process id) of a running gunicorn (static files collected first); stopped on exit."""
    manage(environment, "collectstatic", "--noinput", "-v0")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "imr_site.wsgi",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        cwd=REPO,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.3)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextlib.contextmanager
def worker(environment, log=None):
    """A background worker (`manage.py run_worker`) for the site, its output to `log` when given;
    killed on exit."""
    with open(log, "w") if log else contextlib.nullcontext(subprocess.DEVNULL) as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--upkeep-seconds", "0.5"],
            cwd=REPO,
            env=environment,
            stdout=output,
            stderr=output,
        )
        try:
            yield process
        finally:
            process.kill()
            process.wait(timeout=30)


def _csrf(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def admin_browser(base, username, password):
    """A cookie-keeping opener logged in to the admin."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login = browser.open(f"{base}/admin/login/?next=/admin/").read().decode()
    fields = {
        "csrfmiddlewaretoken": _csrf(login),
        "username": username,
        "password": password,
        "next": "/admin/",
    }
    browser.open(f"{base}/admin/login/?next=/admin/", urllib.parse.urlencode(fields).encode()).read()
    return browser


def upload_request(browser, base, name, data):
    """(url, body, headers) of the admin upload form posting one file."""
    form = browser.open(f"{base}/admin/decisions/determination/upload/").read().decode()
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{_csrf(form)}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Referer": f"{base}/admin/"}
    return f"{base}/admin/decisions/determination/upload/", body, headers


def upload(browser, base, name, data):
    """Post one file through the admin upload form; returns the page it leads to and its URL."""
    url, body, headers = upload_request(browser, base, name, data)
    with browser.open(urllib.request.Request(url, data=body, headers=headers)) as response:
        return response.read().decode(), response.url
