#!/usr/bin/env python
"""Calibration of the estimate from precedent (decisions/estimate.py) on held-out decisions.

    .venv/bin/python benchmarks/estimate.py --real ../shared/real/letters   # leave-one-letter-out, every item
    .venv/bin/python benchmarks/estimate.py --generated 3000 --sample 1500  # benchmarks/corpus.py letters

Each run imports its letters into a throw-away site under benchmarks/out/estimate-<name>/ (its own
SQLite database and index; --reuse keeps an earlier import). Every held-out item is described the
way its asker would describe it - its treatment, the first vocabulary section its reviewer cites,
its letter's first diagnosis, and the few most distinctive words of its clinical summary as facts
(never its rationale or outcome) - and estimated from the items of every other letter. Printed, and
written to the output folder as estimate.md: the share judged too thin, the Brier score of the
estimate against that of the base rate and of the treatment's own rate (each leaving the letter
out), by how many precedents there were, and the reliability table.
"""

import argparse
import dataclasses
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.run import _configure  # noqa: E402
from decisions.stats import Rate, brier, reliability  # noqa: E402 (plain arithmetic, no Django)

FACT_WORDS = 6
# The comparison "shrunk" adds this many decisions at the base rate to the precedents: what an
# estimate that leans on the base rate where precedent is scarce would score.
SHRINK = 10
EDGES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0)
BANDS = ((0, 0), (1, 4), (5, 9), (10, 14), (15, 24), (25, 50))


def _arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--real", type=Path, help="a folder of real letters (their .txt files are read)")
    source.add_argument("--generated", type=int, help="how many benchmarks/corpus.py letters to generate")
    parser.add_argument("--sample", type=int, help="held-out items to estimate (default: every one)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep an earlier import of the same letters")
    return parser.parse_args()


def _import(args, out):
    """Fill the throw-away site with the letters (unless --reuse finds them there)."""
    from decisions import jobs
    from decisions.models import Determination

    if args.reuse and Determination.objects.exists():
        return
    if args.real:
        paths = sorted(args.real.glob("*.txt"))
    else:
        from benchmarks import corpus

        folder = out / "letters"
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in corpus.letters(args.generated):
            (folder / name).write_text(text, encoding="utf-8")
        paths = [folder]
    job = jobs.start_import(paths, "Calibration letters", queue=False)
    jobs.run(job.pk)


def _facts(summary):
    from decisions.similar import distinctive_words

    return " ".join(word for word, _ in distinctive_words(summary, FACT_WORDS))


def _held_out(item, rest, by_treatment):
    """The base rate and the treatment's own rate, each over every other letter's items."""
    overturned, decisions = rest
    mine = Counter(
        (other.treatment, other.outcome == "overturned") for other in item.determination.items.all()
    )
    own_overturned = sum(count for (_, is_overturned), count in mine.items() if is_overturned)
    base = (overturned - own_overturned) / (decisions - sum(mine.values()))
    treatment_overturned, treatment_decisions = by_treatment[item.treatment]
    treatment_overturned -= mine[(item.treatment, True)]
    treatment_decisions -= mine[(item.treatment, True)] + mine[(item.treatment, False)]
    return base, (treatment_overturned / treatment_decisions if treatment_decisions else base)


@dataclass(frozen=True)
class Scored:
    """One held-out item: its precedents, the predictions compared, and what IMR decided."""

    precedents: int
    estimate: float | None
    base: float
    treatment: float
    shrunk: float
    happened: int


PREDICTIONS = (("estimate", "estimate"), ("base rate", "base"), ("treatment's rate", "treatment"))
PREDICTIONS += (("shrunk", "shrunk"),)


def _scores(scored, predictions=PREDICTIONS, skip=()):
    """The Brier score of each prediction over `scored` ("–" for those in `skip`)."""
    return " | ".join(
        "–" if name in skip else f"{brier([(getattr(row, name), row.happened) for row in scored]):.4f}"
        for _, name in predictions
    )


def _band(count):
    return next(f"{low}-{high}" if low != high else str(low) for low, high in BANDS if low <= count <= high)


def main():
    args = _arguments()
    name = "real" if args.real else f"generated-{args.generated}"
    out = REPO / "benchmarks" / "out" / f"estimate-{name}"
    if not args.reuse and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    _configure(out, None)
    subprocess.run([sys.executable, str(REPO / "manage.py"), "migrate", "-v0"], check=True)
    import django

    django.setup()
    from decisions.estimate import K_CHOICES, MIN_PRECEDENTS, K, Request, estimate, request_like
    from decisions.models import DecisionItem

    _import(args, out)
    items = list(
        DecisionItem.objects.exclude(treatment="")
        .select_related("determination")
        .prefetch_related("citations__cited_sections__section", "determination__items")
    )
    everything = DecisionItem.objects.values_list("treatment", "outcome")
    rest = (sum(1 for _, outcome in everything if outcome == "overturned"), len(everything))
    by_treatment = {}
    for treatment, outcome in everything:
        counts = by_treatment.setdefault(treatment, [0, 0])
        counts[0] += outcome == "overturned"
        counts[1] += 1
    if args.sample and args.sample < len(items):
        items = random.Random(args.seed).sample(items, args.sample)
    # (variant, k) -> [(precedents, estimate, base rate, treatment rate, outcome)]
    rows = {}
    described = lambda item: request_like(item, _facts(item.determination.clinical_summary))  # noqa: E731
    variants = {
        "as described": described,
        "without the section": lambda item: dataclasses.replace(described(item), section=""),
        "treatment alone (its newest)": lambda item: Request(item.treatment),
    }
    seconds = []
    for item in items:
        happened = int(item.outcome == "overturned")
        base, treatment_rate = _held_out(item, rest, by_treatment)
        for variant, describe in variants.items():
            started = time.perf_counter()
            found = estimate(describe(item), letter=item.determination_id)
            seconds.append(time.perf_counter() - started)
            for k in K_CHOICES:
                rate = found.at(k)
                shrunk = (rate.overturned + SHRINK * base) / (rate.decisions + SHRINK)
                rows.setdefault((variant, k), []).append(
                    Scored(rate.decisions, rate.share, base, treatment_rate, shrunk, happened)
                )
    lines = [
        f"# The estimate calibrated on {name} letters "
        f"({len(items):,} held-out items of {len(everything):,}; {rest[0]:,} overturned)",
        "",
        f"Too thin: fewer than {MIN_PRECEDENTS} precedents. Brier scores over the items estimated"
        " (not too thin); the base rate and the treatment's rate leave out the held-out letter too;"
        f" shrunk: (overturned + {SHRINK} × base rate) / (precedents + {SHRINK}).",
        "",
        "| described | K | too thin | estimated | Brier: estimate | base rate | treatment's rate | shrunk |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (variant, k), measured in rows.items():
        estimated = [row for row in measured if row.precedents >= MIN_PRECEDENTS]
        scores = _scores(estimated) if estimated else " | ".join("–" for _ in PREDICTIONS)
        thin = 1 - len(estimated) / len(measured)
        lines.append(f"| {variant} | {k} | {thin:.1%} | {len(estimated):,} | {scores} |")
    lines += [
        "",
        f"By how many precedents there were (as described, K = {K}; from 1 precedent it is 0% or 100%):",
        "",
        "| precedents | items | Brier: estimate | base rate | treatment's rate | shrunk | observed |",
        "|---|---|---|---|---|---|---|",
    ]
    measured = rows[("as described", K)]
    for low, high in BANDS:
        band = [row for row in measured if low <= row.precedents <= high]
        if not band:
            continue
        observed = Rate(sum(row.happened for row in band), len(band))
        scores = _scores(band, skip=() if low else ("estimate",))
        lines.append(f"| {_band(low)} | {len(band):,} | {scores} | {observed.short()} |")
    lines += [
        "",
        f"Reliability (as described, K = {K}, the items estimated):",
        "",
        "| predicted | items | mean predicted | observed overturned (95% CI) |",
        "|---|---|---|---|",
    ]
    estimated = [(row.estimate, row.happened) for row in measured if row.precedents >= MIN_PRECEDENTS]
    for bucket in reliability(estimated, EDGES):
        if not bucket.count:
            continue
        low, high = bucket.observed.interval
        lines.append(
            f"| {bucket.low:.0%}–{bucket.high:.0%} | {bucket.count:,} | {bucket.predicted:.1%} | "
            f"{bucket.observed.share:.1%} ({low:.1%}–{high:.1%}) |"
        )
    seconds.sort()
    lines += [
        "",
        f"One estimate (the 50 closest found and explained): p50 {statistics.median(seconds) * 1000:.0f} ms, "
        f"p95 {seconds[int(len(seconds) * 0.95) - 1] * 1000:.0f} ms.",
    ]
    table = "\n".join(lines)
    (out / "estimate.md").write_text(table + "\n")
    print(re.sub(r"\n{3,}", "\n\n", table))


if __name__ == "__main__":
    main()
