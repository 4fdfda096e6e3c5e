"""The search form: django-filter declares and validates every parameter and builds the backend query.

The FilterSet's queryset is a `search.SearchQuery`; each filter adds its part (the text, a
keyword's values, a date range, cited pages, the sort), so `filterset.qs` is the query the
backend runs. Cross-field rules live in the form's clean().
"""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError

from decisions import search, spelling, vocabulary
from decisions.models import CaseOutcome, GuidelineSource, Necessity, Outcome
from decisions.parsing.citations import MAX_PAGE
from decisions.search import AnyOf, CitedPages, DateRange
from decisions.search.fields import (
    DATE_FIELDS,
    GENERATED,
    NOT_AUTHORIZED,
    PARTLY_AUTHORIZED,
    REAL,
    section_terms,
)
from decisions.vocabulary import guidelines
from decisions.vocabulary import reasons as reason_vocabulary

SORTS = [
    (search.RELEVANCE, "Relevance"),
    (search.NEWEST, "Newest decision first"),
    (search.OLDEST, "Oldest decision first"),
]
MAX_PAGE_RANGE = 400


class SubmittedOnChange(forms.Select):
    """A list that searches again as soon as it is changed (static/js/search.js; a Go button
    without it), showing its default when the address gives none."""

    def __init__(self, default):
        super().__init__(attrs={"data-submit-on-change": ""})
        self.default = default

    def format_value(self, value):
        return super().format_value(value if value not in (None, "") else self.default)


# Items a page of results shows: the DWC's own search shows 25.
PER_PAGE_CHOICES = (10, 25, 50, 100)
PER_PAGE = 25
_PAGE_RANGE = re.compile(r"^\s*(\d{1,5})\s*(?:(?:-|–|to)\s*(\d{1,5}))?\s*$", re.IGNORECASE)
CASE_NUMBER = re.compile(r"CM\d{2}-\d{4,8}")


def parse_page_range(value):
    """`63` or `63-64` -> (63, 64); ValidationError with a sentence for anything else."""
    match = _PAGE_RANGE.match(value or "")
    if not match:
        raise ValidationError(
            f"“{value}” is not a page or a page range; use a number like 63 or a range like 63-64."
        )
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else first
    if not 1 <= first <= MAX_PAGE or not 1 <= last <= MAX_PAGE:
        raise ValidationError(f"Guideline pages run from 1 to {MAX_PAGE}; “{value}” is outside that.")
    if last < first:
        raise ValidationError(f"The range “{value}” ends before it starts; write the lower page first.")
    if last - first + 1 > MAX_PAGE_RANGE:
        raise ValidationError(f"A page range may span at most {MAX_PAGE_RANGE} pages.")
    return first, last


class QueryField(forms.CharField):
    """The search box: valid when the query language can read it (the text itself is kept)."""

    def clean(self, value):
        value = super().clean(value)
        try:
            search.parse(value)
        except search.QueryError as error:
            raise ValidationError(f"{error}.") from None
        return value


class PageRangeField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        return parse_page_range(value) if value else None


class MultipleValueField(forms.MultipleChoiceField):
    """Several values of one parameter (`treatment=a&treatment=b`), each checked by `clean_value`."""

    widget = forms.SelectMultiple

    def __init__(self, *args, clean_value=None, **kwargs):
        self.clean_value = clean_value
        super().__init__(*args, **kwargs)

    def valid_value(self, value):
        return True

    def clean(self, value):
        values = [item.strip() for item in super().clean(value) if item and item.strip()]
        return [self.clean_value(item) for item in values] if self.clean_value else values


class MultipleValueFilter(django_filters.MultipleChoiceFilter):
    field_class = MultipleValueField


def known_treatment(value):
    """A typed treatment: a brand or generic drug name, or a service the vocabulary knows."""
    generic = vocabulary.generic_for(value)
    if generic:
        return generic
    for name in vocabulary.non_drug_treatments():
        if name.lower() == value.lower():
            return name
    close = spelling.close_names(value)
    suggestion = f" Did you mean {close[0]}?" if close else ""
    raise ValidationError(
        f"No treatment called “{value}” is known; pick one from the list or search it as text.{suggestion}"
    )


def known_drug_class(value):
    if value not in vocabulary.drug_class_names():
        raise ValidationError(f"“{value}” is not a drug class.")
    return value


def known_category(value):
    if value not in vocabulary.CATEGORIES:
        raise ValidationError(f"“{value}” is not a treatment category.")
    return value


def known_reason(value):
    """A reason by its key (`no_functional_improvement`) or its label, in any case."""
    for key, label in reason_vocabulary.labels().items():
        if value.strip().lower() in (key, label.lower()):
            return key
    raise ValidationError(f"“{value}” is not a reason the vocabulary knows.")


def acoem_chapter(value):
    value = value.strip()
    if not (value.isdecimal() and 1 <= int(value) <= 20):  # "²".isdigit(), but int("²") fails
        raise ValidationError(f"“{value}” is not a chapter number (ACOEM chapters run 1 to 20).")
    return str(int(value))


def cited_section(value):
    """`chronic_pain:Opioids, criteria for use`, or a section's name alone (in any guideline)."""
    if not guidelines.section_key(value.partition(":")[2] if ":" in value else value):
        raise ValidationError(f"“{value}” names no section; pick one from the list.")
    terms = section_terms(value)
    return terms[0] if len(terms) == 1 else value


AUTHORIZATION_CHOICES = [
    (PARTLY_AUTHORIZED, "Partly authorized by the claims administrator"),
    (NOT_AUTHORIZED, "Not authorized at all"),
]


LETTERS_CHOICES = [(REAL, "Real DWC decisions"), (GENERATED, "Generated sample letters")]


def guideline_choices():
    return [(key, found.short) for key, found in guidelines.guidelines().items()]


def case_number(value):
    value = value.strip().upper()
    if not CASE_NUMBER.fullmatch(value):
        raise ValidationError(f"“{value}” does not look like CM15-0012345.")
    return value


class SearchForm(forms.Form):
    def clean(self):
        data = super().clean()
        for name, label in (
            ("decided", "Decision dates"),
            ("injured", "Injury dates"),
            ("received", "Dates received"),
        ):
            dates = data.get(name)
            if dates and dates.start and dates.stop and dates.start > dates.stop:
                self.add_error(name, f"{label}: the start date is after the end date.")
        return data


def _keyword(method="filter_any_of", **options):
    return MultipleValueFilter(method=method, **options)


class ItemSearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search rationales, requests and summaries", method="filter_text")
    q.field_class = QueryField
    outcome = django_filters.MultipleChoiceFilter(
        label="Outcome", choices=Outcome.choices, widget=forms.CheckboxSelectMultiple, method="filter_any_of"
    )
    treatment = _keyword(label="Treatment", clean_value=known_treatment)
    drug_class = _keyword(label="Drug class", clean_value=known_drug_class)
    category = _keyword(label="Category", clean_value=known_category)
    source = django_filters.MultipleChoiceFilter(
        label="Guideline source",
        choices=GuidelineSource.choices,
        widget=forms.CheckboxSelectMultiple,
        method="filter_any_of",
    )
    section = _keyword(label="Cited section", clean_value=cited_section, method="filter_sections")
    ur_section = _keyword(label="Section UR cited", clean_value=cited_section, method="filter_sections")
    guideline = django_filters.MultipleChoiceFilter(
        label="Guideline cited", choices=guideline_choices, method="filter_any_of"
    )
    authorized = django_filters.MultipleChoiceFilter(
        label="Before IMR",
        choices=AUTHORIZATION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        method="filter_any_of",
    )
    case_outcome = django_filters.MultipleChoiceFilter(
        label="Case outcome",
        choices=CaseOutcome.choices,
        widget=forms.CheckboxSelectMultiple,
        method="filter_any_of",
    )
    letters = django_filters.MultipleChoiceFilter(
        label="Letters", choices=LETTERS_CHOICES, widget=forms.CheckboxSelectMultiple, method="filter_any_of"
    )
    cited_page = django_filters.CharFilter(label="Cited page or range", method="filter_cited_pages")
    cited_page.field_class = PageRangeField
    page_source = django_filters.ChoiceFilter(
        label="…in", choices=GuidelineSource.choices, empty_label="any source", method="filter_nothing"
    )
    chapter = _keyword(label="ACOEM chapter", field_name="acoem_chapter", clean_value=acoem_chapter)
    necessity = django_filters.MultipleChoiceFilter(
        label="Rationale concludes",
        choices=Necessity.choices,
        widget=forms.CheckboxSelectMultiple,
        method="filter_any_of",
    )
    reason = _keyword(label="Reason given", clean_value=known_reason)
    specialty = _keyword(label="Reviewer specialty")
    state = _keyword(label="Licensure state")
    decided = django_filters.DateFromToRangeFilter(label="Decided", method="filter_dates")
    injured = django_filters.DateFromToRangeFilter(label="Injured", method="filter_dates")
    received = django_filters.DateFromToRangeFilter(label="Received", method="filter_dates")
    undated = django_filters.MultipleChoiceFilter(
        label="Include undated items for",
        choices=[(name, name) for name in DATE_FIELDS],
        method="filter_nothing",
    )
    diagnosis = _keyword(label="Diagnosis")
    case = _keyword(label="IMR case number", field_name="case_number", clean_value=case_number)
    sort = django_filters.ChoiceFilter(
        label="Sort",
        choices=SORTS,
        empty_label=None,
        method="filter_sort",
        widget=SubmittedOnChange(search.RELEVANCE),
    )
    per_page = django_filters.ChoiceFilter(
        label="Items per page",
        choices=[(str(count), str(count)) for count in PER_PAGE_CHOICES],
        empty_label=None,
        method="filter_nothing",
        widget=SubmittedOnChange(str(PER_PAGE)),
    )

    class Meta:
        form = SearchForm
        fields = []

    def filter_queryset(self, queryset):
        """Each filter adds its part to the SearchQuery (django-filter's own loop insists on querysets)."""
        for name, value in self.form.cleaned_data.items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_text(self, query, name, value):
        return search.SearchQuery(search.parse(value), query.filters, query.sort, query.facets)

    def filter_any_of(self, query, name, value):
        return query.with_filter(name, AnyOf(tuple(value)))

    def filter_sections(self, query, name, value):
        return query.with_filter(name, AnyOf(tuple(term for typed in value for term in section_terms(typed))))

    def filter_cited_pages(self, query, name, value):
        source = self.form.cleaned_data.get("page_source") or None
        return query.with_filter("cited", CitedPages(source, *value))

    def filter_dates(self, query, name, value):
        undated = name in (self.form.cleaned_data.get("undated") or [])
        return query.with_filter(name, DateRange(value.start, value.stop, undated=undated))

    def filter_sort(self, query, name, value):
        return search.SearchQuery(query.text, query.filters, value, query.facets)

    def filter_nothing(self, query, name, value):
        """page_source only qualifies cited_page; undated only qualifies the date ranges; per_page is
        the page's, not the search's."""
        return query

    def error_sentences(self):
        form = self.form
        return [
            f"{form.fields[name].label or name}: {' '.join(messages)}"
            if name != "__all__"
            else " ".join(messages)
            for name, messages in form.errors.items()
        ]
