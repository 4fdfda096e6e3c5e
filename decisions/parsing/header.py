"""What a letter says about its case and its reviewer: case number, labelled dates, credentials.

A case header is `Label: value` pairs, but pdfminer often gives it as a column of labels and then a
column of values (`Case Number: / Date Assigned: / Decision Date: / CM16-0213037 / 11/09/2016 / ...`),
in more than one order. Values are matched to labels by kind (a case number, a priority, a date);
dates go to date labels in the order both are written, and where that order is not enough the
dates' own order decides: an injury comes before its UR denial, the denial before the IMR
application, the application before its assignment, the assignment before the decision.
"""

import itertools
import re
from dataclasses import dataclass, field

from decisions.parsing import text
from decisions.parsing.dates import DATE_PATTERN, parse_date
from decisions.parsing.records import CaseDates, Reviewer

CASE_NUMBER = re.compile(r"\b(CM\d{2}-\d{5,8})\b", re.IGNORECASE)
# Date labels, in the order their dates fall in a case's life (see the module's docstring).
_DATE_LABELS = {
    "injury": r"Date\s+of\s+(?:Industrial\s+)?Injury|\bDOI\b",
    "ur_denial": r"UR\s+Denial\s+Date|Date\s+of\s+UR\s+(?:Decision|Denial)|UR\s+Decision\s+Date",
    "received": r"(?:IMR\s+)?Application\s+Received(?:\s+Date)?|Date\s+(?:IMR\s+)?Application\s+Received",
    "assigned": r"Date\s+Assigned",
    "decision": r"(?<!UR\s)Decision\s+Date|Date\s+of\s+(?:Final\s+)?(?:Decision|Determination)|\bDated",
}
CHRONOLOGY = list(_DATE_LABELS)
_OTHER_LABELS = {"case": r"(?:IMR\s+)?Case\s+(?:Number|No\.?)", "priority": r"Priority"}
_LABEL_PATTERNS = {**_DATE_LABELS, **_OTHER_LABELS}
_LABEL_NAMES = {
    "injury": "Date of Injury",
    "ur_denial": "UR Denial Date",
    "received": "Application Received",
    "assigned": "Date Assigned",
    "decision": "Decision Date",
}
_PRIORITY = r"\b(?:Standard|Expedited|Urgent|Regular)\b"
# Labels and the values they take, in one pattern so a header is read in one pass.
_HEADER_TOKEN = re.compile(
    "|".join(f"(?P<{name}>(?:{pattern})\\s*:)" for name, pattern in _LABEL_PATTERNS.items())
    + rf"|(?P<case_value>{CASE_NUMBER.pattern})|(?P<date_value>{DATE_PATTERN})"
    + rf"|(?P<priority_value>{_PRIORITY})",
    re.IGNORECASE,
)
# A line with this many words besides labels and values is prose, not part of a case header.
PROSE_WORDS = 4
# How many value lines pdfminer may put between the two halves of a wrapped label.
MAX_LABEL_GAP = 2
# More open labels and dates than this is no case header: no assignment is searched for.
MAX_HEADER_VALUES = 12


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


@dataclass
class Header:
    case_number: str | None = None
    dates: CaseDates = field(default_factory=CaseDates)
    injury: object = None  # the date of injury the header gives, which the DWC indexes
    priority: str | None = None


@dataclass(frozen=True)
class _Token:
    kind: str  # a label's name, or a value's kind ("case", "date", "priority")
    position: int
    value: object = None
    label: bool = False
    line: int = 0


def case_number_in(*texts):
    for value in texts:
        match = CASE_NUMBER.search(value)
        if match:
            return match.group(1).upper()
    return None


def _is_prose(line):
    return len(re.findall(r"[A-Za-z]{2,}", _HEADER_TOKEN.sub(" ", line))) >= PROSE_WORDS


def _joined_labels(lines):
    """Labels wrapped over lines put back together, the values pdfminer placed between the two
    halves after them: `Application` / `11/21/2016` / `Received:` -> `Application Received:` /
    `11/21/2016`."""
    lines, index = list(lines), 0
    while index < len(lines):
        if not _HEADER_TOKEN.match(lines[index]):
            for gap in range(1, MAX_LABEL_GAP + 2):
                if index + gap >= len(lines):
                    break
                joined = f"{lines[index]} {lines[index + gap]}"
                match = _HEADER_TOKEN.match(joined)
                if match and not match.lastgroup.endswith("_value") and match.end() > len(lines[index]):
                    lines[index : index + gap + 1] = [joined, *lines[index + 1 : index + gap]]
                    break
        index += 1
    return lines


def _tokens(header_lines):
    """Labels and values in the order written, prose left out."""
    joined, line_of = "", []
    header_lines = [line for line in header_lines if line != text.PARAGRAPH_BREAK and not _is_prose(line)]
    for number, line in enumerate(_joined_labels(header_lines)):
        line_of.extend([number] * (len(line) + 1))
        joined += line + " "
    tokens = []
    for match in _HEADER_TOKEN.finditer(joined):
        kind = match.lastgroup
        line = line_of[match.end() - 1]
        if not kind.endswith("_value"):
            tokens.append(_Token(kind, match.start(), label=True, line=line))
        elif kind == "date_value":
            found = parse_date(match.group(0))
            if found:
                tokens.append(_Token("date", match.start(), found, line=line))
        else:
            tokens.append(_Token(kind.removesuffix("_value"), match.start(), match.group(0), line=line))
    return tokens


def _in_order(names, dates):
    """Dates by label name, or None where they contradict the order of a case's life."""
    found = dict(zip(names, dates, strict=True))
    known = [found[name] for name in CHRONOLOGY if name in found]
    return found if all(a <= b for a, b in itertools.pairwise(known)) else None


def _assignments(labels, dates, fixed, keep_order):
    """Every way of giving as many open labels as possible one open date each that agrees with the
    chronology; keep_order: the n-th label written takes a date written after the (n-1)-th's."""
    size = min(len(labels), len(dates))
    for names in itertools.combinations(labels, size):
        for picked in itertools.combinations(dates, size):
            for ordered in [picked] if keep_order else itertools.permutations(picked):
                found = _in_order([*fixed, *names], [*fixed.values(), *ordered])
                if found:
                    yield found


def _agreed(candidates):
    """What every candidate assignment says alike."""
    first, *others = candidates
    return {name: value for name, value in first.items() if all(other.get(name) == value for other in others)}


def _header_dates(tokens, warnings):
    """label name -> date. A date written on its label's own line is that label's; the others go to
    the other labels in the order both are written, else in the order of the case's life. A label
    that could take either of two dates stays empty."""
    labels = [token for token in tokens if token.label and token.kind in _DATE_LABELS]
    dates = [token for token in tokens if token.kind == "date"]
    fixed, taken = {}, set()
    for label in labels:
        own = next((d for d in dates if d.line == label.line and d.position > label.position), None)
        if own is not None and own.position not in taken and label.kind not in fixed:
            fixed[label.kind] = own.value
            taken.add(own.position)
    open_labels = list(dict.fromkeys(label.kind for label in labels if label.kind not in fixed))
    open_dates = [d.value for d in dates if d.position not in taken]
    if not open_labels or not open_dates or len(open_labels) + len(open_dates) > MAX_HEADER_VALUES:
        return fixed
    candidates = list(_assignments(open_labels, open_dates, fixed, keep_order=True))
    if not candidates:
        candidates = list(_assignments(open_labels, open_dates, fixed, keep_order=False))
        if candidates:
            warnings.append("header: dates matched to their labels by their order in time")
    return _agreed(candidates) if candidates else fixed


def header_fields(header_lines, whole_text, warnings):
    """The case header: case number, dates, date of injury and priority, however laid out."""
    tokens = _tokens(header_lines)
    found = _header_dates(tokens, warnings)
    for label in tokens:
        if label.label and label.kind in _DATE_LABELS and label.kind not in found:
            warnings.append(f"header: {_LABEL_NAMES[label.kind]!r} has no readable date")
    priority = next((t.value for t in tokens if t.kind == "priority" and not t.label), None)
    has_priority_label = any(t.label and t.kind == "priority" for t in tokens)
    return Header(
        case_number=case_number_in(" ".join(header_lines), whole_text),
        dates=CaseDates(
            **{name: found.get(name) for name in ("assigned", "ur_denial", "decision", "received")}
        ),
        injury=found.get("injury"),
        priority=priority.capitalize() if priority and has_priority_label else None,
    )


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
