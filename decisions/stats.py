"""Overturn rates with their uncertainty: how often IMR overturned the UR denial, and how sure that is.

The Wilson score interval stays inside 0-100% and behaves at small counts, where the plain
p ± 1.96·√(p(1-p)/n) does not. Below MIN_DECISIONS a rate would mislead, so none is given.
`brier` and `reliability` say how well predicted rates match what was decided (the estimate's
calibration, benchmarks/estimate.py).
"""

import itertools
import math
from dataclasses import dataclass

Z_95 = 1.959964
MIN_DECISIONS = 10


@dataclass(frozen=True)
class Rate:
    overturned: int
    decisions: int

    @property
    def upheld(self):
        return self.decisions - self.overturned

    @property
    def enough(self):
        return self.decisions >= MIN_DECISIONS

    @property
    def share(self):
        return self.overturned / self.decisions if self.decisions else None

    @property
    def interval(self):
        """(low, high) of the 95% Wilson score interval, as fractions."""
        return wilson(self.overturned, self.decisions)

    @property
    def percent_text(self):
        return percent(self.share) if self.decisions else ""

    @property
    def ci_text(self):
        """“95% CI 11.7–18.8%”."""
        low, high = self.interval
        return f"95% CI {percent(low, sign=False)}–{percent(high)}"

    @property
    def interval_text(self):
        """“14.9% (95% CI 11.7–18.8%)”."""
        return f"{percent(self.share)} ({self.ci_text})"

    def sentence(self):
        """“58 of 389 overturned — 14.9% (95% CI 11.7–18.8%)”, or why there is no rate."""
        counted = f"{self.overturned:,} of {self.decisions:,} overturned"
        if not self.enough:
            return f"{counted} — too few decisions to give a rate"
        return f"{counted} — {self.interval_text}"

    def short(self):
        """“14.9% of 389”, or “too few to rate (4)”, for charts and facet lists."""
        if not self.enough:
            return f"too few to rate ({self.decisions:,})"
        return f"{percent(self.share)} of {self.decisions:,}"

    def as_dict(self):
        low, high = self.interval if self.decisions else (None, None)
        return {
            "overturned": self.overturned,
            "decisions": self.decisions,
            "rate": round(self.share, 4) if self.enough else None,
            "ci_low": round(low, 4) if self.enough else None,
            "ci_high": round(high, 4) if self.enough else None,
        }


def difference(first, second):
    """(low, high) of the 95% interval of first's rate minus second's (Newcombe's hybrid score
    method, from each rate's Wilson interval): a difference is clear when it leaves out 0."""
    p1, p2 = first.share, second.share
    (l1, u1), (l2, u2) = first.interval, second.interval
    low = (p1 - p2) - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = (p1 - p2) + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (low, high)


def wilson(successes, trials, z=Z_95):
    if not trials:
        return (0.0, 1.0)
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    margin = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - margin), min(1.0, centre + margin))


def percent(fraction, sign=True):
    return f"{fraction * 100:.1f}" + ("%" if sign else "")


# Calibration: how far predicted overturn probabilities are from what was decided.


def brier(pairs):
    """The Brier score of (predicted probability, outcome) pairs, the outcome 1 when overturned and
    0 when upheld: the mean squared miss; 0 is perfect, always predicting 50% scores 0.25."""
    return sum((predicted - happened) ** 2 for predicted, happened in pairs) / len(pairs)


@dataclass(frozen=True)
class Bucket:
    """Predictions from `low` to below `high` (the last bucket up to and with `high`): how many,
    their mean, and the rate at which those decisions were in fact overturned."""

    low: float
    high: float
    count: int
    predicted: float | None
    observed: Rate


def reliability(pairs, edges):
    """The reliability table of (predicted probability, outcome) pairs over buckets bounded by
    `edges` (ascending, the first 0 and the last 1): a calibrated prediction's mean matches its
    bucket's observed rate."""
    buckets = []
    for index, (low, high) in enumerate(itertools.pairwise(edges)):
        last = index == len(edges) - 2
        inside = [(p, o) for p, o in pairs if low <= p < high or (last and p == high)]
        mean = sum(p for p, _ in inside) / len(inside) if inside else None
        buckets.append(Bucket(low, high, len(inside), mean, Rate(sum(o for _, o in inside), len(inside))))
    return buckets
