"""Read the structure of one determination letter: header, sections, credentials and items."""

import re
from dataclasses import dataclass

from decisions.parsing import citations, necessity, patient, text
from decisions.parsing.dates import parse_date
from decisions.parsing.records import (
    FORMAT_LEGACY_2013,
    FORMAT_STANDARD,
    FORMAT_WITH_HEADER,
    OVERTURNED,
    UPHELD,
    CaseDates,
    DecisionItem,
    ParsedLetter,
    ParseError,
    Reviewer,
)
from decisions.vocabulary import normalize_request

BREAK = text.PARAGRAPH_BREAK

# Known section headings; a heading is a line on its own, any case, optional trailing colon.
_HEADINGS = {
    "how": r"HOW\s+THE\s+IMR\s+FINAL\s+DETERMINATION\s+WAS\s+MADE",
    "documents": r"DOCUMENTS\s+REVIEWED(?:\s+FOR\s+(?:THIS\s+IMR|DETERMINATION))?",
    "summary": r"CLINICAL\s+CASE\s+SUMMARY",
    "decisions": r"IMR\s+(?:ISSUES?\s*,?\s+)?DECISION(?:\(S\)|S)?\s*,?\s+AND\s+RATIONALE(?:\(S\)|S)?",
}
_HEADING_RES = {name: re.compile(rf"{pattern}\s*:?", re.IGNORECASE) for name, pattern in _HEADINGS.items()}
_LEGACY_HEADING = re.compile(r"IMR\s+DECISION\(S\)", re.IGNORECASE)
# Any other line in capitals is an extra section that ends the one before it.
_OTHER_HEADING = re.compile(r"[A-Z][A-Z ,'&/()-]{6,80}")

_CASE_NUMBER = re.compile(r"\b(CM\d{2}-\d{5,8})\b", re.IGNORECASE)
_HEADER_DATES = {
    "assigned": r"Date\s+Assigned",
    "ur_denial": r"UR\s+Denial\s+Date|Date\s+of\s+UR\s+(?:Decision|Denial)|UR\s+Decision\s+Date",
    "decision": r"(?<!UR\s)Decision\s+Date|Date\s+of\s+(?:Final\s+)?(?:Decision|Determination)|\bDated",
    "received": r"(?:IMR\s+)?Application\s+Received(?:\s+Date)?|Date\s+(?:IMR\s+)?Application\s+Received",
    "injury": r"Date\s+of\s+Injury",
}

_OUTCOME_SAME_LINE = re.compile(r"^(?P<head>.+?)\s*:\s*(?P<outcome>upheld|overturned)\s*\.?$", re.IGNORECASE)
_OUTCOME_ALONE = re.compile(r"^(?P<outcome>upheld|overturned)\s*\.?$", re.IGNORECASE)
_NUMBERED = re.compile(r"^\(?\d{1,2}[.)]\s+\S")
_LEGACY_VERDICT = re.compile(
    r"^\(?\d{1,2}[.)]\s+(?:MAXIMUS\s+Federal\s+Services,?\s+Inc\.?\s+has\s+determined\s+(?:that\s+)?)?"
    r"(?:the\s+request\s+for\s+)?(?P<request>.+?)\s+(?:is|are|was|were)\s+(?P<negation>not\s+)?"
    r"medically\s+necessary(?:\s+and\s+appropriate)?\s*\.?$",
    re.IGNORECASE,
)

_REVIEWER = r"(?:The\s+)?(?:Physician|Expert|Professional|Medical)\s+Reviewer(?:'s)?"
# (field, pattern, keep the label as part of the text)
_LABELS = [
    ("claims", re.compile(r"^Claims\s+Administrator(?:'s)?\s+guidelines?\s*:\s*", re.IGNORECASE), False),
    (
        "claims",
        re.compile(r"^(?=The\s+Claims\s+Administrator\s+based\s+its\s+decision)", re.IGNORECASE),
        True,
    ),
    ("maximus", re.compile(r"^MAXIMUS\s+guidelines?\s*:\s*", re.IGNORECASE), False),
    (
        "maximus",
        re.compile(rf"^(?={_REVIEWER}\s+based\s+(?:his/her|his|her|their)\s+decision)", re.IGNORECASE),
        True,
    ),
    ("rationale", re.compile(rf"^(?:{_REVIEWER}\s+)?Decision\s+rationale\s*:\s*", re.IGNORECASE), False),
    ("rationale", re.compile(r"^Rationale\s+for\s+the\s+Decision\s*:\s*", re.IGNORECASE), False),
]
_FIELD_NAMES = {
    "claims": "Claims Administrator guideline",
    "maximus": "MAXIMUS guideline",
    "rationale": "Decision rationale",
}

_SUMMARY_INTRO = re.compile(
    r"^The\s+(?:expert|physician)\s+reviewer\s+developed\s+the\s+following\s+clinical\s+case\s+summary.*?"
    r"medical\s+records\s*:\s*",
    re.IGNORECASE | re.DOTALL,
)
_LICENSURE = re.compile(
    r"State\(s\)\s+of\s+Licensure\s*:\s*(?P<value>.*?)\s*(?=Certification\(s\)|$)", re.IGNORECASE | re.DOTALL
)
_SPECIALTY = re.compile(
    r"Certification\(s\)\s*/\s*Specialt(?:y|ies)\s*:\s*(?P<value>.*?)\s*(?=State\(s\)|$)",
    re.IGNORECASE | re.DOTALL,
)
_LEGACY_CREDENTIALS = re.compile(
    r"reviewer\s+is\s+(?:Board\s+Certified|certified|licensed)\s+in\s+(?P<specialty>.+?)"
    r"(?:,?\s+has\s+a\s+subspecialty\s+in\s+(?P<sub>.+?))?,?\s+and\s+is\s+licensed\s+to\s+practice\s+in\s+"
    r"(?P<states>.+?)\.",
    re.IGNORECASE | re.DOTALL,
)
MAX_HEADING_LINES = 4


@dataclass
class _Heading:
    start: int  # first line of the item heading
    end: int  # line after the heading
    request: str
    outcome: str


def _split_sections(lines):
    """Map section name -> its lines, plus the lines before the first known heading."""
    found = []
    for index, line in enumerate(lines):
        for name, heading in _HEADING_RES.items():
            if heading.fullmatch(line):
                found.append((index, name, bool(_LEGACY_HEADING.match(line))))
                break
        else:
            if _OTHER_HEADING.fullmatch(line) and found and not _ends_item_heading(lines, index):
                found.append((index, "other", False))
    sections = {"header": lines[: found[0][0]] if found else lines}
    for position, (index, name, _) in enumerate(found):
        end = found[position + 1][0] if position + 1 < len(found) else len(lines)
        if name != "other":
            sections.setdefault(name, lines[index + 1 : end])
    legacy = any(is_legacy for _, _, is_legacy in found) or "documents" in sections
    return sections, legacy


def _ends_item_heading(lines, index):
    """A capitalised line that wraps into `...: Upheld` is an item heading, not a section."""
    window = lines[index : index + 3]
    return any(_OUTCOME_SAME_LINE.match(line) or _OUTCOME_ALONE.match(line) for line in window)


def _header_fields(header_lines, whole_text, warnings):
    header = " ".join(line for line in header_lines if line != BREAK)
    case_match = _CASE_NUMBER.search(header) or _CASE_NUMBER.search(whole_text)
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
    return (case_match.group(1).upper() if case_match else None), CaseDates(**values), injury


def _split_names(value):
    parts = re.split(r"\s*,\s*(?:and\s+)?|\s*;\s*|\s+and\s+|\s*&\s*", value.strip(" .;:"))
    return [part.strip(" .") for part in parts if part.strip(" .")]


def _reviewer(credential_text, warnings):
    flat = text.one_line(credential_text)
    licensure, specialty = _LICENSURE.search(flat), _SPECIALTY.search(flat)
    reviewer = Reviewer(
        licensure_states=_split_names(licensure.group("value")) if licensure else [],
        specialties=[part for part in re.split(r"\s*[,;]\s*", specialty.group("value").strip(" .")) if part]
        if specialty
        else [],
    )
    legacy = _LEGACY_CREDENTIALS.search(flat)
    if legacy and not (reviewer.licensure_states or reviewer.specialties):
        reviewer.specialties = [s for s in (legacy.group("specialty"), legacy.group("sub")) if s]
        reviewer.licensure_states = _split_names(legacy.group("states"))
    if not reviewer.licensure_states:
        warnings.append("reviewer: no state of licensure found")
    if not reviewer.specialties:
        warnings.append("reviewer: no certification or specialty found")
    return reviewer


def _label_at(line):
    for field_name, pattern, keep in _LABELS:
        match = pattern.match(line)
        if match:
            return field_name, (line if keep else line[match.end() :])
    return None


def _outcome_headings(lines):
    """Item headings of the form `<request>: Upheld`, possibly wrapped over several lines."""
    headings, floor = [], 0
    for index, line in enumerate(lines):
        if _label_at(line):
            floor = index + 1
            continue
        same = _OUTCOME_SAME_LINE.match(line)
        if same:
            last, tail, outcome = index, [same.group("head")], same.group("outcome")
        elif _OUTCOME_ALONE.match(line):
            last = index - 1
            while last >= floor and lines[last] == BREAK:
                last -= 1
            if last < floor or not lines[last].endswith(":"):
                continue
            tail, outcome = [lines[last].rstrip(":").rstrip()], _OUTCOME_ALONE.match(line).group("outcome")
        else:
            continue
        start = last
        while (
            start - 1 >= floor
            and last - start + 1 < MAX_HEADING_LINES
            and lines[start - 1] != BREAK
            and not re.search(r"[.:!?]\"?$", lines[start - 1])
        ):
            start -= 1
        request = text.one_line(" ".join(lines[start:last] + tail))
        if request:
            headings.append(_Heading(start, index + 1, request, outcome.lower()))
            floor = index + 1
    return headings


def _legacy_headings(lines):
    """2013 headings: `1. <request> is (not) medically necessary and appropriate.`"""
    headings = []
    for index, line in enumerate(lines):
        if not _NUMBERED.match(line):
            continue
        for end in range(index, min(index + MAX_HEADING_LINES, len(lines))):
            if lines[end] == BREAK or (
                end > index and (_label_at(lines[end]) or _NUMBERED.match(lines[end]))
            ):
                break
            verdict = _LEGACY_VERDICT.match(text.one_line(" ".join(lines[index : end + 1])))
            if verdict:
                outcome = UPHELD if verdict.group("negation") else OVERTURNED
                headings.append(_Heading(index, end + 1, verdict.group("request").strip(" :"), outcome))
                break
    return headings


def _item_fields(body, known_words):
    fields, current = {}, None
    for line in body:
        label = _label_at(line)
        if label:
            current = label[0]
            fields.setdefault(current, [])
            if label[1]:
                fields[current].append(label[1])
        elif current:
            fields[current].append(line)
    return {name: text.reflow(field_lines, known_words) for name, field_lines in fields.items()}


def _items(lines, known_words, warnings):
    headings = _outcome_headings(lines) or _legacy_headings(lines)
    items = []
    for number, heading in enumerate(headings, start=1):
        body_end = headings[number].start if number < len(headings) else len(lines)
        fields = _item_fields(lines[heading.end : body_end], known_words)
        for field_name, label in _FIELD_NAMES.items():
            if not fields.get(field_name):
                warnings.append(f"item {number} ({heading.request[:40]}): no {label} found")
        maximus = text.one_line(fields.get("maximus", "")) or None
        rationale = fields.get("rationale", "")
        conclusion = necessity.conclusion(rationale)
        if necessity.contradicts(heading.outcome, conclusion):
            verdict = "not medically necessary" if conclusion == "not_necessary" else "medically necessary"
            warnings.append(
                f"item {number}: outcome is {heading.outcome} but the rationale concludes {verdict}"
            )
        item_citations = citations.parse_citations(maximus)
        if maximus and not item_citations:
            warnings.append(f"item {number}: no guideline source recognised in the MAXIMUS guideline")
        items.append(
            DecisionItem(
                request=heading.request,
                outcome=heading.outcome,
                claims_administrator_guideline=text.one_line(fields.get("claims", "")) or None,
                maximus_guideline=maximus,
                citations=item_citations,
                rationale=rationale,
                necessity=conclusion,
                treatment=normalize_request(heading.request),
            )
        )
    return items


def parse_letter_text(raw_text):
    """Parse the text of one letter; raises ParseError when it is not an IMR determination."""
    if not raw_text or not raw_text.strip():
        raise ParseError("the document contains no text")
    lines = text.logical_lines(raw_text)
    known_words = text.WordSet(lines)
    sections, legacy = _split_sections(lines)
    warnings = []

    decision_lines = sections.get("decisions")
    if decision_lines is None:
        decision_lines = lines
        warnings.append(
            "no 'IMR ISSUES, DECISIONS AND RATIONALES' heading; items were looked for in the whole text"
        )
    items = _items(decision_lines, known_words, warnings)
    if not items:
        if "decisions" not in sections:
            raise ParseError(
                "not an IMR determination letter: no 'IMR ISSUES, DECISIONS AND RATIONALES' "
                "section and no decided items (`<treatment>: Upheld/Overturned`) found"
            )
        raise ParseError(
            "the decisions section lists no disputed item with an outcome "
            "(`<treatment>: Upheld` or `Overturned`)"
        )

    whole = "\n".join(lines)
    case_number, dates, header_injury = _header_fields(sections["header"], whole, warnings)
    credentials = sections.get("how") or sections["header"]
    reviewer = _reviewer("\n".join(credentials), warnings)

    summary = _SUMMARY_INTRO.sub("", text.reflow(sections.get("summary", []), known_words)).strip()
    if not summary:
        warnings.append("no clinical case summary found")
    found_patient = patient.patient_from(summary)
    found_patient.date_of_injury = header_injury or found_patient.date_of_injury

    if legacy:
        letter_format = FORMAT_LEGACY_2013
    elif case_number or any(vars(dates).values()):
        letter_format = FORMAT_WITH_HEADER
    else:
        letter_format = FORMAT_STANDARD
    return ParsedLetter(
        format=letter_format,
        case_number=case_number,
        dates=dates,
        reviewer=reviewer,
        patient=found_patient,
        clinical_summary=summary,
        diagnoses=patient.diagnoses_of(summary),
        items=items,
        warnings=warnings,
    )
