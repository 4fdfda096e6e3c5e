"""Where parts of a letter start: labelled sections (`Case Summary:`, wrapped or not) and the kinds of
item heading letters use, each with its outcome."""

import re
from dataclasses import dataclass

from decisions.parsing import text
from decisions.parsing.items import label_at
from decisions.parsing.records import OVERTURNED, UPHELD

BREAK = text.PARAGRAPH_BREAK
MAX_HEADING_LINES = 4
MAX_PARTIAL_HEADING_LINES = 10
# `... The remaining IMR eligible portion of the original request, Z is: Upheld` and `... The
# original request, X is: Overturned`: the last sentence of a partial authorization's heading.
PARTIAL_TAIL = re.compile(r"\boriginal\s+request\s*,\s*\S", re.IGNORECASE)
# Its first sentence: `X was the original request.`
ORIGINAL_REQUEST = re.compile(
    r"^(?:[^.]|\.(?!\s))*?\s(?:was|were)\s+the\s+original\s+request\b", re.IGNORECASE
)

_OUTCOME_SAME_LINE = re.compile(r"^(?P<head>.+?)\s*:\s*(?P<outcome>upheld|overturned)\s*\.?$", re.IGNORECASE)
_OUTCOME_ALONE = re.compile(r"^(?P<outcome>upheld|overturned)\s*\.?$", re.IGNORECASE)
NUMBERED = re.compile(r"^\(?(?P<number>\d{1,2})[.)]\s+\S")
_VERDICT = re.compile(
    r"^\(?\d{1,2}[.)]\s+(?:MAXIMUS\s+Federal\s+Services,?\s+Inc\.?,?\s+has\s+determined\s+(?:that\s+)?)?"
    r"(?:the\s+request(?:ed\s+treatment)?\s+for\s+)?(?P<request>.+?)\s+(?:is|are|was|were)\s*(?P<negation>not\s*)?"
    r"medically\s*necessary(?:\s+and\s+appropriate)?\s*\.?$",
    re.IGNORECASE,
)


@dataclass
class Section:
    start: int  # the heading's first line
    lines: list  # the section's lines, the text after the heading's colon first


def labelled_sections(lines, patterns, max_lines=3):
    """name -> the first Section that starts at a heading matching `patterns[name]`: alone on its
    line(s) or followed by a colon and text, and wrapped over up to `max_lines` lines. A section ends
    where the next heading of any name starts."""
    headings = {
        name: re.compile(rf"(?:{pattern})(?:\s*:\s*|\s*$)", re.IGNORECASE)
        for name, pattern in patterns.items()
    }
    starts, index = [], 0
    while index < len(lines):
        found = _heading_at(lines, index, headings, max_lines)
        if found:
            name, span, rest = found
            starts.append((index, name, span, rest))
            index += span
        else:
            index += 1
    sections = {}
    for position, (index, name, span, rest) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(lines)
        sections.setdefault(name, Section(index, ([rest] if rest else []) + lines[index + span : end]))
    return sections


def _heading_at(lines, index, headings, max_lines):
    """(name, lines it spans, text after it) when a heading starts at lines[index]."""
    covered = ""
    for span in range(1, max_lines + 1):
        if index + span > len(lines) or lines[index + span - 1] == BREAK:
            return None
        candidate = " ".join(lines[index : index + span])
        for name, heading in headings.items():
            match = heading.match(candidate)
            if match and match.end() > len(covered):
                return name, span, candidate[match.end() :].strip()
        covered = candidate
    return None


def numbered_parts(lines, start=NUMBERED):
    """number -> lines of each part that starts with a numbered line (`1)`, `2.`); lines before the
    first go under 0."""
    parts, number = {0: []}, 0
    for line in lines:
        match = start.match(line)
        if match:
            number = int(match.group("number"))
            parts.setdefault(number, [])
        parts[number].append(line)
    return parts


@dataclass
class Heading:
    start: int  # first line of the item heading
    end: int  # line after the heading
    request: str
    outcome: str


def ends_outcome_heading(lines, index):
    """A capitalised line that wraps into `...: Upheld` is an item heading, not a section."""
    window = lines[index : index + 3]
    return any(_OUTCOME_SAME_LINE.match(line) or _OUTCOME_ALONE.match(line) for line in window)


def _ends_a_sentence(line):
    """The line closes what came before: a sentence, or an introduction (`... set forth below:`).
    A colon after a short capitalised label inside a request (`DOS:`, `QTY:`) closes nothing."""
    if re.search(r"[.!?]\"?$", line):
        return True
    return line.endswith(":") and not re.search(r"\b(?:[A-Z]{2,5}|Qty|Quantity|Date\s+of\s+Service):$", line)


def _heading_start(lines, last, floor, tail):
    """The first line of the heading that ends at lines[last] with `tail` (its text before the
    outcome). A heading is its own paragraph of a few lines; a partial authorization's runs to five
    or more, over sentences of its own (`X was the original request. Y was authorized ...`)."""
    start = last
    while start - 1 >= floor and lines[start - 1] != BREAK:
        heading = text.one_line(" ".join(lines[start:last] + [tail]))
        partial = PARTIAL_TAIL.search(heading)
        if last - start + 1 >= (MAX_PARTIAL_HEADING_LINES if partial else MAX_HEADING_LINES):
            break
        if (not partial or ORIGINAL_REQUEST.match(heading)) and _ends_a_sentence(lines[start - 1]):
            break
        start -= 1
    return start


def outcome_headings(lines):
    """Item headings of the form `<request>: Upheld`, possibly wrapped over several lines."""
    headings, floor = [], 0
    for index, line in enumerate(lines):
        if label_at(line):
            floor = index + 1
            continue
        same = _OUTCOME_SAME_LINE.match(line)
        if same:
            last, tail, outcome = index, same.group("head"), same.group("outcome")
        elif _OUTCOME_ALONE.match(line):
            last = index - 1
            while last >= floor and lines[last] == BREAK:
                last -= 1
            if last < floor or not lines[last].endswith(":"):
                continue
            tail, outcome = lines[last].rstrip(":").rstrip(), _OUTCOME_ALONE.match(line).group("outcome")
        else:
            continue
        start = _heading_start(lines, last, floor, tail)
        request = text.one_line(" ".join(lines[start:last] + [tail]))
        if request:
            headings.append(Heading(start, index + 1, request, outcome.lower()))
            floor = index + 1
    return headings


def verdict_headings(lines):
    """2013 numbered verdicts, wrapped over lines: `1) MAXIMUS Federal Services, Inc. has determined
    the request for <request> is (not) medically necessary and appropriate.`"""
    headings = []
    for index, line in enumerate(lines):
        if not NUMBERED.match(line):
            continue
        for end in range(index, min(index + MAX_HEADING_LINES, len(lines))):
            if lines[end] == BREAK or (end > index and (label_at(lines[end]) or NUMBERED.match(lines[end]))):
                break
            verdict = _VERDICT.match(text.one_line(" ".join(lines[index : end + 1])))
            if verdict:
                outcome = UPHELD if verdict.group("negation") else OVERTURNED
                headings.append(Heading(index, end + 1, verdict.group("request").strip(" :"), outcome))
                break
    return headings
