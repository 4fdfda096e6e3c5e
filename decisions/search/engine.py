"""Run a search: text query, filters and facets inside the index, one page of hits out.

Filters and facet counts work on per-term bitsets (Python ints; AND and bit_count run in C),
cached for the life of one index reader, so a facet costs microseconds however many items match.
"""
import itertools
import threading
from dataclasses import dataclass, field
from whoosh import query as wq
from whoosh.idsets import DocIdSet

from decisions.search.documents import ANY_SOURCE, day_number
from decisions.search.index import open_index
from decisions.search.evaluate import (
    DayIndex, TooManyTerms, bits_of, evaluate, expands, leaves, most_common_terms, postings_bits, without_phrases,
)
from decisions.search.query import QueryError, parse_query
from decisions.search.schema import FACET_FIELDS

RELEVANCE, NEWEST, OLDEST = "relevance", "newest", "oldest"
MAX_PAGE_RANGE = 400
# Above this many postings to score, relevance is by tier (request names the words) and date.
RANKING_POSTINGS_LIMIT = 8_000
# Warm-up builds the bitsets of the words and word pairs found in the most items, so a new
# worker answers common searches as fast as one that has served them before.
WARM_TERMS = {"rationale": 40, "request": 30, "treatment_words": 20}
NAMING_FIELDS = ("request", "treatment_words")


@dataclass
class Filters:
    """What the search is narrowed to; each list is "any of these", fields combine with AND."""

    outcome: list = field(default_factory=list)
    treatment: list = field(default_factory=list)
    drug_class: list = field(default_factory=list)
    category: list = field(default_factory=list)
    necessity: list = field(default_factory=list)
    source: list = field(default_factory=list)
    specialty: list = field(default_factory=list)
    state: list = field(default_factory=list)
    case_number: str = ""
    page_source: str = ""  # "" means any source
    page_from: int | None = None
    page_to: int | None = None
    acoem_chapter: str = ""
    decided_from: object = None
    decided_to: object = None
    injured_from: object = None
    injured_to: object = None


@dataclass
class SearchResult:
    total: int
    hits: list  # (item_id, score or None) for the requested page
    facets: dict  # field -> [(value, count)] most common first
    parsed_query: object


class _Bits(DocIdSet):
    """A bitset as Whoosh's collectors want it: membership tests on the matched documents."""

    def __init__(self, bits):
        self.bytes = bits.to_bytes((bits.bit_length() + 7) // 8 or 1, "little")
        self.count = bits.bit_count()

    def __len__(self):
        return self.count

    def __bool__(self):
        return True  # Whoosh tests `if filter:`; an empty filter must still filter out everything

    def __contains__(self, docnum):
        index = docnum >> 3
        return index < len(self.bytes) and (self.bytes[index] >> (docnum & 7)) & 1


class _ReaderCache:
    """Bitsets, facet values, day indexes and date orders for one index reader; thrown away when
    the index changes."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.terms = {}
        self.answers = {}
        self.lock = threading.Lock()
        self.live = bits_of(self.reader.all_doc_ids())
        self._date_orders = {}
        self._day_indexes = {}
        self._values = {}

    def term(self, field_name, text):
        key = (field_name, text)
        bits = self.terms.get(key)
        if bits is None:
            bits = self.terms[key] = postings_bits(self.reader, field_name, text) & self.live
        return bits

    def query(self, whoosh_query):
        """Documents a query matches by Whoosh's own matcher (for nodes evaluate() does not know)."""
        return bits_of(whoosh_query.matcher(self.searcher).all_ids()) & self.live

    def matches(self, parsed):
        """Documents the parsed query matches; the last few queries' answers are kept."""
        bits = self.answers.get(parsed)
        if bits is None:
            try:
                bits = evaluate(self, parsed)
            except TooManyTerms as error:
                raise QueryError(str(error)) from None
            if len(self.answers) >= 256:
                self.answers.pop(next(iter(self.answers)))
            self.answers[parsed] = bits
        return bits

    def values(self, field_name):
        """The values a facet field holds, read from the lexicon once per reader."""
        values = self._values.get(field_name)
        if values is None:
            values = self._values[field_name] = [value.decode("utf-8") if isinstance(value, bytes) else value
                                                 for value in self.reader.lexicon(field_name)]
        return values

    def days(self, field_name):
        index = self._day_indexes.get(field_name)
        if index is None:
            index = self._day_indexes[field_name] = DayIndex(self.reader, field_name)
        return index

    def date_order(self, newest_first):
        """Every document by decision date (undated last either way), derived once per reader."""
        order = self._date_orders.get(newest_first)
        if order is None:
            order = self._date_orders[newest_first] = self.days("decision_day").order(newest_first)
        return order


_cache_lock = threading.Lock()
_cache = {}


def _reader_cache():
    """The cache for the newest reader of the configured index; refreshing is cheap when nothing changed."""
    ix = open_index()
    with _cache_lock:
        current = _cache.get(ix)
        if current is None or not current.searcher.up_to_date():
            searcher = current.searcher.refresh() if current else ix.searcher()
            if current is None or searcher is not current.searcher:
                current = _ReaderCache(searcher)
                _cache.clear()  # an older index's readers are no longer wanted
                _cache[ix] = current
        return current


def reset():
    with _cache_lock:
        _cache.clear()


def _any_of(cache, field_name, values):
    bits = 0
    for value in values:
        bits |= cache.term(field_name, value)
    return bits


def _date_range(cache, field_name, start, end):
    """Documents dated within [start, end]; an unknown date (0) is never within a range."""
    return cache.days(field_name).between(day_number(start) if start else 1, day_number(end) if end else None) \
        & cache.live


def _filter_bits(cache, filters, skip=None):
    """The AND of every active filter; `skip` leaves one field out (for its own facet counts)."""
    bits = cache.live
    for name in ("outcome", "treatment", "drug_class", "category", "necessity", "source", "specialty", "state"):
        values = getattr(filters, name)
        if values and name != skip:
            bits &= _any_of(cache, name, values)
    if filters.case_number:
        bits &= cache.term("case_number", filters.case_number.upper())
    if filters.page_from is not None:
        source = filters.page_source or ANY_SOURCE
        last = filters.page_to if filters.page_to is not None else filters.page_from
        bits &= _any_of(cache, "cited", [f"{source}:{page}" for page in range(filters.page_from, last + 1)])
    if filters.acoem_chapter:
        bits &= cache.term("cited", f"acoem:ch{filters.acoem_chapter}")
    if filters.decided_from or filters.decided_to:
        bits &= _date_range(cache, "decision_day", filters.decided_from, filters.decided_to)
    if filters.injured_from or filters.injured_to:
        bits &= _date_range(cache, "injury_day", filters.injured_from, filters.injured_to)
    return bits


def _facets(cache, filters, text_bits, all_filters, limits):
    """Counts per value of each facet field; a field's own filter is left out of its counts, so
    choosing one outcome still shows how many the other outcome has."""
    facets = {}
    for name in FACET_FIELDS:
        base = text_bits & (_filter_bits(cache, filters, skip=name) if getattr(filters, name) else all_filters)
        counts = []
        for value in cache.values(name):
            count = (base & cache.term(name, value)).bit_count()
            if count:
                counts.append((value, count))
        counts.sort(key=lambda pair: (-pair[1], pair[0]))
        facets[name] = counts[:limits.get(name, 50)]
    return facets


def _by_date(cache, bits, newest_first):
    wanted = _Bits(bits)
    return (docnum for docnum in cache.date_order(newest_first) if docnum in wanted)


def _relevance_order(cache, parsed, matched, stop):
    """(docnum, score) best first. Whoosh's BM25 where the postings to score are few; otherwise
    items whose request or treatment names a query word first, then the rest, newest first."""
    terms = leaves(parsed)
    work = sum(cache.reader.doc_frequency(term.fieldname, term.text) for term in terms)
    if work <= RANKING_POSTINGS_LIMIT and not expands(parsed):
        for hit in cache.searcher.search(without_phrases(parsed), limit=stop, filter=_Bits(matched)):
            yield hit.docnum, hit.score
        return
    named = 0
    for term in terms:
        for field_name in NAMING_FIELDS:
            named |= cache.term(field_name, term.text)
    for tier in (matched & named, matched & ~named):
        for docnum in _by_date(cache, tier, newest_first=True):
            yield docnum, None


def _ranked(cache, parsed, matched, sort, stop):
    """(item id, score) of the matched documents in the requested order, the first `stop` of them
    (all of them when stop is None), read lazily."""
    if not matched:
        return
    if parsed is not None and sort == RELEVANCE:
        ordered = _relevance_order(cache, parsed, matched, stop)
    else:
        ordered = ((docnum, None) for docnum in _by_date(cache, matched, newest_first=sort != OLDEST))
    for docnum, score in itertools.islice(ordered, stop):
        yield cache.searcher.stored_fields(docnum)["item_id"], score


def _matched(cache, text, filters):
    parsed = parse_query(text, cache.searcher.schema)
    text_bits = cache.matches(parsed) if parsed is not None else cache.live
    all_filters = _filter_bits(cache, filters)
    return parsed, text_bits, all_filters, text_bits & all_filters


def search(text, filters, sort=RELEVANCE, offset=0, limit=20, facet_limits=None):
    """One page of hits for the text and filters, with the total and facet counts."""
    cache = _reader_cache()
    with cache.lock:
        parsed, text_bits, all_filters, matched = _matched(cache, text, filters)
        facets = _facets(cache, filters, text_bits, all_filters, facet_limits or {})
    total = matched.bit_count()
    hits = []
    if total and offset < total:
        hits = list(itertools.islice(_ranked(cache, parsed, matched, sort, offset + limit), offset, None))
    return SearchResult(total=total, hits=hits, facets=facets, parsed_query=parsed)


def all_item_ids(text, filters, sort=RELEVANCE):
    """Every matching item id in order, produced lazily (for exports)."""
    cache = _reader_cache()
    with cache.lock:
        parsed, _, _, matched = _matched(cache, text, filters)
    for item_id, _ in _ranked(cache, parsed, matched, sort, None):
        yield int(item_id)


def warm():
    """Open the index and fill the facet bitsets and the date order, so a new worker's first
    search is as fast as its later ones."""
    search("", Filters(), limit=1)
    cache = _reader_cache()
    with cache.lock:
        cache.date_order(newest_first=True)
        cache.date_order(newest_first=False)
        cache.days("injury_day")
        for field_name, count in WARM_TERMS.items():
            for text in most_common_terms(cache.reader, field_name, count):
                cache.term(field_name, text)
