"""One search, from request parameters to a page of loaded, highlighted hits with facet counts.

The HTML page, the JSON API and the CSV export all call `run_search`, so they cannot disagree.
"""
import math
from dataclasses import dataclass, field

from django.db.models import Prefetch

from decisions import search
from decisions.filters import ItemSearchFilterSet
from decisions.models import CitedPage, DecisionItem, GuidelineCitation, GuidelineSource, Necessity, Outcome
from decisions.search.highlight import passage

PER_PAGE = 20
MAX_PAGE_NUMBER = 500
FACET_LABELS = {"outcome": dict(Outcome.choices), "source": dict(GuidelineSource.choices),
                "necessity": dict(Necessity.choices)}
FACET_TITLES = {"outcome": "Outcome", "category": "Category", "drug_class": "Drug class", "treatment": "Treatment",
                "source": "Guideline source", "specialty": "Reviewer specialty", "state": "Licensure state",
                "necessity": "Rationale concludes"}
FACET_LIMITS = {"treatment": 15, "specialty": 12, "state": 12, "drug_class": 12}


@dataclass
class Hit:
    item: DecisionItem
    passage: str  # safe HTML
    score: float | None


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    toggle_query: str  # the query string with this value switched on or off


@dataclass
class SearchPage:
    filterset: ItemSearchFilterSet
    errors: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 0
    hits: list = field(default_factory=list)
    facets: dict = field(default_factory=dict)
    terms: frozenset = frozenset()
    query_text: str = ""
    sort: str = search.RELEVANCE
    searched: bool = False

    @property
    def first_index(self):
        return (self.page - 1) * PER_PAGE + 1 if self.total else 0

    @property
    def last_index(self):
        return min(self.page * PER_PAGE, self.total)


def _page_number(params):
    try:
        return min(max(int(params.get("page", 1)), 1), MAX_PAGE_NUMBER)
    except (TypeError, ValueError):
        return 1


def _toggle(params, name, value):
    query = params.copy()
    values = query.getlist(name)
    query.setlist(name, [v for v in values if v != value] if value in values else values + [value])
    query.pop("page", None)
    return query.urlencode()


def _facets(params, raw_facets, selected):
    facets = {}
    for name, counts in raw_facets.items():
        chosen = set(selected.get(name) or [])
        values = [FacetValue(value, FACET_LABELS.get(name, {}).get(value, value), count, value in chosen,
                             _toggle(params, name, value)) for value, count in counts]
        # A chosen value stays visible even when the other filters leave it no items.
        values += [FacetValue(value, FACET_LABELS.get(name, {}).get(value, value), 0, True,
                              _toggle(params, name, value))
                   for value in chosen if value not in {v.value for v in values}]
        facets[name] = (FACET_TITLES[name], values)
    return facets


def load_items(item_ids):
    """The items, in the order given, with what a hit shows, in three queries."""
    items = (DecisionItem.objects.filter(pk__in=item_ids).select_related("determination")
             .defer("determination__text", "determination__clinical_summary", "determination__diagnoses",
                    "claims_administrator_guideline")
             .prefetch_related("determination__specialty_links__specialty",
                               Prefetch("citations", queryset=GuidelineCitation.objects.prefetch_related(
                                   Prefetch("cited_pages", queryset=CitedPage.objects.order_by("page"))))))
    by_id = {item.pk: item for item in items}
    return [by_id[pk] for pk in item_ids if pk in by_id]


def validate(params):
    """(filterset, cleaned data or None, errors as sentences) for request parameters."""
    filterset = ItemSearchFilterSet(params, queryset=DecisionItem.objects.none())
    data, errors = filterset.clean_form()
    return filterset, data, errors


def run_search(params):
    """Validate the parameters, search the index, and load the requested page."""
    filterset, data, errors = validate(params)
    result_page = SearchPage(filterset=filterset, page=_page_number(params))
    if errors:
        result_page.errors = errors
        return result_page
    result_page.query_text = data.get("q") or ""
    result_page.sort = data.get("sort") or search.RELEVANCE
    result_page.searched = True
    try:
        result = search.search(result_page.query_text, filterset.to_filters(data), sort=result_page.sort,
                               offset=(result_page.page - 1) * PER_PAGE, limit=PER_PAGE, facet_limits=FACET_LIMITS)
    except search.QueryError as error:
        result_page.errors = [f"Search: {error}."]
        return result_page
    result_page.total = result.total
    result_page.pages = math.ceil(result.total / PER_PAGE)
    if result_page.page > result_page.pages > 0:
        pages = "1 page" if result_page.pages == 1 else f"{result_page.pages} pages"
        result_page.errors = [f"The results fill only {pages}; page {result_page.page} is past the end."]
    result_page.terms = search.highlight_terms(result.parsed_query)
    scores = {int(item_id): score for item_id, score in result.hits}
    result_page.hits = [Hit(item, passage(item.rationale, result_page.terms), scores[item.pk])
                        for item in load_items(list(scores))]
    result_page.facets = _facets(params, result.facets, data)
    return result_page
