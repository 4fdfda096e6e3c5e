"""The parser never crashes: any input gives a letter or a ParseError."""

import contextlib
import random
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisions.parsing import ParseError, parse_document, parse_letter_text
from decisions.parsing.furniture import without_furniture
from decisions.parsing.records import ParsedLetter
from tests.layouts import NOTICE_2013, PROFESSIONAL_REVIEW
from tests.letters import SEED_FILES, pdfminer_style
from tests.test_parsing_variants import LEGACY

SEED_LINES = [path.read_text(encoding="utf-8").splitlines() for path in SEED_FILES] + [
    pdfminer_style(layout).splitlines() for layout in (NOTICE_2013, PROFESSIONAL_REVIEW, LEGACY)
]
FRAGMENTS = [
    "IMR ISSUES, DECISIONS AND RATIONALES",
    "CLINICAL CASE SUMMARY",
    ": Upheld",
    "Overturned",
    "Decision rationale:",
    "MAXIMUS guideline:",
    "Page(s): 1-",
    "Chapter",
    "Non-MTUS",
    "#",
    "-",
    " ",
    "\n",
    "State(s) of Licensure:",
    "1. x is not medically necessary and appropriate.",
    "1) MAXIMUS Federal Services, Inc. has determined the request for x is notmedically necessary",
    "INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE",
    "Notice of Independent Medical Review Determination",
    "Case Summary:",
    "1) Regarding the request for",
    "Medical Treatment Guideline(s) which the Expert Reviewer based his/her decision on:",
    "MEDICAL PROFESSIONAL REVIEW",
    "ISSUE AT DISPUTE:",
    "RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT",
    "MEDICALLY NECESSARY:",
    "MEDICAL REVIEWER QUALIFICATIONS:",
    "\f",
    "Page 2 of 3",
    "2",
]


def _parse_or_refuse(text):
    try:
        result = parse_letter_text(text)
    except ParseError as error:
        assert str(error)
        return None
    assert isinstance(result, ParsedLetter)
    for item in result.items:
        assert item.outcome in {"upheld", "overturned"}
        assert item.request
        for citation in item.citations:
            assert citation.pages == sorted(set(citation.pages))
    return result


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
def test_arbitrary_text(text):
    _parse_or_refuse(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=40), max_size=80))
def test_letter_shaped_fragments(parts):
    _parse_or_refuse("\n".join(parts))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=0, max_value=len(SEED_LINES) - 1),
    st.randoms(use_true_random=False),
    st.integers(min_value=1, max_value=40),
)
def test_mutated_seed_letters(seed_index, rng: random.Random, edits):
    lines = list(SEED_LINES[seed_index])
    for _ in range(edits):
        action = rng.choice(["drop", "duplicate", "swap", "cut"])
        position = rng.randrange(len(lines)) if lines else 0
        if not lines:
            break
        if action == "drop":
            del lines[position]
        elif action == "duplicate":
            lines.insert(position, lines[position])
        elif action == "swap":
            other = rng.randrange(len(lines))
            lines[position], lines[other] = lines[other], lines[position]
        else:
            lines[position] = lines[position][: rng.randrange(len(lines[position]) + 1)]
    _parse_or_refuse("\n".join(lines))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data):
    with contextlib.suppress(ParseError):
        parse_document(data)
    with contextlib.suppress(ParseError):
        parse_document(b"%PDF-1.4\n" + data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=40), max_size=80))
def test_page_furniture_removal_only_ever_blanks_whole_lines_of_a_page(parts):
    text = "\n".join(parts)
    cleaned = without_furniture(text)
    assert cleaned.count("\f") == text.count("\f")
    before, after = re.split("[\n\f]", text), re.split("[\n\f]", cleaned)
    assert len(before) == len(after)
    assert all(new in (old, "") for old, new in zip(before, after, strict=True))
