"""What IMR reviewers cite, guideline by guideline: the sections and pages of each, with how often
the items citing them were overturned. Counted by the search backend's facets (two searches),
never by grouping every stored citation, so the page costs the same at a million letters."""

from dataclasses import dataclass

from django.utils.http import urlencode

from decisions import explorer, search, sections
from decisions.search import AnyOf, SearchQuery
from decisions.stats import Rate
from decisions.vocabulary import guidelines

# More values than any guideline has sections or pages.
ALL_VALUES = 5000
ORDERS = {"count": "most cited", "rate": "highest overturn rate"}


@dataclass
class Row:
    label: str
    query: str  # the search page's query string for the items citing it
    rate: Rate
    address: str  # its page in the explorer


@dataclass
class Guideline:
    key: str
    name: str
    items: int  # items citing it


@dataclass
class Cited:
    guideline: Guideline
    guidelines: list  # Guideline, most cited first
    sections: list  # Row
    pages: list  # Row


def _ordered(rows, order):
    if order == "rate":
        return sorted(
            rows, key=lambda row: (not row.rate.enough, -(row.rate.share or 0), -row.rate.decisions)
        )
    return sorted(rows, key=lambda row: -row.rate.decisions)


def cited(key, order="count"):
    """The sections and pages of one guideline (its key in the vocabulary) the archive cites."""
    backend = search.backend()
    every = backend.search(SearchQuery(facets=(("guideline", ALL_VALUES),))).facets["guideline"]
    known = guidelines.guidelines()
    present = [Guideline(f.value, known[f.value].short, f.count) for f in every if f.value in known]
    chosen = guidelines.guideline(key)
    found = backend.search(
        SearchQuery(
            filters=(("guideline", AnyOf((key,))),), facets=(("section", ALL_VALUES), ("cited", ALL_VALUES))
        )
    )
    own = [f for f in found.facets["section"] if f.value.startswith(f"{key}:")]
    labels = sections.labels([f.value for f in own])
    section_rows = [
        Row(
            labels[f.value].partition(": ")[2],
            urlencode({"section": f.value}),
            Rate(f.overturned, f.count),
            explorer.address_of("section", f.value),
        )
        for f in own
    ]
    page_rows = [
        Row(
            f"p. {page}",
            urlencode({"page_source": chosen.source, "cited_page": page}),
            Rate(f.overturned, f.count),
            explorer.address_of("cited", f.value),
        )
        for f in found.facets["cited"]
        if (page := f.value.partition(":")[2]) and f.value.startswith(f"{chosen.source}:")
    ]
    items = next((g.items for g in present if g.key == key), 0)
    return Cited(
        Guideline(key, chosen.short, items),
        present,
        _ordered(section_rows, order),
        _ordered(page_rows, order),
    )
