"""Ingestion as an admin does it: upload ZIPs of letters through the admin in Chromium, follow the
job page to the end, search the site all the while, then compare the index with the database.

    .venv/bin/python benchmarks/ingest.py --base-letters 5000 --text-zip 5000 --pdf-zip 1500 --out /tmp/ingest

A site of its own under --out (SQLite, the embedded index, gunicorn with 2 workers and one background worker)
is loaded with --base-letters first (through `import_determinations --wait`, also timed). Prints a
Markdown table; screenshots of each job page at its end are saved beside it.
"""

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import letters  # noqa: E402
from tests.letters import pdf_bytes  # noqa: E402
from tests.servers import gunicorn, manage, own_site, worker  # noqa: E402

PASSWORD = "benchmark password 4U!"
QUERIES = ["baclofen", '"physical therapy"', "opioid urine drug screen", "medically necessary", "gabapentin"]


def _zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def _search_while(base, stop, latencies, failures):
    """Search the site in a loop (one query every 0.2 s) until stop is set."""
    turn = 0
    while not stop.is_set():
        query = QUERIES[turn % len(QUERIES)]
        turn += 1
        started = time.perf_counter()
        try:
            address = f"{base}/?{urllib.parse.urlencode({'q': query})}"
            with urllib.request.urlopen(address, timeout=30) as reply:
                reply.read()
            latencies.append((time.perf_counter() - started) * 1000)
        except OSError as error:
            failures.append(str(error))
        stop.wait(0.2)


def _upload(page, base, zip_path, out, label):
    """Upload one ZIP, follow its job to the end; returns the measurements."""
    page.goto(f"{base}/admin/decisions/determination/upload/")
    page.set_input_files("input[type=file]", str(zip_path))
    started = time.perf_counter()
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/decisions/job/**")
    answered = time.perf_counter() - started
    page.screenshot(path=str(out / f"job-{label}-start.png"), full_page=True)
    # The page reloads itself every 2 s until the job has finished.
    page.locator(".job-state-done, .job-state-failed").wait_for(timeout=3_600_000)
    total = time.perf_counter() - started
    page.reload()
    page.screenshot(path=str(out / f"job-{label}-end.png"), full_page=True)
    cells = "rows => rows.map(r => [r.querySelector('th').innerText, r.querySelector('td').innerText])"
    numbers = page.eval_on_selector_all("#job-numbers tr", cells)
    return {"answered_seconds": round(answered, 2), "job_seconds": round(total, 1), "page": dict(numbers)}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("/tmp/imr-ingest"))
    parser.add_argument("--base-letters", type=int, default=5000)
    parser.add_argument("--text-zip", type=int, default=5000)
    parser.add_argument("--pdf-zip", type=int, default=1500)
    args = parser.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    environment = own_site(out, "admin", PASSWORD)
    results = {}

    base_folder = out / "base"
    base_folder.mkdir(exist_ok=True)
    for name, text in letters(args.base_letters, seed=1):
        (base_folder / name).write_text(text)
    started = time.perf_counter()
    manage(environment, "import_determinations", "--wait", "--quiet-failures", str(base_folder))
    seconds = time.perf_counter() - started
    rate = round(args.base_letters / seconds, 1)
    results["command"] = {"letters": args.base_letters, "letters_per_second": rate}

    uploads = []
    if args.text_zip:
        entries = ((f"text/{name}", text) for name, text in letters(args.text_zip, seed=2))
        uploads.append(("text", args.text_zip, _zip(out / "text.zip", entries)))
    if args.pdf_zip:
        entries = (
            (f"pdf/{Path(name).stem}.pdf", pdf_bytes(text)) for name, text in letters(args.pdf_zip, seed=3)
        )
        uploads.append(("pdf", args.pdf_zip, _zip(out / "pdf.zip", entries)))

    from playwright.sync_api import sync_playwright

    with gunicorn(environment, workers=2) as (base, _), worker(environment), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/admin/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        idle = []
        stop = threading.Event()
        _search_while(base, _stopping_after(stop, 10), idle, [])
        for label, count, path in uploads:
            latencies, failures, stop = [], [], threading.Event()
            searcher = threading.Thread(target=_search_while, args=(base, stop, latencies, failures))
            searcher.start()
            measured = _upload(page, base, path, out, label)
            stop.set()
            searcher.join()
            measured.update(
                letters=count,
                zip_mb=round(path.stat().st_size / 1e6, 1),
                searches=len(latencies),
                search_failures=len(failures),
                search_p50_ms=round(statistics.median(latencies), 1) if latencies else None,
                search_p95_ms=(
                    round(statistics.quantiles(latencies, n=20)[18], 1) if len(latencies) > 20 else None
                ),
            )
            results[label] = measured
        results["idle_search_p50_ms"] = round(statistics.median(idle), 1) if idle else None
        browser.close()
    check = subprocess.run(
        [sys.executable, "manage.py", "check_index"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
    )
    results["check_index"] = check.stdout
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


def _stopping_after(stop, seconds):
    threading.Timer(seconds, stop.set).start()
    return stop


if __name__ == "__main__":
    main()
