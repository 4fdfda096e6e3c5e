"""Overturn rates for a search, broken down by year, treatment, drug class, specialty, guideline
source, cited page, cited section and the reason given; and how often each reason is given per
year, treatment and cited section. The aggregates come from the backend's facet counts, never
from loading items.

Rates count both outcomes, so a chosen outcome filter is set aside here (and the page says so).
"""

import dataclasses
from dataclasses import dataclass

from decisions import stats
from decisions.labels import value_labels
from decisions.search import AnyOf
from decisions.search.fields import FILTER_FIELDS, SECTION_FIELDS, UNDATED, section_terms
from decisions.stats import Rate
from decisions.vocabulary.reasons import labels as reason_labels

# (chart name, facet field, title, rows shown; None: all)
BREAKDOWNS = [
    ("year", "decided_year", "Overturn rate by decision year", None),
    ("treatment", "treatment", "Overturn rate by treatment (most decided)", 15),
    ("drug_class", "drug_class", "Overturn rate by drug class", 15),
    ("specialty", "specialty", "Overturn rate by reviewer specialty (most decided)", 15),
    ("source", "source", "Overturn rate by guideline source", None),
    ("cited", "cited", "Overturn rate by cited page (most cited)", 20),
    ("section", "section", "Overturn rate by section the IMR reviewer cited (most cited)", 20),
    ("ur_section", "ur_section", "Overturn rate by section the claims administrator cited (most cited)", 20),
    ("reason", "reason", "Overturn rate by reason the rationale gives", None),
]
# How often each reason is given, per value of a breakdown: (name, breakdown, title, columns shown).
REASON_TABLES = [
    ("reasons_by_year", "year", "Reasons given, by decision year", None),
    ("reasons_by_treatment", "treatment", "Reasons given for the most decided treatments", 6),
    ("reasons_by_section", "section", "Reasons given, by the section the IMR reviewer cited (most cited)", 6),
]
# Filters whose chosen values are compared side by side, the first with several values chosen.
COMPARABLE = {
    name: FILTER_FIELDS[name].title
    for name in (
        "treatment",
        "drug_class",
        "category",
        "section",
        "ur_section",
        "guideline",
        "specialty",
        "source",
    )
}
MAX_COMPARED = 6


@dataclass
class Row:
    value: str
    label: str
    rate: Rate

    @property
    def bar(self):
        """(rate, low, high) as 0-1 fractions for the chart; None when there is no rate to draw."""
        if not self.rate.enough:
            return None
        return (self.rate.share, *self.rate.interval)


@dataclass
class Breakdown:
    name: str
    title: str
    rows: list


@dataclass
class Compared:
    """One of the values being compared (a treatment, say): its rate, and its rate each year."""

    value: str
    label: str
    rate: Rate
    by_year: dict  # year -> Rate


@dataclass
class Comparison:
    """Several values of one filter side by side (ESI against physical therapy): each one's rate,
    each year's, and how far apart the first two are."""

    field: str
    title: str
    compared: list  # Compared
    years: list

    @property
    def rows(self):
        """(year, [Rate of each compared value that year]) for the table, every year present."""
        return [(year, [each.by_year.get(year, Rate(0, 0)) for each in self.compared]) for year in self.years]

    @property
    def difference(self):
        """A sentence on the first two values' rates: which is overturned more, and whether the
        difference is clear at 95% (its interval leaves out no difference)."""
        first, second = self.compared[:2]
        if not (first.rate.enough and second.rate.enough):
            return None
        low, high = stats.difference(first.rate, second.rate)
        points = (first.rate.share - second.rate.share) * 100
        interval = f"95% CI {low * 100:+.1f} to {high * 100:+.1f}"
        gap = f"{first.label} minus {second.label} is {points:+.1f} points ({interval})"
        if low > 0 or high < 0:
            more, less = (first, second) if low > 0 else (second, first)
            return f"{more.label} is overturned more often than {less.label}: {gap}."
        return f"No clear difference between {first.label} and {second.label}: {gap}, which includes none."


@dataclass
class ReasonRow:
    reason: str
    label: str
    cells: list  # Rate per column: its items giving the reason, of its items


@dataclass
class ReasonTable:
    """How often each reason is given among the items of each value of a breakdown (each year, say),
    with its 95% interval."""

    name: str
    title: str
    columns: list  # the breakdown's Rows: a value, its label, and its items (rate.decisions)
    rows: list  # ReasonRow, in the vocabulary's order, of the reasons given in some column


@dataclass
class Insights:
    overall: Rate
    breakdowns: list
    outcome_filter_set_aside: bool
    comparison: Comparison | None = None
    reason_tables: list = dataclasses.field(default_factory=list)

    def breakdown(self, name):
        return next(breakdown for breakdown in self.breakdowns if breakdown.name == name)


def _label(field, value, labels):
    if field == "decided_year":
        return "Undated" if value == UNDATED else value
    if field == "cited":
        source, page = value.split(":", 1)
        return f"{value_labels('source', [source])[source]} p. {page}"
    return labels[value]


def rows(field, counts, limit, chosen=()):
    if field == "cited":  # "any:63" repeats what a source's own page already counts
        counts = [count for count in counts if not count.value.startswith("any:")]
    if field == "decided_year":
        counts = sorted(counts, key=lambda count: (count.value == UNDATED, count.value))
    if chosen:  # a breakdown by a filter in force shows its chosen values, not the archive's top
        counts = [count for count in counts if count.value in chosen]
    counts = counts[:limit] if limit else counts
    labels = value_labels(field, [count.value for count in counts])
    return [
        Row(count.value, _label(field, count.value, labels), Rate(count.overturned, count.count))
        for count in counts
    ]


def overall(counts):
    outcomes = {count.value: count.count for count in counts}
    return Rate(outcomes.get("overturned", 0), sum(outcomes.values()))


def _terms(field, value):
    """The stored values one chosen value of a filter stands for."""
    return tuple(section_terms(value)) if field in SECTION_FIELDS else (value,)


def _comparison(backend, query, filters, chosen):
    """The first filter in force with several values chosen, each value's rates by year; else None."""
    for field, title in COMPARABLE.items():
        values = list(chosen.get(field) or [])[:MAX_COMPARED]
        if len(values) < 2:
            continue
        labels = value_labels(field, values)
        compared = []
        for value in values:
            one = AnyOf(_terms(field, value))
            alone = tuple((name, one if name == field else other) for name, other in filters)
            found = backend.search(
                dataclasses.replace(query, filters=alone, facets=(("outcome", None), ("decided_year", None)))
            )
            by_year = {
                count.value: Rate(count.overturned, count.count) for count in found.facets["decided_year"]
            }
            compared.append(
                Compared(value, labels.get(value, value), overall(found.facets["outcome"]), by_year)
            )
        years = sorted(
            {year for each in compared for year in each.by_year}, key=lambda year: (year == UNDATED, year)
        )
        return Comparison(field, title, compared, years)
    return None


def _reason_table(backend, query, filters, name, title, breakdown, limit):
    """Each column's reason counts: one search per column value, counting the reason facet."""
    field = {chart: field for chart, field, _, _ in BREAKDOWNS}[breakdown.name]
    columns = breakdown.rows[:limit] if limit else breakdown.rows
    counted = {}
    for column in columns:
        one = AnyOf(_terms(field, column.value))
        narrowed = tuple((other, value) for other, value in filters if other != field) + ((field, one),)
        found = backend.search(dataclasses.replace(query, filters=narrowed, facets=(("reason", None),)))
        counted[column.value] = {count.value: count.count for count in found.facets["reason"]}
    given = {reason for counts in counted.values() for reason in counts}
    known = reason_labels()
    labels = reason_labels([key for key in known if key in given] + sorted(given - set(known)))
    rows = [
        ReasonRow(key, label, [Rate(counted[c.value].get(key, 0), c.rate.decisions) for c in columns])
        for key, label in labels.items()
    ]
    return ReasonTable(name, title, columns, rows)


def insights(backend, filterset):
    """Insights for the search a (valid) search FilterSet describes."""
    query, cleaned = filterset.qs, filterset.form.cleaned_data
    filters = tuple((name, value) for name, value in query.filters if name != "outcome")
    facets = (("outcome", None), *((field, None) for _, field, _, _ in BREAKDOWNS))
    results = backend.search(dataclasses.replace(query, filters=filters, facets=facets))
    breakdowns = [
        Breakdown(name, title, rows(field, results.facets[field], limit, cleaned.get(field) or ()))
        for name, field, title, limit in BREAKDOWNS
    ]
    by_name = {breakdown.name: breakdown for breakdown in breakdowns}
    reason_tables = [
        _reason_table(backend, query, filters, name, title, by_name[chart], limit)
        for name, chart, title, limit in REASON_TABLES
    ]
    return Insights(
        overall(results.facets["outcome"]),
        breakdowns,
        len(filters) != len(query.filters),
        _comparison(backend, query, filters, cleaned),
        [table for table in reason_tables if table.rows],
    )


def chart_names():
    return [name for name, *_ in BREAKDOWNS]
