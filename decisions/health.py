"""How well the parser reads the archive: letters by layout, warnings, unrecognised treatments,
items whose rationale gave no known reason, and undated letters. Counted in the database (a few
grouped queries), so it stays cheap at a million letters; the lists of examples are bounded."""

import re
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q

from decisions.models import DecisionItem, Determination, Job, LetterFormat
from decisions.parsing import PARSER_VERSION

# Warning kinds are counted on the most recent letters with warnings, not on all of them.
WARNING_SAMPLE = 5000
TOP = 15


@dataclass
class LayoutRow:
    format: str
    label: str
    letters: int
    with_warnings: int
    undated: int
    items: int = 0
    unrecognised: int = 0
    without_reason: int = 0  # items whose rationale gave no reason the vocabulary knows


@dataclass
class ParseHealth:
    rows: list[LayoutRow]
    total: LayoutRow
    warning_kinds: list[tuple[str, int]] = field(default_factory=list)
    warning_sample: int = 0
    unrecognised_requests: list[tuple[str, int]] = field(default_factory=list)
    last_reparse: Job | None = None
    read_by_older_parser: int = 0  # letters a re-parse would read again with what the parser now knows
    copies: int = 0  # letters stored again in another file (the same case and items as an earlier one)

    @property
    def unrecognised_share(self):
        return self.total.unrecognised / self.total.items if self.total.items else 0.0


def _warning_kind(warning):
    """`item 3 (Norco 10/325mg #120): no MAXIMUS guideline found` -> `item N: no MAXIMUS guideline found`."""
    kind = re.sub(r"\(.*?\)", "", warning)
    kind = re.sub(r"'[^']*'", "'…'", kind)
    return re.sub(r"\d+", "N", re.sub(r"\s+", " ", kind)).strip()


def parse_health():
    labels = dict(LetterFormat.choices)
    letters = {
        row["format"]: row
        for row in Determination.objects.values("format").annotate(
            letters=Count("id"),
            with_warnings=Count("id", filter=~Q(warnings=[])),
            undated=Count("id", filter=Q(decision_date__isnull=True)),
        )
    }
    items = {
        row["determination__format"]: row
        for row in DecisionItem.objects.values("determination__format").annotate(
            items=Count("id"),
            unrecognised=Count("id", filter=Q(treatment="")),
            without_reason=Count("id", filter=Q(reasons=[])),
        )
    }
    rows = []
    for value in [*labels, *(value for value in letters if value not in labels)]:
        if value not in letters:
            continue
        counts = letters[value]
        rows.append(
            LayoutRow(
                format=value,
                label=labels.get(value, value),
                letters=counts["letters"],
                with_warnings=counts["with_warnings"],
                undated=counts["undated"],
                items=items.get(value, {}).get("items", 0),
                unrecognised=items.get(value, {}).get("unrecognised", 0),
                without_reason=items.get(value, {}).get("without_reason", 0),
            )
        )
    total = LayoutRow(
        "",
        "All layouts",
        **{
            name: sum(getattr(row, name) for row in rows)
            for name in ("letters", "with_warnings", "undated", "items", "unrecognised", "without_reason")
        },
    )
    sample = list(
        Determination.objects.exclude(warnings=[])
        .order_by("-id")
        .values_list("warnings", flat=True)[:WARNING_SAMPLE]
    )
    kinds = Counter(_warning_kind(warning) for warnings in sample for warning in warnings)
    unrecognised = (
        DecisionItem.objects.filter(treatment="")
        .values("request")
        .annotate(count=Count("id"))
        .order_by("-count", "request")[:TOP]
    )
    return ParseHealth(
        rows=rows,
        total=total,
        warning_kinds=kinds.most_common(TOP),
        warning_sample=len(sample),
        unrecognised_requests=[(row["request"], row["count"]) for row in unrecognised],
        last_reparse=Job.objects.filter(kind=Job.Kind.REPARSE).order_by("-created_at").first(),
        read_by_older_parser=Determination.objects.filter(parser_version__lt=PARSER_VERSION).count(),
        copies=later_copies().count(),
    )


def later_copies():
    """Letters whose case and items an earlier stored letter already has (a PDF and its text, say):
    the first one stored of each stays."""
    first = Determination.objects.filter(letter_key=OuterRef("letter_key"), pk__lt=OuterRef("pk"))
    return Determination.objects.exclude(letter_key="").filter(Exists(first))
