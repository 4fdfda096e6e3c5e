#!/usr/bin/env python
"""Several servers on one PostgreSQL database, each searching its own copy of the embedded index
(SEARCH_INDEX_SHARED): what sharing costs and what the second server answers at.

    .venv/bin/python benchmarks/several_servers.py --letters 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/imr_bench_shared

Under benchmarks/out/shared-<N>/: the first server imports N generated letters (its index
publishing every write to the database), then a second server with an empty index folder copies
the published index (seconds, MB/s), serves the fixed queries of queries.json through gunicorn
beside the first (server time per kind, first answer), and, with a worker of its own, finds each
of a run of letters imported through the first (seconds from the import's end until its search
finds it). Results: results.json and results.md there. Then `--postgres-search` (same
--letters and --database-url) builds PostgreSQL's full-text search over the same letters and
times the same queries through it, beside the two copies.
"""

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.run import _configure, _directory_mb, _import_job, _summary, _time_gunicorn  # noqa: E402

LAG_WORD = "Quetzalcoatlinib"  # in no letter of the corpus


def _arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--letters", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each query (after a warm-up)")
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database (emptied first)")
    parser.add_argument(
        "--lag-letters", type=int, default=10, help="letters imported one at a time to time the lag"
    )
    parser.add_argument("--reuse", action="store_true", help="keep an earlier import of the same size")
    parser.add_argument(
        "--postgres-search",
        action="store_true",
        help="after a run of the same size: build PostgreSQL's full-text search over its letters and time "
        "the same queries (added to its results)",
    )
    return parser.parse_args()


def _server(out, name):
    os.environ["SEARCH_INDEX_DIR"] = str(out / name)
    from django.conf import settings

    settings.SEARCH_INDEX_DIR = out / name


def _shared_copy_mb():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('search_shared_index_sharedchunk')")
        return round(cursor.fetchone()[0] / 1e6, 1)


def _wal_bytes():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
        return int(cursor.fetchone()[0])


def _count(base, text):
    url = f"{base}/api/items?{urllib.parse.urlencode({'q': text})}"
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())["count"]


def _lag(out, letters):
    """Seconds from the end of each import through the first server until the second finds it."""
    from tests.letters import SEED_FILES
    from tests.servers import gunicorn, worker

    template = SEED_FILES[1].read_text(encoding="utf-8")
    folder = out / "lag"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    second = os.environ | {"SEARCH_INDEX_DIR": str(out / "second")}
    first = os.environ | {"SEARCH_INDEX_DIR": str(out / "first")}
    lags, run = [], secrets.token_hex(3)
    with gunicorn(second, workers=1, start_seconds=600) as (base, _), worker(second, out / "worker.log"):
        for number in range(letters):
            word = f"{LAG_WORD}{run}x{number}"  # a word no earlier run imported
            letter = folder / f"lag-{number}.txt"
            letter.write_text(template.replace("Zanaflex", word).replace("CM15-", f"CM{90 + number}-"))
            subprocess.run(
                [sys.executable, "manage.py", "import_determinations", "--wait", str(letter)],
                cwd=REPO,
                env=first,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            imported = time.perf_counter()
            while _count(base, word) == 0:
                if time.perf_counter() - imported > 120:
                    raise RuntimeError(f"the second server did not find {word} within 120 s")
                time.sleep(0.05)
            lags.append(time.perf_counter() - imported)
    return {
        "letters": letters,
        "p50_seconds": round(sorted(lags)[len(lags) // 2], 2),
        "max_seconds": round(max(lags), 2),
    }


def main():
    args = _arguments()
    out = REPO / "benchmarks" / "out" / f"shared-{args.letters}"
    if not (args.reuse or args.postgres_search):
        shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    _configure(out, args.database_url)
    os.environ.update({"SEARCH_BACKEND": "embedded", "SEARCH_INDEX_SHARED": "1"})
    os.environ["SEARCH_INDEX_DIR"] = str(out / "first")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.corpus import letters
    from decisions import search
    from decisions.models import DecisionItem

    assert connection.vendor == "postgresql", "several servers share a PostgreSQL database"
    if args.postgres_search:
        return _add_postgres_search(out, args.repeat)
    results = {"letters": args.letters, "machine": {"cpus": os.cpu_count()}}
    if args.reuse and (out / "results.json").exists():  # what this run does not measure again stays
        results = json.loads((out / "results.json").read_text()) | results
    corpus = out / "corpus"
    if not args.reuse or not corpus.exists():
        if _has_tables():
            call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)
        corpus.mkdir(exist_ok=True)
        for name, text in letters(args.letters, args.seed):
            (corpus / name).write_text(text, encoding="utf-8")
        wal = _wal_bytes()
        results["import"] = _import_job(corpus, args.letters) | {
            "wal_mb": round((_wal_bytes() - wal) / 1e6, 1),
        }
        print(f"import through the first server: {results['import']}", flush=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    results["items"] = DecisionItem.objects.count()
    first_index = out / "first" / (out / "first" / "CURRENT").read_text().strip()
    results["index_mb"] = _directory_mb(first_index)
    results["shared_copy_in_database_mb"] = _shared_copy_mb()

    _server(out, "second")
    shutil.rmtree(out / "second", ignore_errors=True)
    started = time.perf_counter()
    search.backend().catch_up()
    seconds = time.perf_counter() - started
    results["full_copy"] = {
        "seconds": round(seconds, 1),
        "mb_per_second": round(results["index_mb"] / seconds, 1),
        "items_found": len(search.backend().indexed_ids()),
    }
    print(f"second server's full copy: {results['full_copy']}", flush=True)

    fixed = json.loads((REPO / "benchmarks" / "queries.json").read_text())["queries"]
    results["gunicorn_server_ms"] = {}
    for name in ("first", "second"):
        _server(out, name)
        _, server_time, memory = _time_gunicorn(fixed, args.repeat, out, 2)
        results["gunicorn_server_ms"][name] = _summary(server_time)
        results[f"first_answer_seconds_{name}"] = memory["first_answer_seconds"]
        print(f"{name} server: {json.dumps(results['gunicorn_server_ms'][name])}", flush=True)

    results["lag"] = _lag(out, args.lag_letters)
    print(f"lag: {results['lag']}", flush=True)
    _write(out, results)


def _write(out, results):
    (out / "results.json").write_text(json.dumps(results, indent=2))
    table = _table(results)
    (out / "results.md").write_text(table)
    print(table)


def _add_postgres_search(out, repeat):
    results = json.loads((out / "results.json").read_text())
    fixed = json.loads((REPO / "benchmarks" / "queries.json").read_text())["queries"]
    results["postgres_search"] = _postgres_search(out, fixed, repeat)
    _write(out, results)


def _postgres_search(out, fixed, repeat):
    """The other way to several servers, over the same letters on the same machine."""
    from django.conf import settings

    from decisions import search
    from decisions.models import Determination

    settings.SEARCH_BACKEND = os.environ["SEARCH_BACKEND"] = "postgres"
    started = time.perf_counter()
    search.backend().rebuild(Determination.objects.order_by("pk").values_list("pk", flat=True))
    build_seconds = time.perf_counter() - started
    _, server_time, memory = _time_gunicorn(fixed, repeat, out, 2)
    return {
        "build_seconds": round(build_seconds, 1),
        "first_answer_seconds": memory["first_answer_seconds"],
        "gunicorn_server_ms": _summary(server_time),
    }


def _has_tables():
    from django.db import connection

    return "decisions_determination" in connection.introspection.table_names()


def _table(results):
    first, second = results["gunicorn_server_ms"]["first"], results["gunicorn_server_ms"]["second"]
    postgres = results.get("postgres_search", {}).get("gunicorn_server_ms", {})
    lines = [
        f"{results['letters']:,} letters ({results['items']:,} items); index {results['index_mb']:,} MB, "
        f"its copy in the database {results['shared_copy_in_database_mb']:,} MB",
        "",
        "| kind | first server p50 / p95 ms | second server (a copy) p50 / p95 ms "
        "| PostgreSQL search p50 / p95 ms |",
        "|---|---|---|---|",
    ]
    for kind in first:
        other = f"{postgres[kind]['p50_ms']} / {postgres[kind]['p95_ms']}" if kind in postgres else "–"
        lines.append(
            f"| {kind} | {first[kind]['p50_ms']} / {first[kind]['p95_ms']} "
            f"| {second[kind]['p50_ms']} / {second[kind]['p95_ms']} | {other} |"
        )
    if "import" in results:
        lines.append(f"\nimport through the first server: {results['import']}")
    lines.append(f"second server's full copy: {results['full_copy']}")
    lines.append(
        f"first answer: first {results['first_answer_seconds_first']} s, "
        f"second {results['first_answer_seconds_second']} s"
    )
    lines.append(f"lag (an import through the first found on the second): {results['lag']}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
