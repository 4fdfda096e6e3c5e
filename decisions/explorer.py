"""One cited guideline section or page, explored: how many decisions cite it, how they went year
by year, the treatments it decides, the reasons reviewers give, what they cite beside it, and the
latest decisions citing it. All of it comes from the facet counts of one search and one window
of its hits, so the page costs the same at a million letters.

What is explored is matched as a term of the query, not as a filter, so the section and page
facets count what the matching decisions cite beside it (a facet leaves out its own filter)."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.http import urlencode

from decisions import search, sections
from decisions.insights import Breakdown, Row, overall, rows
from decisions.models import DecisionItem, GuidelineSource
from decisions.search.contract import NEWEST, Match, SearchQuery
from decisions.search.fields import cited_term, section_term
from decisions.vocabulary import guidelines

TREATMENTS, REASONS, ALONGSIDE, RECENT = 15, 8, 10, 5


@dataclass(frozen=True)
class Cited:
    """A section of a guideline, or a page of a guideline source, as documents store it."""

    field: str  # "section" or "cited"
    term: str  # `chronic_pain:opioidscriteriaforuse`, or `chronic_pain:63`
    title: str  # `MTUS Chronic Pain: Opioids, criteria for use`, or `MTUS Chronic Pain p. 63`
    search: str  # the search page's query string for every item citing it
    listing: str = ""  # the query string of its guideline on the page of what reviewers cite
    known: bool = False  # a section the vocabulary names (its page exists before any decision cites it)

    @property
    def kind(self):
        return "section" if self.field == "section" else "page"


def section(guideline, key):
    """A guideline's section by the keys of the vocabulary, or None for an unknown guideline."""
    if guideline not in guidelines.guidelines() or not key:
        return None
    term = section_term(guideline, key)
    known = term.partition(":")[2] in guidelines.guideline(guideline).sections
    title, search = sections.labels([term])[term], urlencode({"section": term})
    return Cited("section", term, title, search, urlencode({"guideline": guideline}), known)


def page(source, number):
    if source not in GuidelineSource.values:
        return None
    term = cited_term(source, number)
    title = f"{GuidelineSource(source).label} p. {number}"
    search = urlencode({"page_source": source, "cited_page": number})
    return Cited("cited", term, title, search, urlencode({"source": source}))


@dataclass
class Alongside(Row):
    """Another section or page cited by decisions that cite this one."""

    address: str = ""


@dataclass
class Explored:
    cited: Cited
    rate: object  # Rate of every decision citing it
    by_year: Breakdown
    treatments: Breakdown
    reasons: Breakdown  # the most common reasons given, and how often decisions giving each were overturned
    alongside: list  # Alongside, most cited together first
    recent: list  # DecisionItem, newest decision first


def _alongside(counts, cited):
    """Sections and pages the matching decisions also cite, with their rate among those decisions."""
    found = []
    for field, values in counts:
        values = [count for count in values if count.value != cited.term]
        found += [(field, row) for row in rows(field, values, None)]
    found.sort(key=lambda pair: -pair[1].rate.decisions)
    return [
        Alongside(row.value, row.label, row.rate, address)
        for field, row in found
        if (address := address_of(field, row.value))
    ][:ALONGSIDE]


def address_of(field, term):
    """The explorer's address of a stored section or page term (None for one it cannot show)."""
    owner, _, rest = term.partition(":")
    if field == "section" and owner in guidelines.guidelines() and rest:
        return reverse("decisions:cited_section", args=(owner, rest))
    if field == "cited" and owner in GuidelineSource.values and rest.isdigit():
        return reverse("decisions:cited_page", args=(owner, int(rest)))
    return None


def explore(cited):
    results = search.backend().search(
        SearchQuery(
            text=Match(cited.field, cited.term),
            sort=NEWEST,
            facets=(
                ("outcome", None),
                ("decided_year", None),
                ("treatment", TREATMENTS),
                ("reason", REASONS),
                ("section", ALONGSIDE + 1),
                ("cited", 2 * ALONGSIDE + 2),
            ),
        )
    )
    ids = [hit.item_id for hit in results[:RECENT]]
    items = DecisionItem.objects.select_related("determination").in_bulk(ids)
    years = rows("decided_year", results.facets["decided_year"], None)
    treatments = rows("treatment", results.facets["treatment"], TREATMENTS)
    return Explored(
        cited,
        overall(results.facets["outcome"]),
        Breakdown("year", "Overturn rate by decision year", years),
        Breakdown("treatment", "Overturn rate by treatment (most decided)", treatments),
        Breakdown(
            "reason", "Overturn rate by reason given", rows("reason", results.facets["reason"], REASONS)
        ),
        _alongside((("section", results.facets["section"]), ("cited", results.facets["cited"])), cited),
        [items[pk] for pk in ids if pk in items],
    )
