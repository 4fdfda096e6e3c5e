"""What a rationale concludes about medical necessity, read from its closing sentences."""

import re

from decisions.parsing import text
from decisions.parsing.records import NECESSARY, NOT_NECESSARY, OVERTURNED, UNSTATED, UPHELD

_NEGATED = re.compile(
    r"\b(?:not|non|n't|cannot|neither|nor)\b[\s\w/-]{0,40}?\b(?:medically\s+necessary|medically\s+reasonable"
    r"|necessary\s+and\s+appropriate|indicated|certified|supported|warranted|recommended|appropriate|justified)\b"
    r"|\bnon-?certified\b|\bunnecessary\b",
    re.IGNORECASE,
)
_AFFIRMED = re.compile(
    r"\b(?:is|are|was|were|be|been|remains?)\s+(?:deemed\s+|determined\s+to\s+be\s+|considered\s+|found\s+to\s+be\s+"
    r"|therefore\s+|thus\s+|,\s*thus,\s*|,\s*therefore,\s*|also\s+)?(?:medically\s+necessary|medically\s+reasonable"
    r"|necessary\s+and\s+appropriate|indicated|certified|supported|warranted|recommended|appropriate)\b",
    re.IGNORECASE,
)
_CONCLUSION_WORDS = re.compile(
    r"medically\s+(?:necessary|reasonable)|necessary\s+and\s+appropriate", re.IGNORECASE
)


def _verdict(sentence):
    if _NEGATED.search(sentence):
        return NOT_NECESSARY
    if _AFFIRMED.search(sentence):
        return NECESSARY
    return None


def conclusion(rationale):
    """necessary | not_necessary | unstated: the last sentence that rules on necessity decides."""
    sentences = text.sentences(rationale)
    for sentence in reversed(sentences):
        if _CONCLUSION_WORDS.search(sentence):
            verdict = _verdict(sentence)
            if verdict:
                return verdict
    # No "medically necessary" wording: accept a verdict only from the closing sentence.
    if sentences and re.search(r"\b(?:therefore|thus|accordingly|hence)\b", sentences[-1], re.IGNORECASE):
        return _verdict(sentences[-1]) or UNSTATED
    return UNSTATED


def contradicts(outcome, necessity):
    """Overturned means the treatment is necessary; upheld means it is not."""
    return (outcome == OVERTURNED and necessity == NOT_NECESSARY) or (
        outcome == UPHELD and necessity == NECESSARY
    )
