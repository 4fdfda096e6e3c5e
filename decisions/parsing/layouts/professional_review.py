"""The MEDICAL PROFESSIONAL REVIEW layout: ISSUE AT DISPUTE, CASE SUMMARY, DOCUMENTS REVIEWED FOR
DETERMINATION, MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL REVIEWER AND WHY, RATIONALE
FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT MEDICALLY NECESSARY, MEDICAL REVIEWER
QUALIFICATIONS. Headings may wrap over two lines and carry text after their colon.

Outcomes are rarely written as `Upheld`/`Overturned` here: an item's outcome is what its issue line
states, else what its rationale concludes, else upheld as the rationale heading says (with a warning).
"""

import re

from decisions.parsing import necessity, text
from decisions.parsing.assembly import assemble
from decisions.parsing.header import header_fields
from decisions.parsing.headings import labelled_sections, numbered_parts
from decisions.parsing.items import build_item
from decisions.parsing.records import (
    FORMAT_PROFESSIONAL_REVIEW,
    NECESSARY,
    NOT_NECESSARY,
    OVERTURNED,
    UPHELD,
    ParseError,
)

_TITLE = re.compile(r"MEDICAL\s+PROFESSIONAL\s+REVIEW", re.IGNORECASE)
_SECTIONS = {
    "issue": r"ISSUES?\s+(?:AT|IN)\s+DISPUTE",
    "summary": r"(?:CLINICAL\s+)?CASE\s+SUMMARY",
    "documents": r"DOCUMENTS\s+REVIEWED(?:\s+FOR\s+(?:THE\s+)?DETERMINATION)?",
    "guidelines": r"MEDICAL\s+TREATMENT\s+GUIDELINES?\s*(?:\(S\))?\s+RELIED\s+(?:UP)?ON\s+BY\s+(?:THE\s+)?"
    r"(?:PROFESSIONAL|MEDICAL|PHYSICIAN)\s+REVIEWER(?:\s+AND\s+WHY)?",
    "rationale": r"RATIONALE\s+FOR\s+WHY\s+THE\s+REQUESTED\s+TREATMENT\s*(?:/\s*SERVICE)?\s+"
    r"(?:IS\s*/\s*WAS|IS|WAS)\s+(?:NOT\s+)?MEDICALLY\s+NECESSARY",
    "qualifications": r"(?:MEDICAL|PROFESSIONAL)\s+REVIEWER(?:'S)?\s+QUALIFICATIONS",
}
_STATED_OUTCOME = re.compile(r"\s*[:-]\s*(?P<outcome>upheld|overturned)\s*\.?$", re.IGNORECASE)
_STATED_NECESSITY = re.compile(
    r"\s*(?:[:-]|\bis|\bare|\bwas|\bwere)\s*(?P<negation>not\s+|non-?)?(?:medically\s+necessary|certified)\s*\.?$",
    re.IGNORECASE,
)
# "Is the requested X medically necessary?", "Whether the request for X is medically necessary": a
# question names the request and states no outcome.
_QUESTION = re.compile(r"^(?:Whether|Is|Are)\b", re.IGNORECASE)
_QUESTION_WORDS = re.compile(
    r"^(?:(?:Whether|Is|Are)\s+)?(?:the\s+)?(?:request(?:ed)?\s+(?:treatment\s+|service\s+)?(?:for\s+)?)?"
    r"|\s+(?:(?:is|are)\s+)?(?:medically\s+)?necessary(?:\s+and\s+appropriate)?\s*\??$",
    re.IGNORECASE,
)


def recognises(lines):
    opening = lines[:10]
    return any(_TITLE.fullmatch(line.rstrip(":")) for line in opening) or (
        # a cheap look first: most letters are not professional reviews
        bool(re.search(_SECTIONS["issue"], "\n".join(lines), re.IGNORECASE))
        and labelled_sections(lines, _SECTIONS).keys() >= {"issue", "rationale"}
    )


def _issues(lines):
    """(request, stated outcome or None) per disputed item, numbered or one per paragraph."""
    parts = numbered_parts(lines)
    if len(parts) > 1:
        entries = [text.one_line(" ".join(part)) for number, part in sorted(parts.items()) if number]
    else:
        entries = [entry for entry in text.reflow(lines).split("\n\n") if entry.strip()]
    issues = []
    for entry in entries:
        entry = _without_number(entry)
        outcome = None
        stated = _STATED_OUTCOME.search(entry)
        verdict = None if _QUESTION.match(entry) else _STATED_NECESSITY.search(entry)
        if stated:
            outcome, entry = stated.group("outcome").lower(), entry[: stated.start()]
        elif verdict:
            outcome = UPHELD if verdict.group("negation") else OVERTURNED
            entry = entry[: verdict.start()]
        request = _QUESTION_WORDS.sub("", entry).strip(" ?.:")
        if request:
            issues.append((request, outcome))
    return issues


def _per_item(lines, count, name, known_words, warnings):
    """The text of a section for each of `count` items: its numbered parts when there is one per
    item, else the whole section for each (with a warning when that shares it between items)."""
    parts = numbered_parts(lines)
    numbered = [part for number, part in sorted(parts.items()) if number]
    if count > 1 and len(numbered) == count:
        return [text.reflow(part, known_words) for part in numbered]
    if count > 1 and lines:
        warnings.append(f"the {name} is not split per item; each item shows all of it")
    return [text.reflow(lines, known_words)] * count


def _outcome(number, stated, rationale, warnings):
    if stated:
        return stated
    concluded = necessity.conclusion(rationale)
    if concluded == NECESSARY:
        return OVERTURNED
    if concluded != NOT_NECESSARY:
        warnings.append(
            f"item {number}: no outcome stated; upheld, as the rationale's heading (why the treatment is "
            "not medically necessary) says"
        )
    return UPHELD


def parse(lines, known_words):
    warnings = []
    found = labelled_sections(lines, _SECTIONS)
    issues = _issues(found["issue"].lines) if "issue" in found else []
    if not issues:
        raise ParseError("a medical professional review, but its ISSUE AT DISPUTE names no treatment")

    def section_lines(name):
        return found[name].lines if name in found else []

    guidelines = _per_item(
        section_lines("guidelines"), len(issues), "guideline section", known_words, warnings
    )
    rationales = _per_item(section_lines("rationale"), len(issues), "rationale", known_words, warnings)
    items = []
    for number, ((request, stated), guideline, rationale) in enumerate(
        zip(issues, guidelines, rationales, strict=True), 1
    ):
        fields = {"maximus": _without_number(guideline), "rationale": _without_number(rationale)}
        outcome = _outcome(number, stated, fields["rationale"], warnings)
        items.append(
            build_item(number, request, outcome, fields, warnings, expected=("maximus", "rationale"))
        )

    first = min(section.start for section in found.values())
    header = header_fields(lines[:first], "\n".join(lines), warnings)
    return assemble(
        FORMAT_PROFESSIONAL_REVIEW,
        header=header,
        credentials=section_lines("qualifications"),
        summary=section_lines("summary"),
        items=items,
        known_words=known_words,
        warnings=warnings,
    )


def _without_number(part):
    """`1. Norco is ...` -> `Norco is ...`: the part's number is the item's, not its text."""
    return re.sub(r"^\(?\d{1,2}[.)]\s+", "", part)
