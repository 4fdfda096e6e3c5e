"""Overturn rates for a search, broken down by year, treatment, drug class, specialty, guideline
source, cited page and cited section: the aggregates come from the backend's facet counts, never
from loading items.

Rates count both outcomes, so a chosen outcome filter is set aside here (and the page says so).
"""

import dataclasses
from dataclasses import dataclass

from decisions import sections
from decisions.models import GuidelineSource
from decisions.search.fields import SECTION_FIELDS, UNDATED
from decisions.stats import Rate

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
]
SOURCE_LABELS = dict(GuidelineSource.choices)


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
class Insights:
    overall: Rate
    breakdowns: list
    outcome_filter_set_aside: bool

    def breakdown(self, name):
        return next(breakdown for breakdown in self.breakdowns if breakdown.name == name)


def _label(field, value):
    if field == "decided_year":
        return "Undated" if value == UNDATED else value
    if field == "source":
        return SOURCE_LABELS.get(value, value)
    if field == "cited":
        source, page = value.split(":", 1)
        return f"{SOURCE_LABELS.get(source, source)} p. {page}"
    return value


def _rows(field, counts, limit):
    if field == "cited":  # "any:63" repeats what a source's own page already counts
        counts = [count for count in counts if not count.value.startswith("any:")]
    if field == "decided_year":
        counts = sorted(counts, key=lambda count: (count.value == UNDATED, count.value))
    counts = counts[:limit] if limit else counts
    labels = sections.labels([count.value for count in counts]) if field in SECTION_FIELDS else {}
    return [
        Row(
            count.value,
            labels.get(count.value) or _label(field, count.value),
            Rate(count.overturned, count.count),
        )
        for count in counts
    ]


def insights(backend, query):
    """Insights for a SearchQuery (as the search FilterSet builds it)."""
    filters = tuple((name, value) for name, value in query.filters if name != "outcome")
    facets = (("outcome", None), *((field, None) for _, field, _, _ in BREAKDOWNS))
    results = backend.search(dataclasses.replace(query, filters=filters, facets=facets))
    outcomes = {count.value: count.count for count in results.facets["outcome"]}
    overall = Rate(outcomes.get("overturned", 0), sum(outcomes.values()))
    breakdowns = [
        Breakdown(name, title, _rows(field, results.facets[field], limit))
        for name, field, title, limit in BREAKDOWNS
    ]
    return Insights(overall, breakdowns, len(filters) != len(query.filters))


def chart_names():
    return [name for name, *_ in BREAKDOWNS]
