#!/usr/bin/env python
"""How well the vocabulary files requests, on a hand-labelled sample (benchmarks/data/vocabulary_sample.tsv).

    .venv/bin/python benchmarks/vocabulary.py

Coverage: the share of requests that name a treatment and get one. Precision: of the requests
given a treatment, the share given the right one. Both are printed with every miss.
"""

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SAMPLE = REPO / "benchmarks" / "data" / "vocabulary_sample.tsv"
NONE = "-"


@dataclass
class Measured:
    labelled: int = 0  # requests that name a treatment
    covered: int = 0  # of those, given some treatment
    assigned: int = 0  # requests given a treatment
    right: int = 0
    misses: list = field(default_factory=list)  # (request, expected, got)

    @property
    def coverage(self):
        return self.covered / self.labelled if self.labelled else 1.0

    @property
    def precision(self):
        return self.right / self.assigned if self.assigned else 1.0


def sample():
    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return [(row["request"], row["treatment"]) for row in csv.DictReader(lines, delimiter="\t")]


def measure(rows):
    from decisions.vocabulary import normalize_request

    result = Measured()
    for request, expected in rows:
        got = normalize_request(request).name
        if expected != NONE:
            result.labelled += 1
            result.covered += got is not None
        if got is not None:
            result.assigned += 1
            result.right += got == expected
        if (got or NONE) != expected:
            result.misses.append((request, expected, got or NONE))
    return result


def main():
    result = measure(sample())
    print(f"{len(sample())} labelled requests")
    print(f"coverage {result.coverage:.1%} ({result.covered} of {result.labelled} given a treatment)")
    print(f"precision {result.precision:.1%} ({result.right} of {result.assigned} given the right one)")
    for request, expected, got in result.misses:
        print(f"  miss: {request!r}: expected {expected}, got {got}")


if __name__ == "__main__":
    main()
