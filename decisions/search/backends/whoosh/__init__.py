"""The embedded default backend: a Whoosh index on this machine's disk.

Nothing outside this package imports Whoosh. Matching, facets and ordering run on bitsets and
NumPy arrays read from the index (`view`, `evaluate`, `rank`); Whoosh stores the postings,
analyses text, and marks passages.
"""

import functools
import itertools
import os
import shutil
import threading

from django.conf import settings
from whoosh.query import Or as WhooshOr
from whoosh.query import Term as WhooshTerm

from decisions.search import fields as registry
from decisions.search.backends.base import Deadline, SearchBackend
from decisions.search.backends.whoosh import rank, store
from decisions.search.backends.whoosh.cache import BoundedCache
from decisions.search.backends.whoosh.evaluate import Evaluator, text_fields, tokens_of
from decisions.search.backends.whoosh.highlight import Highlighter
from decisions.search.backends.whoosh.schema import whoosh_document
from decisions.search.backends.whoosh.view import IndexView, bits_to_flags, set_bits
from decisions.search.contract import (
    OVERTURNED,
    RELEVANCE,
    FacetCount,
    Hit,
    Phrase,
    Prefix,
    SearchResults,
    Term,
    Wildcard,
    leaves,
)
from decisions.search.documents import documents_for

DELETE_BATCH = 500
# From this many letters, one write analyses documents in one process per CPU core, each writing
# a segment of its own (1.4x the letters per second of an import job on 2 cores).
PARALLEL_WRITE_LETTERS = 200
HIGHLIGHT_EXPANSIONS = 50
# Warm-up reads the postings of the words found in the most items, per field.
WARM_TERMS = {"rationale": 40, "request": 30, "treatment_words": 20}


class WhooshBackend(SearchBackend):
    name = "whoosh"
    capabilities = frozenset({"phrases", "slop", "prefix", "wildcard", "relevance"})

    def __init__(self):
        self.cache = BoundedCache(settings.SEARCH_CACHE_MB * 1024 * 1024)
        self._views = {}
        self._lock = threading.Lock()

    # Reading

    def _view(self):
        """The view of the live index, replaced when the index was rebuilt or written to."""
        live = store.store()
        with self._lock:
            checked_before = live.checked
            name, ix = live.live()
            view = self._views.get(live.directory)
            if (
                view is not None
                and view.index_name == name
                and (live.checked == checked_before or view.searcher.up_to_date())
            ):
                return view
            if view is not None and view.index_name == name:
                searcher = view.searcher.refresh()
            else:
                searcher = ix.searcher()
            fresh = IndexView(name, searcher, self.cache)
            self._views[live.directory] = fresh
            if view is not None:
                view.close()
            return fresh

    def _match(self, view, query, deadline):
        """(matched bits, bits of the text alone, bits of each filter, evaluator)."""
        evaluator = Evaluator(view, deadline)
        text_bits = evaluator.bits(query.text) if query.text is not None else view.live
        filter_bits = {name: evaluator.filter_bits(name, value) for name, value in query.filters}
        matched = text_bits
        for bits in filter_bits.values():
            matched &= bits
        return matched, text_bits, filter_bits, evaluator

    def search(self, query):
        view = self._view()
        deadline = Deadline(settings.SEARCH_TIME_BUDGET_SECONDS)
        matched, text_bits, filter_bits, evaluator = self._match(view, query, deadline)
        facets = {
            name: self._facet(view, evaluator, name, limit, text_bits, filter_bits)
            for name, limit in query.facets
        }
        ranking = _Ranking(view, evaluator, query, matched, deadline)
        return SearchResults(total=matched.bit_count(), facets=facets, window=ranking.window)

    def _facet(self, view, evaluator, name, limit, text_bits, filter_bits):
        """Counts per value, and how many of them were overturned; the field's own filter is left out,
        so choosing one value still shows how many items the others have."""
        base = text_bits
        for other, bits in filter_bits.items():
            if other != name:
                base &= bits
        overturned = view.bits("outcome", OVERTURNED)
        counts = []
        for value in view.values(name):
            holding = base & view.bits(name, value)
            if holding:
                counts.append(FacetCount(value, holding.bit_count(), (holding & overturned).bit_count()))
        counts.sort(key=lambda facet: (-facet.count, facet.value))
        return counts[:limit] if limit else counts

    def keyword_values(self, name):
        return list(self._view().values(name))

    def highlighter(self, text_query):
        view = self._view()
        evaluator = Evaluator(view, Deadline(settings.SEARCH_TIME_BUDGET_SECONDS))
        terms = set()
        for leaf in leaves(text_query):
            if isinstance(leaf, (Term, Phrase)) and (
                leaf.field is None or leaf.field in registry.TEXT_FIELDS
            ):
                terms.update(tokens_of((leaf.word,)) if isinstance(leaf, Term) else tokens_of(leaf.words))
            elif isinstance(leaf, (Prefix, Wildcard)):
                for field_name, _ in text_fields(leaf.field):
                    terms.update(
                        itertools.islice(evaluator.expansions(field_name, leaf), HIGHLIGHT_EXPANSIONS)
                    )
        return Highlighter(terms)

    def indexed_ids(self):
        view = self._view()
        return view.column("item_id")[set_bits(view.live, view.size)].tolist()

    def outdated(self):
        live = store.store()
        name, _ = live.live(force=True)
        return store.is_outdated(live.directory, name)

    def warm(self):
        view = self._view()
        for field_name, count in WARM_TERMS.items():
            frequent = view.reader.most_frequent_terms(field_name, count)
            for _, text in frequent:
                view.postings(field_name, text.decode("utf-8") if isinstance(text, bytes) else text)
        rank.ordered(view, bits_to_flags(view.live, view.size), "newest", None, 1)
        for name in registry.FACET_FIELDS:
            for value in view.values(name):
                view.bits(name, value)
        view.column("item_id")
        for name in registry.DATE_FIELDS:
            view.column(name)
        for name in registry.DEFAULT_TEXT_FIELDS:
            view.lengths(name)

    # Writing

    def index(self, determination_ids):
        ids = [str(pk) for pk in determination_ids]
        if not ids:
            return 0
        if self.outdated():
            raise RuntimeError(
                "the search index was built by an earlier version of this site; "
                "run `manage.py rebuild_index` (scripts/serve does so by itself)"
            )
        processes = (os.cpu_count() or 1) if len(ids) >= PARALLEL_WRITE_LETTERS else 1
        return self._write(
            lambda writer: _replace_letters(writer, ids, determination_ids),
            procs=processes,
            multisegment=processes > 1,
        )

    def remove(self, determination_ids):
        ids = [str(pk) for pk in determination_ids]
        if ids:
            self._write(lambda writer: _delete_where(writer, "determination_id", ids))

    def remove_items(self, item_ids):
        ids = list(item_ids)
        if ids:
            self._write(lambda writer: _delete_where(writer, "item_id", ids))

    def _write(self, change, **writer_options):
        """Run change(writer) under the index's write lock and commit it; nothing on failure."""
        live = store.store()
        writer = live.writer(**writer_options)
        try:
            result = change(writer)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        live.expire()
        return result

    def rebuild(self, determination_ids, progress=None, batch=500, processes=None):
        """Build a fresh index in a new directory, then switch the pointer to it; searches go on
        meanwhile. Analysis runs in `processes` worker processes (default: one per CPU core)."""
        directory = store.root()
        name, ix = store.new_index(directory)
        processes = processes or os.cpu_count() or 1
        writer = ix.writer(limitmb=256, procs=processes, multisegment=processes > 1)
        count = 0
        ids = list(determination_ids)
        try:
            for start in range(0, len(ids), batch):
                for document in documents_for(ids[start : start + batch]):
                    writer.add_document(**whoosh_document(document))
                    count += 1
                    if progress:
                        progress(1)
        except BaseException:
            writer.cancel()
            shutil.rmtree(directory / name, ignore_errors=True)
            raise
        writer.commit()
        store.switch_to(directory, name)
        store.store().expire()
        return count

    def clear(self):
        directory = store.root()
        with self._lock:
            view = self._views.pop(directory, None)
            if view is not None:
                view.close()
        store.forget()
        shutil.rmtree(directory, ignore_errors=True)


def _replace_letters(writer, ids, determination_ids):
    """Delete the letters' old documents, if any, and add their current ones. Under the write lock,
    so a letter present nowhere (a new one, the common case) costs no searcher at all."""
    reader = writer.reader()
    try:
        present = [pk for pk in ids if ("determination_id", pk) in reader]
    finally:
        reader.close()
    _delete_where(writer, "determination_id", present)
    count = 0
    for document in documents_for(determination_ids):
        writer.add_document(**whoosh_document(document))
        count += 1
    return count


def _delete_where(writer, field_name, values):
    """Delete every document whose field holds one of the values, one query per DELETE_BATCH values
    (Whoosh's delete_by_term opened a searcher per value)."""
    for start in range(0, len(values), DELETE_BATCH):
        batch = values[start : start + DELETE_BATCH]
        writer.delete_by_query(WhooshOr([WhooshTerm(field_name, value) for value in batch]))


class _Ranking:
    """The order of one search's matches: relevance scored once, each window reading the first
    `stop` documents of the one total order."""

    def __init__(self, view, evaluator, query, matched, deadline):
        self.view, self.evaluator, self.query, self.matched, self.deadline = (
            view,
            evaluator,
            query,
            matched,
            deadline,
        )

    @functools.cached_property
    def flags(self):
        return bits_to_flags(self.matched, self.view.size)

    @functools.cached_property
    def relevance(self):
        if self.query.text is None or self.query.sort != RELEVANCE:
            return None
        return rank.scores(self.view, self.evaluator, self.query.text, self.flags)

    def window(self, start, stop):
        self.deadline.check()
        docnums = rank.ordered(self.view, self.flags, self.query.sort, self.relevance, stop)[start:stop]
        item_ids = self.view.column("item_id")[docnums]
        scores = self.relevance[docnums] if self.relevance is not None else [None] * len(docnums)
        return [
            Hit(int(item_id), None if score is None else round(float(score), 4))
            for item_id, score in zip(item_ids, scores, strict=True)
        ]
