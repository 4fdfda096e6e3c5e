"""One search, from request parameters to a page of loaded, highlighted hits with facet counts.

The HTML page and the JSON API call `search_results`; the CSV export validates the same
parameters with `validate` and runs the same SearchQuery, so none of them can disagree.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Prefetch

from decisions import search, sections, spelling, vocabulary
from decisions.filters import CASE_NUMBER, PER_PAGE, ItemSearchFilterSet
from decisions.labels import FACET_LABELS, value_labels
from decisions.models import (
    CitedPage,
    CitedSection,
    DecisionItem,
    Determination,
    GuidelineCitation,
    GuidelineSection,
    ReviewerSpecialty,
)
from decisions.search.documents import grouped
from decisions.search.fields import FACET_FIELDS, FILTER_FIELDS, SECTION_FIELDS
from decisions.stats import Rate

# How deep paging reaches, whatever the page size (a deeper result is one a narrower search shows).
MAX_DEPTH = 10_000
# A facet's "show all" lists this many values at most (diagnoses run to thousands at scale).
ALL_FACET_VALUES = 500
# Facets counted in full on every search: the section facet also fills the form's list of sections.
COUNTED_IN_FULL = set(SECTION_FIELDS)


def facet_request(params):
    """(facet, how many values to ask for) per facet: one more than shown, to know whether there are
    more; a facet the reader opened (`more=<facet>`) shows all its values."""
    opened = set(params.getlist("more")) | COUNTED_IN_FULL
    return tuple(
        (name, (ALL_FACET_VALUES if name in opened else FILTER_FIELDS[name].facet_limit) + 1)
        for name in FACET_FIELDS
    )


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
    rate: Rate | None = None  # overturned among the items holding this value


@dataclass
class Hint:
    """A sentence about what the search box understood or could mean, with an optional link."""

    text: str
    link_text: str = ""
    query: str = ""  # the query string the link goes to
    after: str = ""  # text after the link


@dataclass
class Facet:
    title: str
    values: list  # FacetValue
    more_query: str = ""  # the query string showing all values, when some are not shown
    opened: bool = False  # all values asked for (`more=<facet>`)
    fewer_query: str = ""  # the query string showing the usual few again
    capped: bool = False  # even "all" could not list every value


SECTION_LABELS = {
    "section": "Cited by the IMR reviewer",
    "ur_section": "Cited by the claims administrator (UR)",
}


@dataclass
class SectionChoices:
    """The form's list of the sections one party cited, with the items citing each."""

    name: str
    label: str
    groups: list  # (guideline, [(term, section name, items)])
    chosen: set


@dataclass
class ResultsPage:
    filterset: ItemSearchFilterSet
    errors: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 0
    hits: list = field(default_factory=list)
    facets: dict = field(default_factory=dict)
    notices: list = field(default_factory=list)
    hints: list = field(default_factory=list)  # Hint: what typed words stand for, did you mean
    overturn_rate: Rate | None = None  # among the items matching all but the outcome filter
    active: list = field(default_factory=list)  # (label, query string without that filter)
    highlighter: object = None
    section_choices: list = field(default_factory=list)  # SectionChoices of each section field
    query_text: str = ""
    sort: str = search.RELEVANCE
    searched: bool = False
    per_page: int = PER_PAGE
    unavailable: bool = False  # the index cannot be read at all (the API answers 503)

    @property
    def shows_claims_citations(self):
        """A search by what the claims administrator cited shows those citations on each hit."""
        return bool(self.searched and self.filterset.form.cleaned_data.get("ur_section"))

    @property
    def first_index(self):
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self):
        return min(self.page * self.per_page, self.total)


def _changed(params, changes):
    """The query string with some parameters' values replaced (`changes`: name -> values) and no
    page, in the parameters' order; built from lists, not a copy of the QueryDict (a deep copy,
    once per facet value on every page)."""
    pairs = []
    for name, values in [*params.lists(), *((name, []) for name in changes if name not in params)]:
        if name != "page":
            pairs.extend((name, value) for value in changes.get(name, values))
    return urlencode(pairs)


def _toggle(params, name, value):
    values = params.getlist(name)
    return _changed(
        params, {name: [v for v in values if v != value] if value in values else values + [value]}
    )


# Parameters that narrow a search, what the bar above the results calls them, and the parameters
# one removal clears together (a date range is one filter in two boxes).
ACTIVE_FILTERS = [
    ("q", "Words", ("q",)),
    *((name, FILTER_FIELDS[name].title, (name,)) for name in FACET_FIELDS),
    ("cited_page", "Cited page", ("cited_page", "page_source")),
    ("guideline", "Guideline", ("guideline",)),
    ("chapter", "ACOEM chapter", ("chapter",)),
    ("decided_after", "Decided from", ("decided_after",)),
    ("decided_before", "Decided to", ("decided_before",)),
    ("injured_after", "Injured from", ("injured_after",)),
    ("injured_before", "Injured to", ("injured_before",)),
    ("received_after", "Received from", ("received_after",)),
    ("received_before", "Received to", ("received_before",)),
    ("undated", "Undated items included", ("undated",)),
    ("case", "Case number", ("case",)),
]


def without_blanks(params):
    """The query string without its empty parameters (a submitted form sends every field), or None
    when it has none."""
    pairs = [(name, value) for name, values in params.lists() for value in values]
    kept = [(name, value) for name, value in pairs if value.strip()]
    return urlencode(kept) if len(kept) < len(pairs) else None


def without(params, names=(), value=None):
    """The query string with these parameters (or just this one value of them) removed, and no page."""
    return _changed(
        params,
        {name: [v for v in params.getlist(name) if value is not None and v != value] for name in names},
    )


def active_filters(params):
    """(label, query string without it) for every filter in force, in the order of the form."""
    active = []
    for name, title, clears in ACTIVE_FILTERS:
        for value in params.getlist(name):
            if not value.strip():
                continue
            shown = value_labels(name, [value])[value]
            if name == "undated":
                shown = FILTER_FIELDS[value].title.lower() if value in FILTER_FIELDS else value
            if name == "cited_page" and params.get("page_source"):
                shown = (
                    f"{FACET_LABELS['source'].get(params['page_source'], params['page_source'])} p. {value}"
                )
            active.append((f"{title}: {shown}", without(params, clears, value if len(clears) == 1 else None)))
    return active


def _facets(params, raw_facets, selected):
    facets = {}
    opened = params.getlist("more")
    for name, counts in raw_facets.items():
        chosen = set(selected.get(name) or [])
        if FILTER_FIELDS[name].hidden_alone and len(counts) <= 1 and not chosen:
            continue
        shown = ALL_FACET_VALUES if name in opened else FILTER_FIELDS[name].facet_limit
        labels = value_labels(name, [facet.value for facet in counts[:shown]] + sorted(chosen))
        values = [
            FacetValue(
                facet.value,
                labels[facet.value],
                facet.count,
                facet.value in chosen,
                _toggle(params, name, facet.value),
                # With an outcome chosen every rate would read 0% or 100%: none is shown then.
                None if selected.get("outcome") else Rate(facet.overturned, facet.count),
            )
            for facet in counts[:shown]
        ]
        # A chosen value stays visible even when the other filters leave it no items.
        values += [
            FacetValue(value, labels[value], 0, True, _toggle(params, name, value))
            for value in chosen
            if value not in {v.value for v in values}
        ]
        facet = Facet(FILTER_FIELDS[name].title, values)
        if name in opened:
            facet.opened, facet.fewer_query = True, _toggle(params, "more", name)
            facet.capped = len(counts) > shown
        elif len(counts) > shown:
            facet.more_query = _toggle(params, "more", name)
        facets[name] = facet
    return facets


def load_items(item_ids):
    """The items, in the order given, with what a hit shows, in five queries. The models' default
    orderings are left out: the order is the caller's, and ordering citations by their item's
    letter's date joined two large tables for nothing. Specialty names and cited pages are read as
    plain values: nested prefetches built a queryset per letter and per citation, ~8 ms a page."""
    items = list(
        DecisionItem.objects.filter(pk__in=item_ids)
        .order_by()
        .select_related("determination")
        .defer(
            "determination__text",
            "determination__clinical_summary",
            "determination__diagnoses",
            "claims_administrator_guideline",
        )
        .prefetch_related(
            Prefetch("citations", queryset=GuidelineCitation.objects.order_by("item_id", "position"))
        )
    )
    names = grouped(
        ReviewerSpecialty.objects.filter(determination_id__in={item.determination_id for item in items})
        .order_by("determination_id", "position")
        .values_list("determination_id", "specialty__name")
    )
    citations = [citation for item in items for citation in item.citations.all()]
    citation_ids = [citation.pk for citation in citations]
    pages = grouped(
        CitedPage.objects.filter(citation_id__in=citation_ids)
        .order_by("citation_id", "page")
        .values_list("citation_id", "page")
    )
    sections = grouped(
        (citation_id, GuidelineSection(pk=pk, guideline=guideline, key=key, name=name))
        for citation_id, pk, guideline, key, name in CitedSection.objects.filter(citation_id__in=citation_ids)
        .order_by("citation_id", "id")
        .values_list("citation_id", "section_id", "section__guideline", "section__key", "section__name")
    )
    for item in items:
        item.determination.specialty_names = names.get(item.determination_id, [])
    for citation in citations:
        citation.pages = pages.get(citation.pk, [])
        citation.sections = sections.get(citation.pk, [])
    by_id = {item.pk: item for item in items}
    return [by_id[pk] for pk in item_ids if pk in by_id]


def letter_for_case_number(text):
    """The letter a search box holding just an IMR case number means, if there is one."""
    typed = (text or "").strip().upper()
    if not CASE_NUMBER.fullmatch(typed):
        return None
    return Determination.objects.filter(case_number=typed).first()


def highlighter_for(text):
    """Marks the words of a typed query (none when it is not a valid query)."""
    try:
        return search.backend().highlighter(search.parse(text))
    except search.QueryError:
        return search.backend().highlighter(None)


def validate(params):
    """(filterset, errors as sentences) for request parameters; filterset.qs is the SearchQuery."""
    filterset = ItemSearchFilterSet(params, queryset=search.SearchQuery(facets=facet_request(params)))
    return filterset, [] if filterset.is_valid() else filterset.error_sentences()


def _page(paginator, params, result_page):
    """The requested page; past the end, the last one with a sentence saying so."""
    requested = params.get("page", "1")
    try:
        number = int(requested)
    except (TypeError, ValueError):
        result_page.notices.append(f"“{requested}” is not a page number; showing the first page.")
        return paginator.page(1)
    deepest = MAX_DEPTH // paginator.per_page
    if number > deepest and paginator.num_pages > deepest:
        result_page.notices.append(
            f"Only the first {MAX_DEPTH:,} results ({deepest} pages) can be shown; narrow the search "
            f"with words or filters to see the rest."
        )
        return paginator.page(deepest)
    if number > paginator.num_pages:
        pages = "1 page" if paginator.num_pages == 1 else f"{paginator.num_pages} pages"
        result_page.notices.append(
            f"The results fill only {pages}; page {number} is past the end, so this is the last page."
        )
    return paginator.get_page(number)


def _listed(parts):
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def meaning_hints(query_text):
    """`ESI — also searching “epidural steroid injection” and items whose treatment is ...`;
    `rationale:UDS — also searching “urine drug screen” ... in the rationale`."""
    hints = []
    for meaning, typed_in in search.syntax.meanings(query_text):
        parts = [f"“{phrase}”" for phrase in meaning.phrases]
        if typed_in is not None:
            if parts:
                hints.append(
                    Hint(f"{typed_in}:{meaning.word} — also searching {_listed(parts)} in the {typed_in}.")
                )
            continue
        if meaning.treatment:
            parts.append(f"items whose treatment is {meaning.treatment}")
        if meaning.drug_class:
            parts.append(f"items of the drug class {meaning.drug_class}")
        hints.append(Hint(f"{meaning.word} — also searching {_listed(parts)}."))
    return hints


def treatment_hint(params, query_text, raw_facets, selected, total):
    """Words that name a treatment also find other treatments' items that mention it; offer the
    treatment itself (when the results hold such others)."""
    treatment = vocabulary.treatment_named(query_text)
    if not treatment or treatment in (selected.get("treatment") or []):
        return []
    counts = {facet.value: facet.count for facet in raw_facets.get("treatment", [])}
    if not 0 < counts.get(treatment, 0) < total:
        return []
    return [
        Hint(
            f"“{query_text}” names a treatment: {counts[treatment]:,} of these items are requests for "
            f"{treatment}; the others mention it.",
            "Show only the requests for it",
            _toggle(params, "treatment", treatment),
        )
    ]


def spelling_hint(params, query_text, backend):
    """Did you mean: each typed word with a close known spelling, corrected."""
    corrected, changed = query_text, False
    for word in dict.fromkeys(search.syntax.unscoped_words(query_text)):
        close = spelling.suggestion(word, backend)
        if close:
            corrected, changed = re.sub(rf"(?<![\w:]){re.escape(word)}(?!\w)", close, corrected), True
    if not changed:
        return []
    query = params.copy()
    query["q"] = corrected
    query.pop("page", None)
    return [Hint("Did you mean", corrected, query.urlencode(), "?")]


def undated_hints(params, query, backend):
    """A date range leaves out the items whose letter gives no such date: say how many, and offer
    to include them."""
    hints = []
    for name, value in query.filters:
        if not isinstance(value, search.DateRange) or value.undated:
            continue
        left_out = backend.search(query.with_filter(name, search.NoDate()).with_facets(())).total
        if left_out:
            field_title = FILTER_FIELDS[name].title.lower()
            hints.append(
                Hint(
                    f"{left_out:,} item{'s' if left_out != 1 else ''} with no {field_title} in the letter "
                    f"{'are' if left_out != 1 else 'is'} left out by the {field_title} filter.",
                    "Include them",
                    _toggle(params, "undated", name),
                )
            )
    return hints


def search_results(params):
    """Validate the parameters, search the index, and load the requested page."""
    filterset, errors = validate(params)
    result_page = ResultsPage(filterset=filterset)
    if errors:
        result_page.errors = errors
        return result_page
    query = filterset.qs
    result_page.query_text = filterset.form.cleaned_data.get("q") or ""
    result_page.sort = query.sort
    result_page.searched = True
    result_page.per_page = int(filterset.form.cleaned_data.get("per_page") or PER_PAGE)
    backend = search.backend()
    try:
        results = backend.search(query)
        page = _page(Paginator(results, result_page.per_page), params, result_page)
    except search.QueryError as error:
        result_page.errors = [f"Search: {error}."]
        result_page.unavailable = isinstance(error, search.IndexUnavailable)
        return result_page
    result_page.total, result_page.page, result_page.pages = (
        results.total,
        page.number,
        page.paginator.num_pages,
    )
    result_page.highlighter = backend.highlighter(query.text)
    hits = list(page.object_list)
    scores = {hit.item_id: hit.score for hit in hits}
    result_page.hits = [
        Hit(item, result_page.highlighter.passage(item.rationale), scores[item.pk])
        for item in load_items(list(scores))
    ]
    result_page.facets = _facets(params, results.facets, filterset.form.cleaned_data)
    result_page.section_choices = [
        SectionChoices(
            name,
            SECTION_LABELS[name],
            sections.grouped_by_guideline(
                [(facet.value, facet.count) for facet in results.facets.get(name, [])]
            ),
            set(filterset.form.cleaned_data.get(name) or []),
        )
        for name in SECTION_FIELDS
    ]
    result_page.active = active_filters(params)
    result_page.hints = meaning_hints(result_page.query_text) + treatment_hint(
        params, result_page.query_text, results.facets, filterset.form.cleaned_data, results.total
    )
    result_page.hints += undated_hints(params, query, backend)
    if not results.total:
        result_page.hints += spelling_hint(params, result_page.query_text, backend)
    outcomes = {facet.value: facet for facet in results.facets.get("outcome", [])}
    if outcomes:
        result_page.overturn_rate = Rate(
            outcomes["overturned"].count if "overturned" in outcomes else 0,
            sum(facet.count for facet in outcomes.values()),
        )
    return result_page
