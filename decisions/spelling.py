"""Did you mean: the closest known spelling of a typed word.

Known spellings are the vocabulary's names (drugs, services, abbreviations) and the words of the
index's diagnoses and specialties: the index's text words are stemmed, so those keyword values are
the index's words as written. They are read once per process and again after CACHE_SECONDS.
"""

import difflib
import re
import threading
import time

from decisions import vocabulary

INDEX_SOURCES = ("diagnosis", "specialty")
CACHE_SECONDS = 3600
MIN_LENGTH = 4
CUTOFF = 0.8

_lock = threading.Lock()
_cache = {"read_at": None, "words": frozenset()}


def forget():
    """Read the index's words again at the next suggestion (after a rebuild, and between tests)."""
    with _lock:
        _cache["read_at"] = None


def index_words(backend):
    with _lock:
        if _cache["read_at"] is None or time.monotonic() - _cache["read_at"] > CACHE_SECONDS:
            _cache["words"] = frozenset(
                word
                for name in INDEX_SOURCES
                for value in backend.keyword_values(name)
                for word in re.findall(rf"[a-z]{{{MIN_LENGTH},}}", value.lower())
            )
            _cache["read_at"] = time.monotonic()
        return _cache["words"]


def _closest(word, known, limit):
    """Up to `limit` of the `known` lower-case spellings close to `word`; none when it is one of them."""
    key = word.strip().lower()
    if len(key) < MIN_LENGTH or key in known:
        return []
    return difflib.get_close_matches(key, known, n=limit, cutoff=CUTOFF)


def close_names(word, limit=3):
    """Treatment, drug and abbreviation names spelled like `word` (`gabapentine` -> gabapentin)."""
    names = vocabulary.known_names()
    return [names[match] for match in _closest(word, names, limit)]


def suggestion(word, backend):
    """The known spelling closest to `word`, or None when it is known or nothing is close."""
    named = close_names(word)
    if named:
        return named[0]
    key = word.strip().lower()
    if len(key) < MIN_LENGTH or not key.isalpha() or vocabulary.meaning_of(key):
        return None  # without reading the index's words
    close = _closest(key, index_words(backend), 1)
    return close[0] if close else None
