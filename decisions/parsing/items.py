"""One disputed item: its labelled parts (claims guideline, reviewer's guideline, rationale) and the
record built from them. Every layout finds its own item headings and hands the rest to this module."""

import re

from decisions.parsing import citations, necessity, text
from decisions.parsing.authorization import partial_authorization
from decisions.parsing.reasons import reasons_in
from decisions.parsing.records import DecisionItem
from decisions.vocabulary import normalize_request

_REVIEWER = r"(?:The\s+)?(?:Physician|Expert|Professional|Medical)\s+Reviewer(?:'s)?"
_GUIDELINES = r"Medical\s+Treatment\s+Guidelines?(?:\s*\(s\))?"
# (field, pattern, keep the label as part of the text)
_LABELS = [
    ("claims", re.compile(r"^Claims\s+Administrator(?:'s)?\s+guidelines?\s*:\s*", re.IGNORECASE), False),
    (
        "claims",
        re.compile(r"^(?=The\s+Claims\s+Administrator\s+based\s+its\s+decision)", re.IGNORECASE),
        True,
    ),
    # 2013 notices: "Medical Treatment Guideline(s) which the Claims Administrator based its decision on:"
    (
        "claims",
        re.compile(
            rf"^{_GUIDELINES}\s+(?:which|that|used\s+by|relied\s+upon\s+by)\s+the\s+Claims\s+"
            r"Administrator[^:]{0,60}:\s*",
            re.IGNORECASE,
        ),
        False,
    ),
    ("maximus", re.compile(r"^MAXIMUS\s+guidelines?\s*:\s*", re.IGNORECASE), False),
    (
        "maximus",
        re.compile(rf"^(?={_REVIEWER}\s+based\s+(?:his/her|his|her|their)\s+decision)", re.IGNORECASE),
        True,
    ),
    (
        "maximus",
        re.compile(
            rf"^{_GUIDELINES}\s+(?:which|that|used\s+by|relied\s+upon\s+by)\s+the\s+(?:Physician|Expert|"
            r"Professional|Medical)\s+Reviewer[^:]{0,60}:\s*",
            re.IGNORECASE,
        ),
        False,
    ),
    ("rationale", re.compile(rf"^(?:{_REVIEWER}\s+)?Decision\s+rationale\s*:\s*", re.IGNORECASE), False),
    ("rationale", re.compile(r"^Rationale\s+for\s+the\s+Decision\s*:\s*", re.IGNORECASE), False),
]
LABEL_NAMES = {
    "claims": "Claims Administrator guideline",
    "maximus": "MAXIMUS guideline",
    "rationale": "Decision rationale",
}
# How far a label may wrap: "Medical Treatment Guideline(s) which the Expert Reviewer based" /
# "his/her decision on:".
MAX_LABEL_LINES = 3


# Every label in one pattern, tried in the list's order: each line of every item is tested.
_ANY_LABEL = re.compile(
    "|".join(f"(?P<label{index}>{pattern.pattern})" for index, (_, pattern, _) in enumerate(_LABELS)),
    re.IGNORECASE,
)


def label_at(line):
    """(field, the text after the label) when line starts one of an item's labelled parts."""
    match = _ANY_LABEL.match(line)
    if match is None:
        return None
    field_name, _, keep = _LABELS[int(match.lastgroup.removeprefix("label"))]
    return field_name, (line if keep else line[match.end() :])


def join_wrapped_labels(lines):
    """Put a label that wraps over lines back on one line, so `label_at` sees all of it."""
    joined, index = [], 0
    while index < len(lines):
        line = lines[index]
        if line and not label_at(line) and re.match(rf"{_GUIDELINES}\s", line, re.IGNORECASE):
            for end in range(index + 1, min(index + MAX_LABEL_LINES, len(lines))):
                if lines[end] == text.PARAGRAPH_BREAK:
                    break
                candidate = " ".join(lines[index : end + 1])
                if label_at(candidate):
                    line, index = candidate, end
                    break
        joined.append(line)
        index += 1
    return joined


def item_fields(body, known_words):
    """Field name -> reflowed text of each labelled part in an item's lines."""
    fields, current = {}, None
    for line in join_wrapped_labels(body):
        label = label_at(line)
        if label:
            current = label[0]
            fields.setdefault(current, [])
            if label[1]:
                fields[current].append(label[1])
        elif current:
            fields[current].append(line)
    return {name: text.reflow(field_lines, known_words) for name, field_lines in fields.items()}


def build_item(number, request, outcome, fields, warnings, expected=tuple(LABEL_NAMES)):
    """The record of one item, with a warning for each expected part that is missing and for an
    outcome its own rationale contradicts."""
    for field_name in expected:
        if not fields.get(field_name):
            warnings.append(f"item {number} ({request[:40]}): no {LABEL_NAMES[field_name]} found")
    maximus = text.one_line(fields.get("maximus", "")) or None
    rationale = fields.get("rationale", "")
    conclusion = necessity.conclusion(rationale)
    if necessity.contradicts(outcome, conclusion):
        verdict = "not medically necessary" if conclusion == "not_necessary" else "medically necessary"
        warnings.append(f"item {number}: outcome is {outcome} but the rationale concludes {verdict}")
    item_citations = citations.parse_citations(maximus)
    no_evidence = citations.cites_no_evidence(maximus)
    if maximus and not item_citations and not no_evidence:
        warnings.append(f"item {number}: no guideline source recognised in the MAXIMUS guideline")
    authorization = partial_authorization(request)
    claims = text.one_line(fields.get("claims", "")) or None
    return DecisionItem(
        request=request,
        outcome=outcome,
        claims_administrator_guideline=claims,
        maximus_guideline=maximus,
        citations=item_citations,
        rationale=rationale,
        necessity=conclusion,
        treatment=normalize_request(
            authorization.remaining if authorization and authorization.remaining else request
        ),
        authorization=authorization,
        cites_no_evidence=no_evidence,
        claims_citations=citations.parse_citations(claims),
        reasons=reasons_in(rationale),
    )
