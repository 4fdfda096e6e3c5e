"""What a letter says about its case and its reviewer: case number, labelled dates, credentials."""

import re

from decisions.parsing import text
from decisions.parsing.dates import parse_date
from decisions.parsing.records import CaseDates, Reviewer

CASE_NUMBER = re.compile(r"\b(CM\d{2}-\d{5,8})\b", re.IGNORECASE)
_HEADER_DATES = {
    "assigned": r"Date\s+Assigned",
    "ur_denial": r"UR\s+Denial\s+Date|Date\s+of\s+UR\s+(?:Decision|Denial)|UR\s+Decision\s+Date",
    "decision": r"(?<!UR\s)Decision\s+Date|Date\s+of\s+(?:Final\s+)?(?:Decision|Determination)|\bDated",
    "received": r"(?:IMR\s+)?Application\s+Received(?:\s+Date)?|Date\s+(?:IMR\s+)?Application\s+Received",
    "injury": r"Date\s+of\s+Injury",
}
_LICENSURE = re.compile(
    r"State\(s\)\s+of\s+Licensure\s*:\s*(?P<value>.*?)\s*(?=Certification\(s\)|$)", re.IGNORECASE | re.DOTALL
)
_SPECIALTY = re.compile(
    r"Certification\(s\)\s*/\s*Specialt(?:y|ies)\s*:\s*(?P<value>.*?)\s*(?=State\(s\)|$)",
    re.IGNORECASE | re.DOTALL,
)
# "The physician reviewer is Board Certified in X, has a subspecialty in Y and is licensed to practice in Z."
_PROSE_CREDENTIALS = re.compile(
    r"reviewer\s+is\s+(?:Board\s+Certified|certified|licensed)\s+in\s+(?P<specialty>.+?)"
    r"(?:,?\s+has\s+a\s+subspecialty\s+in\s+(?P<sub>.+?))?,?\s+and\s+is\s+licensed\s+to\s+practice\s+in\s+"
    r"(?P<states>.+?)\.",
    re.IGNORECASE | re.DOTALL,
)


def case_number_in(*texts):
    for value in texts:
        match = CASE_NUMBER.search(value)
        if match:
            return match.group(1).upper()
    return None


def header_fields(header_lines, whole_text, warnings):
    """(case number, dates, date of injury) from `Label: date` pairs in the header."""
    header = " ".join(line for line in header_lines if line != text.PARAGRAPH_BREAK)
    values = {}
    for name, label in _HEADER_DATES.items():
        match = re.search(rf"(?:{label})\s*:\s*(?P<value>[^:]{{0,40}})", header, re.IGNORECASE)
        if not match:
            continue
        value = parse_date(match.group("value"))
        if value is None and match.group("value").strip():
            warnings.append(
                f"header: {match.group(0).split(':')[0].strip()!r} has no readable date "
                f"({match.group('value').strip()[:20]!r})"
            )
        values[name] = value
    injury = values.pop("injury", None)
    return case_number_in(header, whole_text), CaseDates(**values), injury


def _split_names(value):
    parts = re.split(r"\s*,\s*(?:and\s+)?|\s*;\s*|\s+and\s+|\s*&\s*", value.strip(" .;:"))
    return [part.strip(" .") for part in parts if part.strip(" .")]


def reviewer_of(credential_text, warnings):
    """Licensure and specialties, from labelled lines or from the 2013 sentence."""
    flat = text.one_line(credential_text)
    licensure, specialty = _LICENSURE.search(flat), _SPECIALTY.search(flat)
    reviewer = Reviewer(
        licensure_states=_split_names(licensure.group("value")) if licensure else [],
        specialties=[part for part in re.split(r"\s*[,;]\s*", specialty.group("value").strip(" .")) if part]
        if specialty
        else [],
    )
    prose = _PROSE_CREDENTIALS.search(flat)
    if prose and not (reviewer.licensure_states or reviewer.specialties):
        reviewer.specialties = [s for s in (prose.group("specialty"), prose.group("sub")) if s]
        reviewer.licensure_states = _split_names(prose.group("states"))
    if not reviewer.licensure_states:
        warnings.append("reviewer: no state of licensure found")
    if not reviewer.specialties:
        warnings.append("reviewer: no certification or specialty found")
    return reviewer
