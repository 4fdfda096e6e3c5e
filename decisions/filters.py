"""The search form: django-filter declares and validates every filter; the index applies them."""
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError

from decisions import vocabulary
from decisions.models import DecisionItem, GuidelineSource, LicensureState, Necessity, Outcome, Specialty
from decisions.parsing.citations import MAX_PAGE
from decisions.search import NEWEST, OLDEST, RELEVANCE, Filters
from decisions.search.engine import MAX_PAGE_RANGE

SORTS = [(RELEVANCE, "Relevance"), (NEWEST, "Newest decision first"), (OLDEST, "Oldest decision first")]
_PAGE_RANGE = re.compile(r"^\s*(\d{1,5})\s*(?:(?:-|–|to)\s*(\d{1,5}))?\s*$", re.IGNORECASE)


def parse_page_range(value):
    """`63` or `63-64` -> (63, 64); ValidationError with a sentence for anything else."""
    match = _PAGE_RANGE.match(value or "")
    if not match:
        raise ValidationError(f"“{value}” is not a page or a page range; use a number like 63 or a range like 63-64.")
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else first
    if not 1 <= first <= MAX_PAGE or not 1 <= last <= MAX_PAGE:
        raise ValidationError(f"Guideline pages run from 1 to {MAX_PAGE}; “{value}” is outside that.")
    if last < first:
        raise ValidationError(f"The range “{value}” ends before it starts; write the lower page first.")
    if last - first + 1 > MAX_PAGE_RANGE:
        raise ValidationError(f"A page range may span at most {MAX_PAGE_RANGE} pages.")
    return first, last


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
    raise ValidationError(f"No treatment called “{value}” is known; pick one from the list or search it as text.")


def known_drug_class(value):
    if value not in vocabulary.drug_class_names():
        raise ValidationError(f"“{value}” is not a drug class.")
    return value


def known_category(value):
    if value not in vocabulary.CATEGORIES:
        raise ValidationError(f"“{value}” is not a treatment category.")
    return value


class ItemSearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search rationales, requests and summaries", method="_in_index")
    outcome = django_filters.MultipleChoiceFilter(choices=Outcome.choices, widget=forms.CheckboxSelectMultiple,
                                                  method="_in_index")
    treatment = MultipleValueFilter(label="Treatment", method="_in_index",
                                    clean_value=known_treatment)
    drug_class = MultipleValueFilter(label="Drug class", method="_in_index",
                                     clean_value=known_drug_class)
    category = MultipleValueFilter(label="Category", method="_in_index", clean_value=known_category)
    source = django_filters.MultipleChoiceFilter(label="Guideline source", choices=GuidelineSource.choices,
                                                 widget=forms.CheckboxSelectMultiple, method="_in_index")
    cited_page = django_filters.CharFilter(label="Cited page or range", method="_in_index")
    page_source = django_filters.ChoiceFilter(label="…in", choices=GuidelineSource.choices, empty_label="any source",
                                              method="_in_index")
    chapter = django_filters.CharFilter(label="ACOEM chapter", method="_in_index")
    necessity = django_filters.MultipleChoiceFilter(label="Rationale concludes", choices=Necessity.choices,
                                                    widget=forms.CheckboxSelectMultiple, method="_in_index")
    specialty = MultipleValueFilter(label="Reviewer specialty", method="_in_index")
    state = MultipleValueFilter(label="Licensure state", method="_in_index")
    decided_after = django_filters.DateFilter(label="Decided from", method="_in_index",
                                              widget=forms.DateInput(attrs={"type": "date"}))
    decided_before = django_filters.DateFilter(label="Decided to", method="_in_index",
                                               widget=forms.DateInput(attrs={"type": "date"}))
    injured_after = django_filters.DateFilter(label="Injured from", method="_in_index",
                                              widget=forms.DateInput(attrs={"type": "date"}))
    injured_before = django_filters.DateFilter(label="Injured to", method="_in_index",
                                               widget=forms.DateInput(attrs={"type": "date"}))
    case = django_filters.CharFilter(label="IMR case number", method="_in_index")
    sort = django_filters.ChoiceFilter(choices=SORTS, empty_label=None, method="_in_index")

    class Meta:
        model = DecisionItem
        fields = []

    def _in_index(self, queryset, name, value):
        """Filtering happens in the Whoosh index (see to_filters), not in the database."""
        return queryset

    def clean_form(self):
        """Validate the cross-field rules and return (cleaned values, errors as sentences)."""
        form = self.form
        if not form.is_valid():
            errors = [f"{form.fields[name].label or name}: {' '.join(messages)}" if name != "__all__"
                      else " ".join(messages) for name, messages in form.errors.items()]
            return None, errors
        data = form.cleaned_data
        errors = []
        pages = None
        if data.get("cited_page"):
            try:
                pages = parse_page_range(data["cited_page"])
            except ValidationError as error:
                errors.append(f"Cited page: {' '.join(error.messages)}")
        chapter = (data.get("chapter") or "").strip()
        if chapter and not (chapter.isdigit() and 1 <= int(chapter) <= 20):
            errors.append(f"ACOEM chapter: “{chapter}” is not a chapter number (ACOEM chapters run 1 to 20).")
        for low, high, label in (("decided_after", "decided_before", "Decision dates"),
                                 ("injured_after", "injured_before", "Injury dates")):
            if data.get(low) and data.get(high) and data[low] > data[high]:
                errors.append(f"{label}: the start date is after the end date.")
        case = (data.get("case") or "").strip().upper()
        if case and not re.fullmatch(r"CM\d{2}-\d{4,8}", case):
            errors.append(f"IMR case number: “{case}” does not look like CM15-0012345.")
        if errors:
            return None, errors
        data["pages"], data["chapter"], data["case"] = pages, chapter, case
        return data, []

    @staticmethod
    def to_filters(data):
        pages = data.get("pages")
        return Filters(
            outcome=data.get("outcome") or [], treatment=data.get("treatment") or [],
            drug_class=data.get("drug_class") or [], category=data.get("category") or [],
            necessity=data.get("necessity") or [], source=data.get("source") or [],
            specialty=data.get("specialty") or [], state=data.get("state") or [],
            case_number=data.get("case") or "", page_source=data.get("page_source") or "",
            page_from=pages[0] if pages else None, page_to=pages[1] if pages else None,
            acoem_chapter=data.get("chapter") or "",
            decided_from=data.get("decided_after"), decided_to=data.get("decided_before"),
            injured_from=data.get("injured_after"), injured_to=data.get("injured_before"),
        )

