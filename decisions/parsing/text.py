"""Undo pdfminer's layout: doubled line spacing, trailing spaces, words hyphenated across lines.

A letter becomes a list of logical lines in which "" marks a paragraph break; `reflow` joins
such lines back into paragraphs of plain prose.
"""

import re

PARAGRAPH_BREAK = ""

_PAGE_FOOTER = re.compile(r"^\s*(page\s+\d+\s+of\s+\d+|\d+\s*/\s*\d+)\s*$", re.IGNORECASE)
# `2003.In a report`: the PDF lost the space after a full stop; restore it so words tokenize.
_MISSING_SPACE = re.compile(r"(?<=[a-z0-9)]{2})\.(?=[A-Z][a-z])")
# `is notmedically necessary`: PDF extraction lost the space after a negation before a verdict word.
_VERDICT_WORDS = "medically|necessary|recommended|certified|indicated|supported|appropriate"
_GLUED_NEGATION = re.compile(rf"\b(not|non)({_VERDICT_WORDS})\b", re.IGNORECASE)
# The same on lower-cased text, without the case-blind matching that makes the scan slow: most
# letters have no glued negation, and this one look says so.
_GLUED_ANYWHERE = re.compile(rf"no[nt](?:{_VERDICT_WORDS})")
# Every kind of spacing becomes a plain space, then runs fold to one: a translation and a literal
# pattern, several times faster than one character class tried at every character of a letter.
_TO_SPACE = str.maketrans(dict.fromkeys("\t\u00a0" + "".join(map(chr, range(0x2000, 0x200C))), " "))
_SPACE_RUN = re.compile(" {2,}")
# A line-end fragment that is only a suffix cannot be a word of its own: `medica-` + `tion`.
_SUFFIX_ONLY = re.compile(
    r"^(tion|tions|sion|sions|ment|ments|ness|ity|ities|ing|ings|ed|ly|ally|ance|ances|ence|"
    r"ences|able|ible|ive|ives|ous|ize|ized|izes|ization|ful|less)\b",
    re.IGNORECASE,
)


_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": " - ",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\u00ad": None,
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


def fold_spaces(text):
    return _SPACE_RUN.sub(" ", text.translate(_TO_SPACE))


def split_glued_negations(text):
    if _GLUED_ANYWHERE.search(text.lower()) is None:
        return text
    return _GLUED_NEGATION.sub(r"\1 \2", text)


def clean_characters(text):
    """Normalise line endings and the typographic characters PDF extraction produces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_TYPOGRAPHY)
    return _CONTROL.sub("", text)


def _is_double_spaced(raw_lines):
    """pdfminer writes a blank line after every text line; plain text files do not."""
    text_lines = followed_by_blank = 0
    for index, line in enumerate(raw_lines[:-1]):
        if line.strip():
            text_lines += 1
            if not raw_lines[index + 1].strip():
                followed_by_blank += 1
    return text_lines >= 4 and followed_by_blank / text_lines > 0.6


def logical_lines(text):
    """Lines of the letter, stripped, with single "" entries where a paragraph ends.

    In pdfminer's double-spaced output an empty line is only spacing and a run of them is a
    page break inside a paragraph; the paragraph breaks are the lines holding only spaces.
    A form feed (pdfminer's page break) never ends a paragraph.
    """
    # Spaces folded and glued negations split once for the whole letter, not line by line.
    raw_lines = split_glued_negations(fold_spaces(clean_characters(text))).split("\n")
    double_spaced = _is_double_spaced(raw_lines)
    lines, pending_break, in_page_gap = [], False, False
    for raw in raw_lines:
        if "\f" in raw:  # a page break, and the blank lines around it, continue the paragraph it interrupts
            raw, pending_break, in_page_gap = fold_spaces(raw.replace("\f", "")), False, True
        line = raw.strip()
        if _PAGE_FOOTER.match(line):
            continue
        if not line:
            pending_break = pending_break or (not in_page_gap and (not double_spaced or raw != ""))
            continue
        if lines and pending_break and lines[-1] != PARAGRAPH_BREAK:
            lines.append(PARAGRAPH_BREAK)
        pending_break = in_page_gap = False
        lines.append(line)
    return lines


def _join_hyphenated(head, tail, known_words):
    """Join `head-` and `tail`: drop the hyphen only where it is a line-break artefact."""
    stem = re.search(r"([A-Za-z]+)-$", head)
    first = re.match(r"[A-Za-z]+", tail)
    if stem and first:
        joined = (stem.group(1) + first.group(0)).lower()
        compound = f"{stem.group(1)}-{first.group(0)}".lower()
        if compound not in known_words and (joined in known_words or _SUFFIX_ONLY.match(tail)):
            return head[:-1] + tail
    return head + tail


def reflow(lines, known_words=frozenset()):
    """Join logical lines into paragraphs separated by a blank line, spaces folded to one.

    known_words holds the lower-cased words of the whole letter, used to tell `long-term`
    (kept) from a word split by the line break (`effec-` + `tiveness`).
    """
    paragraphs, current = [], ""
    for line in list(lines) + [PARAGRAPH_BREAK]:
        if line == PARAGRAPH_BREAK:
            if current.strip():
                paragraphs.append(current.strip())
            current = ""
        elif current.endswith("-") and len(current) > 1 and current[-2].isalnum() and line[:1].isalnum():
            current = _join_hyphenated(current, line, known_words)
        else:
            current = f"{current} {line}" if current else line
    return "\n\n".join(_MISSING_SPACE.sub(". ", fold_spaces(paragraph)) for paragraph in paragraphs)


def one_line(text):
    """Fold a reflowed text into a single line (for labels and headings)."""
    return fold_spaces(text.replace("\n", " ")).strip()


class WordSet:
    """Lower-cased words (and hyphenated compounds) written whole on some line, built on first use:
    most letters never need it."""

    def __init__(self, lines):
        self._lines = lines
        self._words = None

    def __contains__(self, word):
        if self._words is None:
            self._words = set()
            for line in self._lines:
                text = line[:-1] if line.endswith("-") else line
                self._words.update(word.lower() for word in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", text))
        return word in self._words


# A full stop after these is not a sentence's end: `Dr. Lee`, `e.g. Norco`, `No. 3`, `vs. placebo`.
_ABBREVIATIONS = frozenset(
    [
        "dr",
        "mr",
        "mrs",
        "ms",
        "st",
        "vs",
        "e.g",
        "i.e",
        "etc",
        "no",
        "nos",
        "approx",
        "fig",
        "al",
        "jr",
        "sr",
        "inc",
    ]
)
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n")


def _word_before(text, end, start):
    """The word (dots kept: `e.g`) that ends at `end`, not reaching back before `start`."""
    begin = end
    while begin > start and (text[begin - 1].isalnum() or text[begin - 1] in "._"):
        begin -= 1
    return text[begin:end].strip(".")


def sentences(text):
    """A text's sentences in order, each on one line: a paragraph break always ends one, and so does
    a full stop before a capital or a digit, unless it follows an abbreviation or a single letter
    or digit (an initial, a list's `1.`)."""
    found, start = [], 0
    for end in _SENTENCE_END.finditer(text or ""):
        last = _word_before(text, end.start(), start) if end.group().strip() else ""
        if last and (len(last) == 1 or last.lower() in _ABBREVIATIONS):
            continue
        found.append(text[start : end.end()])
        start = end.end()
    found.append((text or "")[start:])
    return [one_line(sentence) for sentence in found if sentence.strip()]
