"""How text becomes index terms: Whoosh's stemming analysis, and the 2- to 4-word runs of it.

`words` gives exactly the terms Whoosh's `TEXT_ANALYZER` gives (the highlighter and the reference
matcher use that one), without a Token object per word: indexing analyses every word of the
archive, and this is the cost that grows with it.
"""

import functools
import re
from datetime import date

from whoosh.analysis import StemmingAnalyzer
from whoosh.lang.porter import stem

# No stop words: "not medically necessary" must not match "medically necessary".
TEXT_ANALYZER = StemmingAnalyzer(stoplist=None, minsize=1)
# StemmingAnalyzer's tokenizer pattern, as a whole match (its group is for Whoosh's finditer).
_WORD = re.compile(r"\w+(?:\.?\w+)*")
SHINGLE_JOINER = "|"
LONGEST_SHINGLE = 4
# Positions and frequencies are stored in 16 bits; no letter's field comes near this many words.
MAX_WORDS = 65535
UNKNOWN_DAY = 0  # dates are stored as date.toordinal(); 0 when the letter does not give one


@functools.lru_cache(maxsize=200_000)
def _term(word):
    return stem(word.lower())


def words(text):
    """The analysed words of a text, in order (a word's index is its position)."""
    return [_term(word) for word in _WORD.findall(text or "")][:MAX_WORDS]


def spans(text):
    """(term, start, end) of every word of a text: what TEXT_ANALYZER gives with chars=True."""
    return [(_term(found.group()), found.start(), found.end()) for found in _WORD.finditer(text)]


def shingle(tokens):
    return SHINGLE_JOINER.join(tokens)


def shingles(tokens):
    """Adjacent runs of 2 to LONGEST_SHINGLE words as single terms: a b c -> a|b, b|c, a|b|c."""
    runs, shorter = [], tokens
    for size in range(2, LONGEST_SHINGLE + 1):
        shorter = [
            run + SHINGLE_JOINER + word for run, word in zip(shorter, tokens[size - 1 :], strict=False)
        ]
        runs += shorter
    return runs


def phrases_field(name):
    return f"{name}_phrases"


def day(value):
    return value.toordinal() if isinstance(value, date) else UNKNOWN_DAY
