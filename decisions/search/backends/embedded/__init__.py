"""The embedded default backend: an index of memory-mapped segments on this machine's disk.

Nothing outside this package imports Whoosh. Whoosh analyses text (its stemming analyzer, in
`analysis`), marks passages (`highlight`) and is the reference matcher the oracle test holds
this engine to (`reference`). The index itself is this package's own (`segments`, `store`):
NumPy arrays in files every worker maps, so memory does not grow per worker with the archive.
Matching, facets and ordering run on bitsets and arrays (`view`, `evaluate`, `rank`).
"""

import contextlib
import functools
import itertools
import logging
import shutil
import threading

import numpy
from django.conf import settings

from decisions.processes import mapped
from decisions.search import fields as registry
from decisions.search.backends.base import Deadline, IndexHealth, SearchBackend
from decisions.search.backends.embedded import mending, rank, sharing, store, watching
from decisions.search.backends.embedded.building import SegmentBuilder
from decisions.search.backends.embedded.cache import BoundedCache
from decisions.search.backends.embedded.evaluate import Evaluator, text_fields, tokens_of
from decisions.search.backends.embedded.highlight import Highlighter
from decisions.search.backends.embedded.integrity import Damaged
from decisions.search.backends.embedded.view import IndexView, bits_to_flags, set_bits
from decisions.search.contract import (
    OVERTURNED,
    RELEVANCE,
    FacetCount,
    Hit,
    IndexUnavailable,
    Phrase,
    Prefix,
    SearchQuery,
    SearchResults,
    Term,
    Wildcard,
    leaves,
)
from decisions.search.documents import documents_for

logger = logging.getLogger(__name__)

HIGHLIGHT_EXPANSIONS = 50
# A rebuild builds a segment from this many letters at a time, in one process per core.
REBUILD_CHUNK_LETTERS = 4000
DOCUMENT_BATCH = 500  # letters whose documents are read in one go
OPEN_ATTEMPTS = 5


class EmbeddedBackend(SearchBackend):
    name = "embedded"
    capabilities = frozenset({"phrases", "slop", "prefix", "wildcard", "relevance"})

    def __init__(self):
        self.cache = BoundedCache(settings.SEARCH_CACHE_MB * 1024 * 1024)
        self._views = {}
        self._lock = threading.Lock()

    # Reading

    def _view(self):
        """The view of the live index: replaced when the index was rebuilt or written to, or when a
        file of a segment it maps changed (then that segment is left out, until its files change
        again: copied back from a shared index)."""
        live = store.store()
        with self._lock:
            resolved = self._resolved(live)
            view = self._views.get(live.directory)
            damaged, mended = self._changed(view) if view is not None else ([], False)
            if view is not None and _state(view.resolved) == _state(resolved) and not damaged and not mended:
                return view
            for attempt in range(OPEN_ATTEMPTS):
                fresh = self._fresh_view(resolved, view, damaged)
                if not fresh.excluded or attempt == OPEN_ATTEMPTS - 1:
                    break
                # A write may have removed what an older manifest named: look again before calling
                # a missing segment damaged.
                again = self._resolved(live, force=True)
                if _state(again) == _state(resolved):
                    break
                resolved, view, damaged = again, fresh, []
            for excluded in fresh.excluded:
                logger.error("search index segment %s left out: %s", excluded.name, excluded.problem)
            return fresh

    @staticmethod
    def _resolved(live, force=False):
        try:
            resolved = live.current(force)
        except Damaged as damage:
            raise IndexUnavailable(
                f"the search index cannot be read ({damage}); the worker is rebuilding it from the database"
            ) from None
        if resolved.outdated:
            raise IndexUnavailable(
                "the search index was built by an earlier version of this site; it is being rebuilt"
            )
        return resolved

    def _changed(self, view):
        """(names of the view's segments with a file changed since it was opened, whether a segment
        it left out has changed: copied again from a shared index, it may read sound now)."""
        changed = watching.watch().changed()
        if not changed:
            return [], False
        damaged = [
            segment.name
            for segment in view.segments
            if (changed is watching.EVERYTHING or segment.path in changed) and segment.problem()
        ]
        mended = any(
            changed is watching.EVERYTHING or folder in changed for folder in _excluded_folders(view)
        )
        return damaged, mended

    def _fresh_view(self, resolved, view, damaged):
        """A view of `resolved`, reusing the segments `view` opened but those `damaged`."""
        opened = {}
        if view is not None and view.index_name == resolved.name:
            opened = {segment.name: segment for segment in view.segments if segment.name not in damaged}
        fresh = IndexView(resolved, self.cache, opened)
        watching.watch().follow([segment.path for segment in fresh.segments] + _excluded_folders(fresh))
        self._views[store.store().directory] = fresh
        if view is not None and view is not fresh:
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
        facets = _Facets(view, text_bits, filter_bits)
        total = matched.bit_count()
        ranking = _Ranking(view, evaluator, query, matched, total, deadline)
        return SearchResults(
            total=total,
            facets={name: facets.counts(name, limit) for name, limit in query.facets},
            window=ranking.window,
        )

    def keyword_values(self, name):
        return list(self._view().values(name))

    def highlighter(self, text_query):
        """Marks the query's words; a prefix or wildcard marks the words it stands for in the index
        (none while no part of the index can be read: a letter is shown all the same)."""
        terms = set()
        for leaf in leaves(text_query):
            if isinstance(leaf, (Term, Phrase)) and (
                leaf.field is None or leaf.field in registry.TEXT_FIELDS
            ):
                terms.update(tokens_of((leaf.word,)) if isinstance(leaf, Term) else tokens_of(leaf.words))
            elif isinstance(leaf, (Prefix, Wildcard)):
                terms.update(self._expansions(leaf))
        return Highlighter(terms)

    def _expansions(self, leaf):
        try:
            evaluator = Evaluator(self._view(), Deadline(settings.SEARCH_TIME_BUDGET_SECONDS))
        except IndexUnavailable:
            return set()
        found = set()
        for field_name, _ in text_fields(leaf.field):
            found.update(itertools.islice(evaluator.expansions(field_name, leaf), HIGHLIGHT_EXPANSIONS))
        return found

    def indexed_ids(self):
        view = self._view()
        return view.column("item_id")[set_bits(view.live, view.size)].tolist()

    def outdated(self):
        try:
            return store.store().current(force=True).outdated
        except Damaged:
            return False  # not outdated but damaged: `health` says so, and the worker mends it

    def health(self):
        try:
            view = self._view()
        except IndexUnavailable as unavailable:
            return IndexHealth(problems=[str(unavailable)])
        health = _health(view.resolved, view.excluded)
        health.behind_since = sharing.behind_since(view.resolved)
        return health

    def inspect(self, thorough=False):
        """Every file looked at afresh (not through this process's view); thorough: every byte."""
        try:
            resolved = store.resolve(store.root())
        except Damaged as damage:
            return IndexHealth(problems=[f"the search index cannot be read: {damage}"])
        if resolved.outdated:
            return IndexHealth(problems=["the search index was built by an earlier version of this site"])
        return _health(resolved, mending.damaged_segments(resolved, thorough))

    def mend(self, thorough=False):
        """A shared index's damaged files are copied again from the database first; what that
        cannot mend is mended here, and the result published for every server."""
        directory = store.root()
        try:
            sharing.restore(directory, thorough)
        except Damaged as damage:
            logger.error("the database's copy of the search index could not mend it: %s", damage)
        mended = mending.mend(directory, thorough)
        if mended.actions and not mended.rebuild:
            sharing.share_local(directory)
        store.store().expire()
        return mended

    def catch_up(self):
        return sharing.catch_up(store.root())

    def mended(self):
        mending.forget_note(store.root())
        store.store().expire()

    def warm(self):
        """Map the index and run the landing page's search, so the first visitor's pages are in memory.
        A damaged or missing index must not stop a worker from starting: its pages say so."""
        facets = tuple((name, registry.FILTER_FIELDS[name].facet_limit) for name in registry.FACET_FIELDS)
        try:
            self.search(SearchQuery(facets=facets))[:20]
        except IndexUnavailable as unavailable:
            logger.error("search index not warmed: %s", unavailable)

    def release_pages(self):
        with self._lock:
            views = list(self._views.values())
        for view in views:
            view.release_pages()

    # Writing

    def index(self, determination_ids):
        ids = [int(pk) for pk in determination_ids]
        if not ids:
            return 0
        if self.outdated():
            raise RuntimeError(
                "the search index was built by an earlier version of this site; "
                "run `manage.py rebuild_index` (scripts/serve does so by itself)"
            )
        builder = SegmentBuilder()
        for document in documents_for(ids):
            builder.add(document)
        with _live_writer() as writer:
            writer.delete_where("determination_id", ids)
            writer.add(builder)
        return builder.count

    def remove(self, determination_ids):
        self._delete("determination_id", [int(pk) for pk in determination_ids])

    def remove_items(self, item_ids):
        self._delete("item_id", [int(pk) for pk in item_ids])

    def _delete(self, column, values):
        if values:
            with _live_writer() as writer:
                writer.delete_where(column, values)

    def rebuild(self, determination_ids, progress=None):
        """Build a fresh index in a new directory, then switch the pointer to it; searches go on
        meanwhile. Segments are built in IMR_IMPORT_PROCESSES processes and merged in this one
        straight into segments of LARGEST_MERGE documents: each document is written twice, and the
        index has as few segments as a merge's bound allows (each costs every search a little)."""
        directory = store.root()
        directory.mkdir(parents=True, exist_ok=True)
        with store.rebuilding(directory):
            return self._rebuild(directory, list(determination_ids), progress)

    def _rebuild(self, directory, ids, progress):
        live = store.store()
        name = store.new_index(directory)
        path = directory / name
        chunks = [
            ids[start : start + REBUILD_CHUNK_LETTERS] for start in range(0, len(ids), REBUILD_CHUNK_LETTERS)
        ]
        built = _built_segments(chunks, path / store.INCOMING, settings.IMR_IMPORT_PROCESSES)
        count = 0
        try:
            for group, docs in _groups_up_to(_reported(built, progress), store.LARGEST_MERGE):
                with live.writer(path) as writer:
                    writer.adopt(group, docs)
                count += docs
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        with sharing.writing(directory):
            store.switch_to(directory, name)
            sharing.publish(path)
        live.expire()
        return count

    def clear(self):
        directory = store.root()
        with self._lock:
            view = self._views.pop(directory, None)
            if view is not None:
                view.close()
        store.forget()
        shutil.rmtree(directory, ignore_errors=True)


def _excluded_folders(view):
    return [view.resolved.path / "segments" / part.name for part in view.excluded]


@contextlib.contextmanager
def _live_writer():
    """A writer on the live index; published for every server when the index is shared."""
    live = store.store()
    with sharing.writing(live.directory):
        with live.writer() as writer:
            yield writer
        sharing.publish(live.path(force=True))


def _state(resolved):
    """What identifies the index a view reads: a change in it means another view."""
    return resolved.name, resolved.manifest["generation"], resolved.stale, tuple(resolved.problems)


def _built_segments(chunks, incoming, processes):
    """(segment directory, documents) of each chunk of letters, built in `processes` processes."""
    build = functools.partial(_build_segment, incoming=incoming)
    yield from mapped(build, chunks, processes if len(chunks) > 1 else 1)


def _reported(built_segments, progress):
    for built, docs in built_segments:
        yield built, docs
        if progress:
            progress(docs)


def _groups_up_to(built_segments, limit):
    """The built segments in consecutive groups of at most `limit` documents (a larger one alone),
    with the documents of each group."""
    group, count = [], 0
    for built, docs in built_segments:
        if group and count + docs > limit:
            yield group, count
            group, count = [], 0
        group.append(built)
        count += docs
    if group:
        yield group, count


def _build_segment(letter_ids, incoming):
    builder = SegmentBuilder()
    for start in range(0, len(letter_ids), DOCUMENT_BATCH):
        for document in documents_for(letter_ids[start : start + DOCUMENT_BATCH]):
            builder.add(document)
    built = incoming / store.unique_name()
    builder.write(built)
    return built, builder.count


def _health(resolved, excluded):
    """IndexHealth of an index as resolved, with the segments left out of it."""
    note = resolved.manifest.get("notes", {}).get("mending") or {}
    problems = list(resolved.problems) + [f"segment {part.name}: {part.problem}" for part in excluded]
    if note:
        problems.append("letters a mend left out are not all written again yet")
    return IndexHealth(
        problems=problems,
        unsearchable=sum(part.items for part in excluded) + note.get("items", 0),
        stale_since=resolved.manifest.get("written_at", "") if resolved.stale else note.get("since", ""),
    )


class _Facets:
    """Counts per value of keyword fields for one search, and how many of them were overturned; a
    field's own filter is left out, so choosing one value still shows how many items the others have."""

    def __init__(self, view, text_bits, filter_bits):
        self.view, self.text_bits, self.filter_bits = view, text_bits, filter_bits
        self._selections = {}

    def _selections_leaving_out(self, name):
        """(the matching documents, those of them overturned) with every filter but `name`'s."""
        if name not in self._selections:
            base = self.text_bits
            for other, bits in self.filter_bits.items():
                if other != name:
                    base &= bits
            overturned = base & self.view.bits("outcome", OVERTURNED)
            matching = self.view.selection(base)
            # Counted once when every match was overturned (a filter of "overturned"), not at all
            # when none was (a filter of "upheld").
            if overturned == base:
                self._selections[name] = (matching, matching)
            else:
                self._selections[name] = (matching, self.view.selection(overturned) if overturned else None)
        return self._selections[name]

    def counts(self, name, limit):
        """The values held, most first (then alphabetical: `values` are sorted), `limit` of them."""
        matching, overturned = self._selections_leaving_out(name if name in self.filter_bits else None)
        counts = self.view.term_counts(name, matching)
        held = numpy.flatnonzero(counts)
        shown = held[numpy.argsort(-counts[held], kind="stable")][: limit or None].tolist()
        if overturned is matching:
            overturned = counts
        elif overturned is not None and shown:
            overturned = self.view.term_counts(name, overturned)
        else:
            overturned = None
        values = self.view.values(name)
        return [
            FacetCount(values[at], int(counts[at]), 0 if overturned is None else int(overturned[at]))
            for at in shown
        ]


class _Ranking:
    """The order of one search's matches: relevance scored once, each window reading the first
    `stop` documents of the one total order."""

    def __init__(self, view, evaluator, query, matched, total, deadline):
        self.view, self.evaluator, self.query, self.deadline = view, evaluator, query, deadline
        self.matched, self.total = matched, total

    @functools.cached_property
    def flags(self):
        return bits_to_flags(self.matched, self.view.size)

    @functools.cached_property
    def every_score(self):
        return rank.scores(self.view, self.evaluator, self.query.text, self.flags)

    def _relevance(self, stop):
        """RowScores of the rows to order (every match, or the champions), or None for date order."""
        if self.query.text is None or self.query.sort != RELEVANCE:
            return None
        champions = rank.champion_scores(self.view, self.query.text, self.flags, self.total, stop)
        return self.every_score if champions is None else champions

    def window(self, start, stop):
        self.deadline.check()
        relevance = self._relevance(stop)
        docnums = rank.ordered(self.view, self.flags, self.query.sort, relevance, stop)[start:stop]
        item_ids = self.view.column("item_id")[docnums]
        scores = relevance[docnums] if relevance is not None else [None] * len(docnums)
        return [
            Hit(int(item_id), None if score is None else round(float(score), 4))
            for item_id, score in zip(item_ids, scores, strict=True)
        ]
