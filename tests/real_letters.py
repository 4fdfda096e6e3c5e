"""The real determination letters of ../shared/real (as the DWC posted them) and what a careful
reader takes from each (truth.json): a per-field comparison with what the parser reads.

Texts are compared as a reader compares them: spacing aside, and a hyphen that truth.json keeps
before a line break's space (`Electro- diagnostic`) may be joined (`Electrodiagnostic`). A section
that truth.json records by its number alone (`3`, for `Section(s): 3.3.9 Opioids for Chronic Pain
...`) is right when the parser's section is the title written after that number.
"""

import json
import re
from collections import Counter
from pathlib import Path

from decisions.vocabulary.guidelines import section_key
from tests.letters import REPO

REAL = REPO.parent / "shared" / "real"
TRUTH_FILE = REAL / "truth.json"
# Per letter: a field is right for a letter when it is right for the letter and all its items.
LETTER_FIELDS = [
    "case number",
    "date assigned",
    "decision date",
    "UR denial date",
    "application received",
    "date of injury",
    "priority",
    "licensure",
    "specialties",
    "items found",
    "request",
    "outcome",
    "claims administrator guideline",
    "MAXIMUS guideline",
    "citation sources",
    "cited pages",
    "cited sections",
    "partial authorization",
    "disputed remainder",
]


def truth():
    return json.loads(TRUTH_FILE.read_text(encoding="utf-8"))


def letter_path(name, suffix):
    return REAL / "letters" / Path(name).with_suffix(suffix).name


def _typographic(value):
    return (value or "").replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'")


def same_text(ours, theirs):
    parts = re.split(r"(-\s+)|\s+", _typographic(theirs))
    pattern = "".join("-?" if re.fullmatch(r"-\s+", part) else re.escape(part) for part in parts if part)
    return re.fullmatch(pattern, re.sub(r"\s+", "", _typographic(ours))) is not None


def _same_section(ours, theirs, maximus):
    if re.fullmatch(r"\d+", theirs) and ours != theirs:
        return bool(re.search(rf"Section\(s\):\s*{theirs}[.\d]*\s+{re.escape(ours)}", _typographic(maximus)))
    return section_key(ours) == section_key(theirs)


def _iso(value):
    return value.isoformat() if value else None


def _item_checks(ours, theirs):
    sections = [", ".join(c.sections) for c in ours.citations if c.sections]
    authorization = ours.authorization
    return {
        "request": same_text(ours.request, theirs["request"]),
        "outcome": ours.outcome == theirs["outcome"],
        "claims administrator guideline": same_text(
            ours.claims_administrator_guideline, theirs["claims_administrator_guideline"]
        ),
        "MAXIMUS guideline": same_text(ours.maximus_guideline, theirs["maximus_guideline"]),
        "citation sources": [[c.source, c.chapter] for c in ours.citations] == theirs["sources"],
        "cited pages": sorted({page for c in ours.citations for page in c.pages}) == theirs["pages"],
        "cited sections": len(sections) == len(theirs["sections"])
        and all(
            _same_section(a, b, theirs["maximus_guideline"])
            for a, b in zip(sections, theirs["sections"], strict=True)
        ),
        "partial authorization": (authorization is not None) == bool(theirs.get("partial_authorization")),
        "disputed remainder": not theirs.get("request_remaining")
        or (authorization is not None and same_text(authorization.remaining, theirs["request_remaining"])),
    }


def letter_checks(letter, expected):
    """field -> whether the parsed letter reads it as truth.json does."""
    dates = expected["dates"]
    checks = {
        "case number": letter.case_number == expected["case_number"],
        "date assigned": _iso(letter.dates.assigned) == dates["assigned"],
        "decision date": _iso(letter.dates.decision) == dates["decision"],
        "UR denial date": _iso(letter.dates.ur_denial) == dates["ur_denial"],
        "application received": _iso(letter.dates.received) == dates["received"],
        "date of injury": _iso(letter.patient.date_of_injury) == dates["date_of_injury"],
        "priority": letter.priority == expected["priority"],
        "licensure": letter.reviewer.licensure_states == expected["licensure_states"],
        "specialties": letter.reviewer.specialties == expected["specialties"],
        "items found": len(letter.items) == len(expected["items"]),
    }
    items = [
        _item_checks(ours, theirs) for ours, theirs in zip(letter.items, expected["items"], strict=False)
    ]
    for name in LETTER_FIELDS[len(checks) :]:
        checks[name] = checks["items found"] and all(item[name] for item in items)
    return checks


class Tally:
    """Letters right per field, and which letters were wrong."""

    def __init__(self):
        self.right, self.letters, self.wrong = Counter(), 0, {}

    def add(self, name, checks):
        self.letters += 1
        for field, good in checks.items():
            self.right[field] += good
            if not good:
                self.wrong.setdefault(field, []).append(name)

    def share(self, field):
        return self.right[field] / self.letters if self.letters else 0.0

    def table(self, title):
        rows = [f"{title}: {self.letters} letters", f"{'field':32} {'right':>9}  share"]
        rows += [
            f"{field:32} {self.right[field]:>4}/{self.letters:<4}  {100 * self.share(field):5.1f}%"
            + (f"  wrong: {', '.join(self.wrong[field][:3])}" if field in self.wrong else "")
            for field in LETTER_FIELDS
        ]
        return "\n".join(rows)
