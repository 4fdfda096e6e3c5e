"""An estimate from precedent: how a described request is likely to be decided, as the overturn
rate among its closest precedents, with its interval and the precedents themselves.

A request is a treatment of the vocabulary and, optionally, the guideline section its review
would cite, a diagnosis and a few facts. Its precedents are the items of other letters with that
treatment (citing that section, when given), found through `decisions.similar`: those sharing the
most distinctive words of the diagnosis and facts first (rare words count more), then the rest of
the treatment's, newest first. The estimate is the overturned share of the K closest with its
Wilson interval; with fewer than MIN_PRECEDENTS precedents it is too thin to estimate, and says
why. `wider` gives the rates of wider requests: the treatment without the section, its drug class,
its category, every decision.

`benchmarks/estimate.py` calibrates it on held-out decisions; `benchmarks/README.md` ("An
estimate from precedent") has its tables and why K and MIN_PRECEDENTS are what they are.
"""

import dataclasses
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils.http import urlencode

from decisions import search, spelling, vocabulary
from decisions.insights import overall
from decisions.search import AnyOf, SearchQuery
from decisions.search.contract import OVERTURNED, Match, Or
from decisions.search.fields import section_term, section_terms
from decisions.sections import labels as section_labels
from decisions.similar import Like, body_parts, closest, distinctive_words, like_query, scope
from decisions.stats import Rate, percent
from decisions.vocabulary import guidelines

K_CHOICES = (10, 25, 50)
K = 25  # the best-scoring of K_CHOICES on the held-out real letters
# With fewer, held-out real letters' estimates scored up to 65% worse than the base rate; from 10
# on, about what sampling noise predicts (1/n), with the Wilson interval shown beside the rate.
MIN_PRECEDENTS = 10
FACT_WORDS = 12
MAX_DIAGNOSIS, MAX_FACTS = 200, 2000
# Every item of the treatment matches, so the precedents never run out while the scope has items;
# this little, so the words decide the order and the treatment alone only fills it up.
EVERY_PRECEDENT = 0.01


@dataclass(frozen=True)
class Request:
    """A request as someone describes it: a vocabulary treatment, and optionally the section its
    review would cite (a section term, `chronic_pain:epiduralsteroidinjectionsesis`), a diagnosis
    and free-text facts."""

    treatment: str
    section: str = ""
    diagnosis: str = ""
    facts: str = ""

    def params(self, **changed):
        """The estimate form's query string for this request (with `changed` fields replaced)."""
        fields = {**dataclasses.asdict(self), **changed}
        return urlencode({name: value for name, value in fields.items() if value})


@dataclass(frozen=True)
class Wider:
    """A wider request than the one described, and its overturn rate over every decision it covers."""

    label: str
    rate: Rate
    search: str  # the search page's query string for those decisions
    estimate: str = ""  # the estimate form's query string, when the wider request is one


@dataclass
class Estimate:
    request: Request
    section_label: str
    found: list  # SimilarItem, closest first, up to the most K_CHOICES allows
    k: int

    @property
    def precedents(self):
        return self.found[: self.k]

    def at(self, k):
        """The overturn rate among the k closest precedents."""
        closest_k = self.found[:k]
        return Rate(sum(1 for each in closest_k if each.item.outcome == OVERTURNED), len(closest_k))

    @property
    def rate(self):
        return self.at(self.k)

    @property
    def interval_words(self):
        """The rate's 95% interval as a sentence."""
        low, high = self.rate.interval
        return (
            f"Judging by these {self.rate.decisions} precedents, between {percent(low)} and {percent(high)} "
            "of requests like this one are overturned (95% confidence)."
        )

    @property
    def scope_text(self):
        """“epidural steroid injection citing MTUS Chronic Pain: Epidural steroid injections (ESIs)”."""
        cited = f" citing {self.section_label}" if self.section_label else ""
        return f"{self.request.treatment}{cited}"

    @property
    def thin(self):
        """Why there is too little precedent to estimate from; "" when there is enough."""
        count = len(self.precedents)
        if count >= MIN_PRECEDENTS:
            return ""
        if not count:
            return f"No decision on {self.scope_text} in the archive yet: nothing to estimate from."
        decisions = "decision" if count == 1 else "decisions"
        return (
            f"Only {count} {decisions} on {self.scope_text}: too few to estimate from "
            f"(an estimate needs at least {MIN_PRECEDENTS})."
        )

    @property
    def wider_k(self):
        """(k, Rate) among more of the closest, each counting more precedents than the one before."""
        counted, rows = len(self.precedents), []
        for k in K_CHOICES:
            if k > self.k and len(self.found[:k]) > counted:
                rows.append((k, self.at(k)))
                counted = len(self.found[:k])
        return rows


def like_request(request, letter=None):
    """What a described request's precedents are found like (`letter`: one to leave out)."""
    described = f"{request.diagnosis} {request.facts}"
    words = distinctive_words(described, FACT_WORDS)
    text = like_query(words, described)
    filters = scope("treatment", request.treatment)
    sections = {}
    if request.section:
        filters += (("section", AnyOf(tuple(section_terms(request.section)))),)
        sections = {request.section: section_labels([request.section])[request.section]}
    return Like(
        scopes=(filters,),
        text=Or((*(text.children if text else ()), Match("treatment", request.treatment, EVERY_PRECEDENT))),
        words=tuple(word for word, _ in words),
        treatment=request.treatment,
        drug_class=vocabulary.normalize_request(request.treatment).drug_class or "",
        sections=sections,
        diagnoses=frozenset({request.diagnosis.lower()} if request.diagnosis else ()),
        body_parts=frozenset(body_parts(described)),
        letter=letter,
        shared_label="its letter also states",
        shared_in_summary=True,
    )


def estimate(request, k=K, letter=None):
    """The Estimate of a described request from the closest precedents of other letters than
    `letter`."""
    like = like_request(request, letter)
    section_label = next(iter(like.sections.values()), "")
    return Estimate(request, section_label, closest(like, max(K_CHOICES)), k)


def _rate_of(filters):
    found = search.backend().search(SearchQuery(None, filters, facets=(("outcome", None),)))
    return overall(found.facets["outcome"])


def wider(request):
    """The wider requests, nearest first, each with its rate over every decision it covers."""
    treatment = vocabulary.normalize_request(request.treatment)
    scopes = []
    if request.section:
        scopes.append(
            (
                f"every decision on {request.treatment}",
                {"treatment": request.treatment},
                request.params(section=""),
            )
        )
    if treatment.drug_class:
        scopes.append((f"every {treatment.drug_class} decision", {"drug_class": treatment.drug_class}, ""))
    scopes.append((f"every decision on {treatment.category}", {"category": treatment.category}, ""))
    scopes.append(("every decision", {}, ""))
    return [
        Wider(
            label,
            _rate_of(tuple((name, AnyOf((value,))) for name, value in filters.items())),
            urlencode(filters),
            params,
        )
        for label, filters, params in scopes
    ]


def section_choices():
    """The form's sections: each guideline's vocabulary, grouped by guideline."""
    return [("", "Any section")] + [
        (
            guideline.name,
            sorted(
                ((section_term(key, name), name) for name in guideline.sections.values()),
                key=lambda choice: choice[1].casefold(),
            ),
        )
        for key, guideline in guidelines.guidelines().items()
        if guideline.sections
    ]


class EstimateForm(forms.Form):
    treatment = forms.CharField(
        label="Treatment",
        max_length=100,
        error_messages={"required": "Name the treatment requested: a drug or a service from the list."},
        help_text="A drug (generic or brand name) or a service, as the vocabulary names it.",
    )
    section = forms.ChoiceField(
        label="Guideline section the review would cite", required=False, choices=section_choices
    )
    diagnosis = forms.CharField(label="Diagnosis", required=False, max_length=MAX_DIAGNOSIS)
    facts = forms.CharField(
        label="Facts of the case",
        required=False,
        max_length=MAX_FACTS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A few sentences: what was tried, what the records show.",
    )
    k = forms.TypedChoiceField(
        label="Estimate from",
        required=False,
        coerce=int,
        empty_value=K,
        choices=[(k, f"the {k} closest precedents") for k in K_CHOICES],
        initial=K,
    )

    def __init__(self, data=None):
        if data is not None and not data.get("k"):  # a link that names no K means the default one
            data = data.copy()
            data["k"] = str(K)
        super().__init__(data)

    def clean_treatment(self):
        typed = self.cleaned_data["treatment"]
        named = vocabulary.treatment_named(typed)
        if named is None:
            close = spelling.close_names(typed, limit=1)
            raise ValidationError(
                f"“{typed}” is not a treatment the vocabulary knows"
                + (f" (did you mean {close[0]}?)" if close else "")
                + ": pick one from the list (a drug's generic or brand name, or a service)."
            )
        return named

    def request(self):
        """The described Request (once the form is valid)."""
        data = self.cleaned_data
        return Request(data["treatment"], data["section"], " ".join(data["diagnosis"].split()), data["facts"])


def request_like(item, facts=""):
    """A request described the way its asker would describe this item's: its treatment (None
    without one), the first vocabulary section its reviewer cites, its letter's first diagnosis,
    and `facts`."""
    if not item.treatment:
        return None
    known = guidelines.guidelines()
    sections = [
        section.term
        for citation in item.reviewer_citations
        for section in citation.sections
        if section.guideline in known and section.key in known[section.guideline].sections
    ]
    diagnoses = item.determination.diagnoses
    return Request(item.treatment, sections[0] if sections else "", diagnoses[0] if diagnoses else "", facts)
