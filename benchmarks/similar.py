#!/usr/bin/env python
"""How good "similar decisions" are, measured on a benchmark corpus that benchmarks/run.py imported.

    .venv/bin/python benchmarks/similar.py --letters 20000 --sample 300

For a sample of items, the top 5 similar items are compared with 5 items of the same treatment
picked at random (what a person browsing the treatment facet would see): the share with the same
treatment, the same drug class, the same outcome, a cited guideline page in common, and a reason
in common - the corpus writes each rationale from its treatment family's bank of reasons, so a
shared reason sentence is a shared driver of the outcome. Also: how long one lookup takes.
"""

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.run import _configure  # noqa: E402

TOP = 5


def _arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--letters", type=int, default=20_000, help="which benchmarks/out/<N>/ to read")
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url")
    return parser.parse_args()


def _reasons(rationale, bank):
    return {sentence for sentence in bank if sentence in rationale}


def _measures(item, others, bank):
    from decisions.similar import cited_pages  # after django.setup()

    if not others:
        return None
    share = lambda test: sum(1 for other in others if test(other)) / len(others)  # noqa: E731
    mine = _reasons(item.rationale, bank)
    return {
        "same treatment": share(lambda other: other.treatment == item.treatment),
        "same drug class": share(lambda other: bool(item.drug_class) and other.drug_class == item.drug_class),
        "same outcome": share(lambda other: other.outcome == item.outcome),
        "a cited page in common": share(lambda other: bool(cited_pages(item) & cited_pages(other))),
        "a reason in common": share(lambda other: bool(mine & _reasons(other.rationale, bank))),
    }


def main():
    args = _arguments()
    out = REPO / "benchmarks" / "out" / str(args.letters)
    _configure(out, args.database_url)
    import django

    django.setup()
    from benchmarks.corpus import FAMILIES
    from decisions.models import DecisionItem
    from decisions.similar import similar_items

    bank = {sentence for family in FAMILIES.values() for sentence in family[2]}
    rng = random.Random(args.seed)
    ids = list(DecisionItem.objects.exclude(treatment="").values_list("pk", flat=True))
    sample = rng.sample(ids, min(args.sample, len(ids)))
    items = DecisionItem.objects.select_related("determination").prefetch_related(
        "citations__cited_pages", "citations__cited_sections__section"
    )
    similar_scores, random_scores, seconds = [], [], []
    for pk in sample:
        item = items.get(pk=pk)
        started = time.perf_counter()
        found = [result.item for result in similar_items(item, limit=TOP)]
        seconds.append(time.perf_counter() - started)
        peers = list(
            items.filter(treatment=item.treatment)
            .exclude(determination_id=item.determination_id)
            .order_by("?")[:TOP]
        )
        for scores, others in ((similar_scores, found), (random_scores, peers)):
            measured = _measures(item, others, bank)
            if measured:
                scores.append(measured)
    lines = [
        f"# Similar decisions on {args.letters:,} letters ({len(sample)} sampled items, top {TOP})",
        "",
        "| share of the top 5 with | similar decisions | 5 random items of the same treatment |",
        "|---|---|---|",
    ]
    for name in similar_scores[0]:
        found = statistics.mean(score[name] for score in similar_scores)
        baseline = statistics.mean(score[name] for score in random_scores)
        lines.append(f"| {name} | {found:.1%} | {baseline:.1%} |")
    seconds.sort()
    lines += [
        "",
        f"Lookup time: p50 {statistics.median(seconds) * 1000:.0f} ms, "
        f"p95 {seconds[int(len(seconds) * 0.95) - 1] * 1000:.0f} ms "
        f"({len(similar_scores)} of {len(sample)} items had similar items).",
    ]
    table = "\n".join(lines)
    (out / "similar.md").write_text(table + "\n")
    print(re.sub(r"\n{3,}", "\n\n", table))


if __name__ == "__main__":
    main()
