#!/usr/bin/env python
"""Scale benchmark: generate N letters, import them, build the index, time a fixed set of searches.

    .venv/bin/python benchmarks/run.py --letters 100000     # the full run (about half an hour)
    .venv/bin/python benchmarks/run.py --letters 2000       # a quick one

Everything goes under benchmarks/out/<N>/ (its own SQLite database, media and index, or
--database-url for PostgreSQL). Results: benchmarks/out/<N>/results.json and results.md.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--letters", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each query (after a warm-up)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in the output folder")
    parser.add_argument("--skip-gunicorn", action="store_true")
    parser.add_argument(
        "--workers",
        default="1,2,4",
        help="gunicorn worker counts to measure memory with (the first one is also timed)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep an earlier import of the same size (the index is always rebuilt: it is what is measured)",
    )
    parser.add_argument(
        "--add",
        type=int,
        default=10_000,
        help="after searching, import this many more letters into the archive (0: skip)",
    )
    parser.add_argument(
        "--backends",
        default="embedded",
        help="comma-separated search backends to build and time in this run: embedded,postgres",
    )
    return parser.parse_args()


def _configure(out, database_url):
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "imr_site.settings",
            "DEBUG": "0",
            "HTTPS": "0",
            "SECRET_KEY": "benchmark-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "IMR_VAR_DIR": str(out / "var"),
            "SEARCH_INDEX_DIR": str(out / "index"),
            "DATABASE_URL": database_url or f"sqlite:///{out / 'bench.sqlite3'}",
        }
    )


def _percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _summary(timings):
    """p50/p95/max in milliseconds per query kind."""
    table = {}
    for kind, values in timings.items():
        table[kind] = {
            "runs": len(values),
            "p50_ms": round(_percentile(values, 0.5), 1),
            "p95_ms": round(_percentile(values, 0.95), 1),
            "max_ms": round(max(values), 1),
        }
    return table


def _url(query):
    return query.get("path", "/") + "?" + urllib.parse.urlencode(query["params"], doseq=True)


def _time_client(queries, repeat):
    from django.test import Client

    client = Client()
    for query in queries:  # warm-up: opens the index and fills the per-reader caches
        assert client.get(_url(query)).status_code == 200, query
    timings = {}
    for _ in range(repeat):
        for query in queries:
            started = time.perf_counter()
            response = client.get(_url(query))
            timings.setdefault(query["kind"], []).append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, query
    return timings


MEMORY_FIELDS = {  # /proc line: what it says
    "VmHWM": "peak_rss",
    "VmRSS": "rss",
    "RssAnon": "rss_anon",  # the process's own memory
    "RssFile": "rss_file",  # mapped files (index, libraries): page cache pages shared with others
    "Pss": "pss",
}


def _memory_mb(pid):
    """A process's memory in MB by MEMORY_FIELDS. PSS counts each shared page once across the
    processes sharing it (divided among them): what one more worker really costs."""
    values = dict.fromkeys(MEMORY_FIELDS.values())
    for path in (f"/proc/{pid}/status", f"/proc/{pid}/smaps_rollup"):
        try:
            for line in Path(path).read_text().splitlines():
                key = line.split(":")[0]
                if key in MEMORY_FIELDS and (key != "Pss" or "smaps" in path):
                    values[MEMORY_FIELDS[key]] = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            pass
    return values


def _time_gunicorn(queries, repeat, out, workers):
    """Per-kind wall and server times (when repeat > 0), each worker's memory after every worker
    has answered every query twice, and the seconds from start until the site first answered."""
    from tests.servers import gunicorn

    options = ["--error-logfile", str(out / "gunicorn.log"), "--log-level", "warning"]
    started = time.perf_counter()
    with gunicorn(os.environ.copy(), workers=workers, options=options, start_seconds=600) as (base, pid):
        first_answer_seconds = round(time.perf_counter() - started, 1)
        for _ in range(2 * workers):  # every worker warm (requests spread over them)
            for query in queries:
                urllib.request.urlopen(base + _url(query), timeout=60).read()
        wall, server_time = {}, {}
        for _ in range(repeat):
            for query in queries:
                started = time.perf_counter()
                with urllib.request.urlopen(base + _url(query), timeout=60) as response:
                    response.read()
                    timing = response.headers.get("Server-Timing", "")
                wall.setdefault(query["kind"], []).append((time.perf_counter() - started) * 1000)
                server_time.setdefault(query["kind"], []).append(float(timing.split("dur=")[1]))
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        memory = [_memory_mb(child) for child in children]
        return wall, server_time, {"first_answer_seconds": first_answer_seconds, "workers": memory}


EXACTNESS_SAMPLE_LETTERS = 4000


def _exactness(texts, out):
    """Per query: the site's total, the hits paging reaches (they must agree), and on a sample of
    letters the site's matches against Whoosh's own positional matcher in a plain Whoosh index of
    the same documents (a Whoosh index of the whole archive would take hours to build)."""
    from django.core.paginator import Paginator

    from decisions import search
    from decisions.models import DecisionItem, Determination
    from decisions.search.backends.embedded.reference import reference_index, reference_item_ids
    from decisions.search.contract import ItemIds
    from decisions.search.documents import documents_for

    sample = list(Determination.objects.order_by("?").values_list("pk", flat=True)[:EXACTNESS_SAMPLE_LETTERS])
    sample_items = ItemIds(
        tuple(DecisionItem.objects.filter(determination_id__in=sample).values_list("pk", flat=True))
    )
    shutil.rmtree(out / "reference", ignore_errors=True)
    reference = reference_index(out / "reference", documents_for(sample))
    rows = []
    with reference.searcher() as searcher:
        for text in texts:
            results = search.backend().search(search.query(text))
            paginator = Paginator(results, 20)
            last = paginator.page(paginator.num_pages)
            in_sample = search.backend().search(search.query(text, **{search.ITEMS: sample_items}))
            rows.append(
                {
                    "query": text,
                    "site": results.total,
                    "reachable_by_paging": (paginator.num_pages - 1) * 20 + len(last.object_list),
                    "site_in_sample": {hit.item_id for hit in in_sample[: in_sample.total]},
                    "whoosh_matcher_in_sample": reference_item_ids(searcher, search.parse(text)),
                }
            )
    shutil.rmtree(out / "reference", ignore_errors=True)
    for row in rows:
        row["sample_agrees"] = row.pop("site_in_sample") == row["whoosh_matcher_in_sample"]
        row["whoosh_matcher_in_sample"] = len(row["whoosh_matcher_in_sample"])
    return rows


def _index_size_mb(name, out):
    from django.db import connection

    if name == "embedded":  # the live index (CURRENT), not the one a rebuild replaced
        return _directory_mb(out / "index" / (out / "index" / "CURRENT").read_text().strip())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_total_relation_size('search_postgres_itemdocument'), "
            "pg_database_size(current_database())"
        )
        table, database = cursor.fetchone()
    return round(table / 1e6, 1), round(database / 1e6, 1)


def _benchmark_backend(name, args, out, fixed):
    """Build one backend's index from the imported letters, then time the fixed queries through it."""
    from django.conf import settings

    from decisions import search
    from decisions.models import DecisionItem, Determination

    settings.SEARCH_BACKEND = os.environ["SEARCH_BACKEND"] = name
    result = {}
    items = DecisionItem.objects.count()
    started = time.perf_counter()
    search.backend().rebuild(Determination.objects.order_by("pk").values_list("pk", flat=True))
    seconds = time.perf_counter() - started
    result["index"] = {
        "items": items,
        "seconds": round(seconds, 1),
        "items_per_second": round(items / seconds, 1),
        "size_mb": _index_size_mb(name, out),
    }
    print(f"{name} index: {result['index']}", flush=True)
    result["peak_memory_mb_after_index"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if (out / "index").exists():
        result["exactness"] = _exactness(fixed["exactness"], out)
        print(f"{name} exactness:", json.dumps(result["exactness"]), flush=True)
    result["django_client_ms"] = _summary(_time_client(fixed["queries"], args.repeat))
    print(f"{name} django test client:", json.dumps(result["django_client_ms"]), flush=True)
    if not args.skip_gunicorn:
        result["gunicorn_memory_mb"] = {}
        for position, workers in enumerate(int(count) for count in args.workers.split(",")):
            wall, server_time, memory = _time_gunicorn(
                fixed["queries"], args.repeat if position == 0 else 0, out, workers
            )
            if position == 0:
                result["gunicorn_wall_ms"] = _summary(wall)
                result["gunicorn_server_ms"] = _summary(server_time)
            result["gunicorn_memory_mb"][workers] = memory
            print(f"{name} gunicorn, {workers} worker(s):", json.dumps(memory), flush=True)
    return result


def _directory_mb(path):
    return round(sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6, 1)


def main():
    args = _arguments()
    out = REPO / "benchmarks" / "out" / str(args.letters)
    if not args.reuse:
        shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    _configure(out, args.database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.corpus import letters

    results = {
        "letters": args.letters,
        "seed": args.seed,
        "database": connection.vendor,
        "machine": {"cpus": os.cpu_count()},
    }
    corpus = out / "corpus"
    if not args.reuse or not corpus.exists():
        corpus.mkdir(exist_ok=True)
        started = time.perf_counter()
        for name, text in letters(args.letters, args.seed):
            (corpus / name).write_text(text, encoding="utf-8")
        results["generate_seconds"] = round(time.perf_counter() - started, 1)
        call_command("migrate", verbosity=0)
        print(f"generated {args.letters} letters in {results['generate_seconds']}s", flush=True)

        results["import"] = _import_job(corpus, args.letters)
        print(f"import: {results['import']}", flush=True)
        results["parse_health"] = _parse_health()

    call_command("collectstatic", interactive=False, verbosity=0)
    fixed = json.loads((REPO / "benchmarks" / "queries.json").read_text())
    results["queries"] = len(fixed["queries"])
    results["backends"] = {}
    for name in args.backends.split(","):
        results["backends"][name] = _benchmark_backend(name, args, out, fixed)
    if args.add:
        more = out / "more"
        shutil.rmtree(more, ignore_errors=True)
        more.mkdir()
        for name, text in letters(args.add, args.seed + 1, first=args.letters + 1):
            (more / name).write_text(text, encoding="utf-8")
        results["add"] = _import_job(more, args.add) | {"to_archive_of": args.letters}
        print(f"added: {results['add']}", flush=True)
    results["peak_memory_mb_benchmark_process"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )

    (out / "results.json").write_text(json.dumps(results, indent=2))
    table = _table(results)
    (out / "results.md").write_text(table)
    print(table)


def _import_job(folder, count):
    """The path users take: `import_determinations --wait` in a process of its own (the job the
    admin upload and the worker run, indexing as it stores); then the index compared with the
    database. A process of its own, as a user's: forked from this one, the parsing and indexing
    processes would inherit everything the benchmark holds by then."""
    from decisions import indexing
    from decisions.models import Job

    started = time.perf_counter()
    command = subprocess.run(
        [sys.executable, "manage.py", "import_determinations", "--wait", "--quiet-failures", str(folder)],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    job = Job.objects.order_by("-pk").first()
    return {
        "exit_code": command.returncode,
        "seconds": round(seconds, 1),
        "letters_per_second": round(count / seconds, 1),
        "imported": job.imported,
        "failed": job.failed,
        "index_in_step": indexing.compare().in_step,
    }


def _parse_health():
    """The admin's parse-health numbers for the imported corpus, per layout."""
    from dataclasses import asdict

    from decisions.health import parse_health

    health = parse_health()
    return {
        "layouts": [asdict(row) for row in [*health.rows, health.total]],
        "warning_kinds": health.warning_kinds,
    }


def _health_table(health):
    lines = [
        "## Parse health (the admin's view)",
        "",
        "| layout | letters | with warnings | no decision date | items | treatment not recognised |",
        "|---|---|---|---|---|---|",
    ]
    for row in health["layouts"]:
        lines.append(
            f"| {row['label']} | {row['letters']:,} | {row['with_warnings']:,} | {row['undated']:,} | "
            f"{row['items']:,} | {row['unrecognised']:,} |"
        )
    lines += [
        "",
        "Most common warnings: "
        + "; ".join(f"{kind} ({count:,})" for kind, count in health["warning_kinds"][:5]),
        "",
    ]
    return lines


def _table(results):
    lines = [f"# {results['letters']:,} letters on {results['database']}", ""]
    if "import" in results:
        lines.append(
            f"- import: {results['import']['letters_per_second']} letters/s "
            f"({results['import']['imported']:,} letters in {results['import']['seconds']} s)"
        )
    if "add" in results:
        add = results["add"]
        lines.append(
            f"- then adding {add['imported']:,} letters to the {add['to_archive_of']:,}: "
            f"{add['letters_per_second']} letters/s ({add['seconds']} s), "
            f"index in step: {add['index_in_step']}"
        )
    lines += [f"- peak memory: {results['peak_memory_mb_benchmark_process']} MB (benchmark process)", ""]
    if "parse_health" in results:
        lines += _health_table(results["parse_health"])
    for name, backend in results["backends"].items():
        lines += [f"## Search backend: {name}", ""]
        if "index" in backend:
            index = backend["index"]
            lines += [
                f"- index: {index['items_per_second']} items/s "
                f"({index['items']:,} items in {index['seconds']} s), "
                f"size (MB; for postgres: table, whole database) {index['size_mb']}",
                "",
            ]
        columns = [
            ("django_client_ms", "test client"),
            ("gunicorn_server_ms", "gunicorn server"),
            ("gunicorn_wall_ms", "gunicorn wall"),
        ]
        present = [(key, label) for key, label in columns if key in backend]
        lines.append("| kind | " + " | ".join(f"{label} p50 / p95 / max ms" for _, label in present) + " |")
        lines.append("|---|" + "---|" * len(present))
        for kind in backend["django_client_ms"]:
            cells = [
                " / ".join(str(backend[key][kind][stat]) for stat in ("p50_ms", "p95_ms", "max_ms"))
                for key, _ in present
            ]
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
        if backend.get("exactness"):
            lines += [
                "",
                f"| query | site | reachable by paging | Whoosh's matcher on {EXACTNESS_SAMPLE_LETTERS:,} "
                "letters | the site's matches there the same |",
                "|---|---|---|---|---|",
            ]
            lines += [
                f"| `{row['query']}` | {row['site']:,} | {row['reachable_by_paging']:,} "
                f"| {row['whoosh_matcher_in_sample']:,} | {'yes' if row['sample_agrees'] else 'NO'} |"
                for row in backend["exactness"]
            ]
        if backend.get("gunicorn_memory_mb"):
            lines += [
                "",
                "| gunicorn workers | first answer (s) | peak RSS per worker (MB) "
                "| RSS own / mapped files, largest worker (MB) | PSS per worker (MB) | PSS in all (MB) |",
                "|---|---|---|---|---|---|",
            ]
            for workers, memory in backend["gunicorn_memory_mb"].items():
                each = memory["workers"]
                largest = max(each, key=lambda w: w["rss"] or 0, default={})
                lines.append(
                    f"| {workers} | {memory['first_answer_seconds']} | "
                    f"{max((w['peak_rss'] or 0) for w in each)} | "
                    f"{largest.get('rss_anon')} / {largest.get('rss_file')} | "
                    f"{round(sum((w['pss'] or 0) for w in each) / max(len(each), 1), 1)} | "
                    f"{round(sum((w['pss'] or 0) for w in each), 1)} |"
                )
        lines.append("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
