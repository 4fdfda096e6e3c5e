"""What the pages call stored values: a facet's value, a filter in force, a row of insights."""

from decisions import sections
from decisions.filters import AUTHORIZATION_CHOICES, LETTERS_CHOICES, guideline_choices
from decisions.models import CaseOutcome, GuidelineSource, Necessity, Outcome
from decisions.search.fields import SECTION_FIELDS
from decisions.vocabulary import reasons

FACET_LABELS = {
    "outcome": dict(Outcome.choices),
    "source": dict(GuidelineSource.choices),
    "necessity": dict(Necessity.choices),
    "authorized": dict(AUTHORIZATION_CHOICES),
    "case_outcome": dict(CaseOutcome.choices),
    "guideline": dict(guideline_choices()),
    "letters": dict(LETTERS_CHOICES),
    "reason": reasons.labels(),
}


def value_labels(name, values):
    """value -> what the page calls it."""
    if name in SECTION_FIELDS:
        return sections.labels(values)
    fixed = FACET_LABELS.get(name, {})
    return {value: fixed.get(value, value) for value in values}
