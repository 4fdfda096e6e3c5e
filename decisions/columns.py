"""Fit a parsed letter to the database's columns before storing it, the same way on every database.

SQLite stores an over-long name or an over-large number that PostgreSQL refuses, so the one
place that decides is here: text is cut to its column with a warning, a number no column can
hold is dropped with a warning, and both databases give every file the same fate.
"""

from decisions.models import DecisionItem, Determination, GuidelineCitation, LicensureState, Specialty

# The largest values PositiveSmallIntegerField and PositiveIntegerField hold on every database.
SMALL_MAX, INTEGER_MAX = 32767, 2147483647


def _length(model, name):
    return model._meta.get_field(name).max_length


def _cut(value, limit, what, warnings):
    if value and len(value) > limit:
        warnings.append(f"{what} was longer than {limit} characters and was shortened")
        return value[:limit]
    return value


def _bounded(value, limit, what, warnings):
    if value is not None and not 0 <= value <= limit:
        warnings.append(f"{what} {value} is out of range and was left out")
        return None
    return value


def fit_to_columns(letter):
    """The letter with every value storable; what had to change is added to its warnings."""
    warnings = letter.warnings
    letter.case_number = _cut(
        letter.case_number, _length(Determination, "case_number"), "the case number", warnings
    )
    letter.reviewer.specialties = [
        _cut(name, _length(Specialty, "name"), "a reviewer specialty", warnings)
        for name in letter.reviewer.specialties
    ]
    letter.reviewer.licensure_states = [
        _cut(name, _length(LicensureState, "name"), "a licensure state", warnings)
        for name in letter.reviewer.licensure_states
    ]
    letter.patient.age = _bounded(letter.patient.age, 150, "the patient's age", warnings)
    for number, item in enumerate(letter.items, start=1):
        treatment = item.treatment
        treatment.strength = _cut(
            treatment.strength, _length(DecisionItem, "strength"), f"item {number}: the strength", warnings
        )
        treatment.quantity = _bounded(
            treatment.quantity, INTEGER_MAX, f"item {number}: the quantity", warnings
        )
        treatment.refills = _bounded(
            treatment.refills, SMALL_MAX, f"item {number}: the refill count", warnings
        )
        for citation in [*item.citations, *item.claims_citations]:
            citation.topic = _cut(
                citation.topic,
                _length(GuidelineCitation, "topic"),
                f"item {number}: a guideline topic",
                warnings,
            )
            citation.chapter = _cut(
                citation.chapter,
                _length(GuidelineCitation, "chapter"),
                f"item {number}: a guideline chapter",
                warnings,
            )
    return letter
