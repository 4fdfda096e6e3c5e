"""Letters laid out in headed sections: HOW THE IMR FINAL DETERMINATION WAS MADE, CLINICAL CASE
SUMMARY, IMR ISSUES, DECISIONS AND RATIONALES (or the late-2013 IMR DECISION(S) AND RATIONALE(S))."""

import re

from decisions.parsing.assembly import assemble
from decisions.parsing.header import header_fields
from decisions.parsing.headings import ends_outcome_heading, outcome_headings, verdict_headings
from decisions.parsing.items import build_item, item_fields
from decisions.parsing.records import (
    FORMAT_LEGACY_2013,
    FORMAT_STANDARD,
    FORMAT_WITH_HEADER,
    ParseError,
)

# Known section headings; a heading is a line on its own, any case, optional trailing colon.
_HEADINGS = {
    "how": r"HOW\s+THE\s+IMR\s+FINAL\s+DETERMINATION\s+WAS\s+MADE",
    "documents": r"DOCUMENTS\s+REVIEWED(?:\s+FOR\s+(?:THIS\s+IMR|DETERMINATION))?",
    "summary": r"CLINICAL\s+CASE\s+SUMMARY",
    "decisions": r"IMR\s+(?:ISSUES?\s*,?\s+)?DECISION(?:\(S\)|S)?\s*,?\s+AND\s+RATIONALE(?:\(S\)|S)?",
}
# All of them in one pattern, tried in order, for the scan of every line of a letter.
_ANY_HEADING = re.compile(
    "(?:" + "|".join(f"(?P<{name}>{pattern})" for name, pattern in _HEADINGS.items()) + r")\s*:?",
    re.IGNORECASE,
)
_DECISIONS_HEADING = re.compile(rf"{_HEADINGS['decisions']}\s*:?", re.IGNORECASE)
_LEGACY_HEADING = re.compile(r"IMR\s+DECISION\(S\)", re.IGNORECASE)
# Any other line in capitals is an extra section that ends the one before it.
_OTHER_HEADING = re.compile(r"[A-Z][A-Z ,'&/()-]{6,80}")


def recognises(lines):
    """The fallback layout: whatever no other layout claims is read (or refused) here."""
    return True


def has_decisions_heading(lines):
    return any(_DECISIONS_HEADING.fullmatch(line) for line in lines)


def _split_sections(lines):
    """Map section name -> its lines, plus the lines before the first known heading."""
    found = []
    for index, line in enumerate(lines):
        heading = _ANY_HEADING.fullmatch(line)
        if heading:
            found.append((index, heading.lastgroup, bool(_LEGACY_HEADING.match(line))))
        elif _OTHER_HEADING.fullmatch(line) and found and not ends_outcome_heading(lines, index):
            found.append((index, "other", False))
    sections = {"header": lines[: found[0][0]] if found else lines}
    for position, (index, name, _) in enumerate(found):
        end = found[position + 1][0] if position + 1 < len(found) else len(lines)
        if name != "other":
            sections.setdefault(name, lines[index + 1 : end])
    legacy = any(is_legacy for _, _, is_legacy in found) or "documents" in sections
    return sections, legacy


def _items(lines, known_words, warnings):
    headings = outcome_headings(lines) or verdict_headings(lines)
    items = []
    for number, heading in enumerate(headings, start=1):
        body_end = headings[number].start if number < len(headings) else len(lines)
        fields = item_fields(lines[heading.end : body_end], known_words)
        items.append(build_item(number, heading.request, heading.outcome, fields, warnings))
    return items


def parse(lines, known_words):
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

    header = header_fields(sections["header"], "\n".join(lines), warnings)
    credentials = sections.get("how") or sections["header"]
    if legacy:
        letter_format = FORMAT_LEGACY_2013
    elif header.case_number or any(vars(header.dates).values()):
        letter_format = FORMAT_WITH_HEADER
    else:
        letter_format = FORMAT_STANDARD
    return assemble(
        letter_format,
        header=header,
        credentials=credentials,
        summary=sections.get("summary", []),
        items=items,
        known_words=known_words,
        warnings=warnings,
    )
