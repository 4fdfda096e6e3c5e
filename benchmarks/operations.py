#!/usr/bin/env python
"""The site under slow clients and load, on both serve scripts: scripts/serve (gunicorn's gevent
workers alone) and scripts/serve-production (nginx in front).

    .venv/bin/python benchmarks/operations.py --letters 10000
    .venv/bin/python benchmarks/operations.py --letters 10000 --clients 50 --seconds 60 --fronts serve

For each front, on one archive of generated letters (imported once, under benchmarks/out/ops-<N>/):
1. 20 slow clients send their headers a byte every half second while 6 normal searches are timed;
2. `--clients` clients search as fast as they can for `--seconds` (the query set of queries.json):
   requests per second, p50 / p95 / max seconds, requests over 10 s, and errors.
The load comes from this process (threads on the same cores as the site), as a visitor's does not.
"""

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import corpus  # noqa: E402
from tests.servers import free_port, site_environment  # noqa: E402

SLOW_CLIENTS = 20


def _arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--fronts", default="serve,serve-production")
    return parser.parse_args()


def _archive(out, letters):
    """The environment of a site under `out` holding `letters` generated letters (imported once)."""
    environment = site_environment(
        IMR_VAR_DIR=str(out / "var"),
        DATABASE_URL=f"sqlite:///{out / 'db.sqlite3'}",
        SEARCH_INDEX_DIR=str(out / "index"),
        IMR_SAMPLE_LETTERS="0",
    )
    if not (out / "imported").exists():
        inbox = out / "inbox"
        inbox.mkdir(parents=True, exist_ok=True)
        for name, text in corpus.letters(letters):
            (inbox / name).write_text(text)
        run = [sys.executable, "manage.py"]
        subprocess.run([*run, "migrate", "-v0"], cwd=REPO, env=environment, check=True)
        subprocess.run(
            [*run, "import_determinations", "--wait", str(inbox)], cwd=REPO, env=environment, check=True
        )
        (out / "imported").touch()
    return environment


@contextlib.contextmanager
def _served(script, environment, out):
    port = free_port()
    log = open(out / f"{script}.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [str(REPO / "scripts" / script)],
        cwd=REPO,
        env={**environment, "PORT": str(port)},
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{base}/api/", timeout=2).read()
                break
            time.sleep(0.5)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        log.close()


def _timed_get(url, timeout):
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            ok = response.status == 200
    except (urllib.error.URLError, OSError):
        ok = False
    return time.monotonic() - started, ok


def slow_clients(base):
    port, stop = int(base.rsplit(":", 1)[1]), threading.Event()

    def slow():
        with socket.create_connection(("127.0.0.1", port)) as sock:
            for byte in b"GET /?q=pain HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 400:
                if stop.is_set():
                    return
                try:
                    sock.send(bytes([byte]))
                except OSError:
                    return
                stop.wait(0.5)

    threads = [threading.Thread(target=slow, daemon=True) for _ in range(SLOW_CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    timed = [_timed_get(f"{base}/?q=therapy", 30) for _ in range(6)]
    stop.set()
    return {"seconds": [round(seconds, 3) for seconds, _ in timed], "answered": sum(ok for _, ok in timed)}


def load(base, clients, seconds):
    fixed = json.loads((REPO / "benchmarks" / "queries.json").read_text())["queries"]
    queries = [
        f"{entry.get('path', '/')}?{urllib.parse.urlencode(entry['params'], doseq=True)}" for entry in fixed
    ]
    ends, times, errors, lock = time.monotonic() + seconds, [], [0], threading.Lock()

    def client(number):
        at = number
        while time.monotonic() < ends:
            took, ok = _timed_get(base + queries[at % len(queries)], 60)
            at += clients
            with lock:
                times.append(took)
                errors[0] += not ok

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    ordered = sorted(times)
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(times),
        "requests_per_second": round(len(times) / elapsed, 1),
        "p50_s": round(statistics.median(ordered), 3),
        "p95_s": round(ordered[int(len(ordered) * 0.95) - 1], 3),
        "max_s": round(ordered[-1], 3),
        "over_10_s": sum(took > 10 for took in times),
        "errors": errors[0],
    }


def main():
    arguments = _arguments()
    out = REPO / "benchmarks" / "out" / f"ops-{arguments.letters}"
    out.mkdir(parents=True, exist_ok=True)
    environment = _archive(out, arguments.letters)
    results = {}
    for script in arguments.fronts.split(","):
        with _served(script, environment, out) as base:
            results[script] = {
                "slow_clients": slow_clients(base),
                "load": load(base, arguments.clients, arguments.seconds),
            }
        print(script, json.dumps(results[script]), flush=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
