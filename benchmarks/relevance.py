#!/usr/bin/env python
"""Relevance: the site's top 10 for common words against BM25 computed exhaustively here.

    .venv/bin/python benchmarks/relevance.py --letters 30000   # after benchmarks/run.py --letters 30000

The site ranks by BM25 (k1 1.2, b 0.75) summed over the default fields with their weights
(request 3, treatment words 3, rationale 1), each field's lengths normalised by its mean, over
every matching item. This script recomputes that from the stored documents alone (every item
analysed again, no index) and reports, per query, how many of the site's first 10 are among the
exhaustive first 10 (items tied with the 10th count as among them).
"""

import argparse
import math
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

K1, B = 1.2, 0.75
QUERIES = [
    ("therapy",),
    ("pain",),
    ("medication",),
    ("lumbar",),
    ("sessions",),
    ("guidelines", "recommended"),
    ("physical", "therapy"),
    ("urine", "drug", "screen"),
    ("functional", "improvement"),
    ("chronic", "pain", "medication"),
    ("injection",),
    ("opioids",),
    ("spine",),
    ("documentation",),
    ("not", "recommended"),
]


def _arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--letters", type=int, required=True, help="the benchmarks/out/<N> run to use")
    return parser.parse_args()


def exhaustive_top(documents, queries, top=10):
    """{query: (scores of every matching item by item id, the top-th best score)} by BM25 over the
    default fields, from the documents alone."""
    from decisions.search import fields as registry
    from decisions.search.backends.embedded.analysis import words

    weights = {name: registry.TEXT_FIELDS[name].boost for name in registry.DEFAULT_TEXT_FIELDS}
    queries = {query: [words(word)[0] for word in query] for query in queries}
    wanted = {token for tokens in queries.values() for token in tokens}
    counted, lengths, frequency = {}, {name: {} for name in weights}, {name: Counter() for name in weights}
    for document in documents:
        item_id = document["item_id"]
        for name in weights:
            tokens = words(document.get(name))
            lengths[name][item_id] = len(tokens)
            held = {token: count for token, count in Counter(tokens).items() if token in wanted}
            frequency[name].update(held.keys())
            if held:
                counted.setdefault(item_id, {})[name] = held
    size = len(lengths["request"])
    mean = {name: max(sum(lengths[name].values()) / (size or 1), 1.0) for name in weights}
    found = {}
    for query, tokens in queries.items():
        scores = {}
        for item_id, held in counted.items():
            if all(any(word in held.get(name, {}) for name in weights) for word in tokens):
                scores[item_id] = sum(
                    weights[name]
                    * _bm25(held[name][word], frequency[name][word], size, lengths[name][item_id], mean[name])
                    for word in tokens
                    for name in weights
                    if word in held.get(name, {})
                )
        best = sorted(scores.values(), reverse=True)
        found[query] = (scores, best[min(top, len(best)) - 1] if best else 0.0)
    return found


def _bm25(frequency, documents_with, size, length, mean_length):
    idf = math.log(1 + (size - documents_with + 0.5) / (documents_with + 0.5))
    return idf * frequency * (K1 + 1) / (frequency + K1 * (1 - B + B * length / mean_length))


def compare(queries, exhaustive, top=10):
    """Per query: matches, how many of the site's first `top` are among the exhaustive first `top`."""
    from decisions import search
    from decisions.search.contract import And, SearchQuery, Term

    rows = []
    for query in queries:
        words = tuple(Term(word) for word in query)
        results = search.backend().search(SearchQuery(text=words[0] if len(words) == 1 else And(words)))
        scores, tenth = exhaustive[query]
        site = [hit.item_id for hit in results[:top]]
        agreeing = sum(1 for item_id in site if scores.get(item_id, -1) >= tenth - 1e-6)
        rows.append(
            {
                "query": " ".join(query),
                "matches": results.total,
                "exhaustive_matches": len(scores),
                "top": len(site),
                "in_exhaustive_top": agreeing,
            }
        )
    return rows


def main():
    args = _arguments()
    from benchmarks.run import _configure

    out = REPO / "benchmarks" / "out" / str(args.letters)
    _configure(out, None)
    import django

    django.setup()
    from decisions.models import Determination
    from decisions.search.documents import documents_for

    ids = list(Determination.objects.order_by("pk").values_list("pk", flat=True))
    started = time.perf_counter()
    documents = (
        document for start in range(0, len(ids), 500) for document in documents_for(ids[start : start + 500])
    )
    exhaustive = exhaustive_top(documents, QUERIES)
    seconds = time.perf_counter() - started
    rows = compare(QUERIES, exhaustive)
    agreeing = sum(row["in_exhaustive_top"] for row in rows)
    shown = sum(row["top"] for row in rows)
    lines = [
        f"# Relevance at {args.letters:,} letters: the site's top 10 against exhaustive BM25",
        "",
        f"Exhaustive scoring of every item took {seconds:.0f} s. Overall: {agreeing} of {shown} "
        f"({100 * agreeing / max(shown, 1):.1f}%) of the site's first 10 are in the exhaustive first 10.",
        "",
        "| query | site matches | exhaustive matches | site's top 10 in exhaustive top 10 |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {row['query']} | {row['matches']:,} | {row['exhaustive_matches']:,} "
        f"| {row['in_exhaustive_top']} of {row['top']} |"
        for row in rows
    ]
    table = "\n".join(lines) + "\n"
    (out / "relevance.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
