"""The search backend on PostgreSQL full-text search: every web server reads the same database.

Matching is SQL: each text field has its own tsvector (so a phrase never runs across fields),
phrases are phraseto_tsquery, sloppy phrases the OR of their allowed distances (<1>, <2>, ...),
prefixes `word:*`; filters are array overlaps and date ranges; the total and the facets are one
statement of GROUP BY counts over the matched rows' arrays, read once; ranking is ts_rank_cd;
passages are ts_headline.
"""

import functools
import itertools

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, router, transaction
from django.db.models import F, Q
from django.db.models.sql import Query
from django.utils.html import escape
from django.utils.safestring import mark_safe

from decisions.search import fields as registry
from decisions.search.backends.base import SearchBackend
from decisions.search.backends.postgres.models import TALLIED_COLUMNS, ItemDocument
from decisions.search.contract import (
    NEWEST,
    OLDEST,
    OVERTURNED,
    And,
    AnyOf,
    CitedPages,
    DateRange,
    FacetCount,
    Hit,
    ItemIds,
    Match,
    NoDate,
    Not,
    Or,
    Phrase,
    Prefix,
    QueryError,
    SearchResults,
    SearchTimeout,
    Term,
    leaves,
)
from decisions.search.documents import documents_for

CONFIG = "imr"
MAX_SLOP_ALTERNATIVES = 64
RANK_ALL_UP_TO = 20_000  # matches up to which relevance ranks every match (as the embedded backend)
CANDIDATES = 1_000  # beyond: how many matches naming the words in their request or treatment are ranked
BATCH = 500
START, STOP = "\x02", "\x03"  # ts_headline's marks, replaced by <mark> once the text is escaped
PASSAGE_OPTIONS = (
    f"StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=45, MinWords=20, FragmentDelimiter=\x04"
)
WHOLE_OPTIONS = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"

_INSERT = f"""
INSERT INTO search_postgres_itemdocument (item_id, determination_id,
    {", ".join(registry.TEXT_FIELDS)}, document,
    {", ".join(name for name in registry.FILTER_FIELDS if name not in registry.DATE_FIELDS)},
    {", ".join(registry.DATE_FIELDS)})
VALUES (%s, %s, {", ".join(f"to_tsvector('{CONFIG}', %s)" for _ in registry.TEXT_FIELDS)},
    setweight(to_tsvector('{CONFIG}', %s), 'A') || setweight(to_tsvector('{CONFIG}', %s), 'C'),
    {", ".join("%s" for name in registry.FILTER_FIELDS if name not in registry.DATE_FIELDS)},
    {", ".join("%s" for _ in registry.DATE_FIELDS)})
"""


def _insert(cursor, determination_ids):
    """Insert the documents of these letters' items, BATCH letters per statement; returns how many."""
    count = 0
    for start in range(0, len(determination_ids), BATCH):
        rows = [_row(document) for document in documents_for(determination_ids[start : start + BATCH])]
        cursor.executemany(_INSERT, rows)
        count += len(rows)
    return count


_TALLY = f"""
INSERT INTO search_postgres_facettotal (name, value, count, overturned)
SELECT tally.name, tally.value, %s * count(*), %s * count(*) FILTER (WHERE %s = ANY(d.outcome))
FROM search_postgres_itemdocument d, LATERAL (
    {" UNION ALL ".join(f"SELECT '{name}', unnest(d.{name})" for name in TALLIED_COLUMNS)}
    UNION ALL SELECT '', ''
) AS tally (name, value)
WHERE {{where}}
GROUP BY tally.name, tally.value ORDER BY tally.name, tally.value
ON CONFLICT (name, value) DO UPDATE SET count = search_postgres_facettotal.count + EXCLUDED.count,
    overturned = search_postgres_facettotal.overturned + EXCLUDED.overturned
"""


def _tally(cursor, sign, where, params):
    """Add (sign 1) or take away (-1) the values of the rows `where` picks to FacetTotal, in the
    order of its key, so that two writers wait for each other rather than deadlock."""
    cursor.execute(_TALLY.format(where=where), [sign, sign, OVERTURNED, *params])
    if sign < 0:
        cursor.execute("DELETE FROM search_postgres_facettotal WHERE count = 0")


def _delete(cursor, column, values):
    """Drop the rows whose column is one of the values, and their part of FacetTotal."""
    _tally(cursor, -1, f"d.{column} = ANY(%s)", [values])
    cursor.execute(f"DELETE FROM search_postgres_itemdocument WHERE {column} = ANY(%s)", [values])


def _row(document):
    texts = [document.get(name) or "" for name in registry.TEXT_FIELDS]
    naming = f"{document.get('request') or ''} {document.get('treatment_words') or ''}"
    arrays = [
        registry.stored_values(name, document)
        for name in registry.FILTER_FIELDS
        if name not in registry.DATE_FIELDS
    ]
    return [
        document["item_id"],
        document["determination_id"],
        *texts,
        naming,
        document.get("rationale") or "",
        *arrays,
        *[document.get(name) for name in registry.DATE_FIELDS],
    ]


def _quoted(word):
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _sloppy(words, slop):
    """`"a b c"~n` as the OR of every allowed spacing: a <1> b <1> c | a <1> b <2> c | ..."""
    gaps = len(words) - 1
    if slop**gaps > MAX_SLOP_ALTERNATIVES:
        raise QueryError(
            f"a phrase of {len(words)} words with ~{slop} is more than this search engine can take; "
            f"use fewer words or a smaller ~ number"
        )
    alternatives = []
    for distances in itertools.product(range(1, slop + 1), repeat=gaps):
        parts = [_quoted(words[0])]
        for distance, word in zip(distances, words[1:], strict=True):
            parts += [f"<{distance}>", _quoted(word)]
        alternatives.append("(" + " ".join(parts) + ")")
    return SearchQuery(" | ".join(alternatives), search_type="raw", config=CONFIG)


def text_query(leaf):
    """The tsquery of one text leaf (a word, a phrase or a prefix)."""
    if isinstance(leaf, Term):
        return SearchQuery(leaf.word, search_type="phrase", config=CONFIG)
    if isinstance(leaf, Phrase):
        if leaf.slop > 1:
            return _sloppy(leaf.words, leaf.slop)
        return SearchQuery(" ".join(leaf.words), search_type="phrase", config=CONFIG)
    if isinstance(leaf, Prefix):
        return SearchQuery(f"{_quoted(leaf.prefix)}:*", search_type="raw", config=CONFIG)
    raise QueryError("wildcards with ? or * inside a word are not supported here; use a prefix like opio*")


def _reading():
    """The connection searches read through: a replica's when the request may read from one
    (decisions/replicas.py), else the primary's."""
    return connections[router.db_for_read(ItemDocument) or DEFAULT_DB_ALIAS]


class _Compiler:
    def __init__(self, db):
        self.db = db
        self._case_values = {}

    def where(self, node):
        if isinstance(node, And):
            return _all(self.where(child) for child in node.children)
        if isinstance(node, Or):
            return _any(self.where(child) for child in node.children)
        if isinstance(node, Not):
            return ~self.where(node.child)
        if isinstance(node, Match):
            return self.keyword(node.field, [node.value])
        tsquery = text_query(node)
        fields = [node.field] if node.field else registry.DEFAULT_TEXT_FIELDS
        return _any(Q(**{field: tsquery}) for field in fields)

    def keyword(self, name, values):
        stored = [registry.normalize_keyword(name, value) for value in values]
        if registry.FILTER_FIELDS[name].case_sensitive:
            stored = [
                known for known in self._known(name) if known.lower() in {value.lower() for value in stored}
            ]
        return Q(**{f"{name}__overlap": stored})

    def _known(self, name):
        if name not in self._case_values:
            with self.db.cursor() as cursor:
                cursor.execute(f"SELECT DISTINCT unnest({name}) FROM search_postgres_itemdocument")
                self._case_values[name] = [value for (value,) in cursor.fetchall()]
        return self._case_values[name]

    def filter(self, name, value):
        if isinstance(value, AnyOf):
            return self.keyword(name, value.values)
        if isinstance(value, ItemIds):
            return Q(item_id__in=list(value.values))
        if isinstance(value, CitedPages):
            return Q(
                cited__overlap=[
                    registry.cited_term(value.source, page) for page in range(value.first, value.last + 1)
                ]
            )
        if isinstance(value, DateRange):
            condition = Q(**{f"{name}__isnull": False})
            if value.start:
                condition &= Q(**{f"{name}__gte": value.start})
            if value.end:
                condition &= Q(**{f"{name}__lte": value.end})
            return condition | Q(**{f"{name}__isnull": True}) if value.undated else condition
        if isinstance(value, NoDate):
            return Q(**{f"{name}__isnull": True})
        raise TypeError(f"unknown filter value {value!r}")


def _all(conditions):
    result = Q()
    for condition in conditions:
        result &= condition
    return result


def _any(conditions):
    conditions = list(conditions)
    result = conditions[0]
    for condition in conditions[1:]:
        result |= condition
    return result


def _rank_query(text):
    queries = [text_query(leaf) for leaf in leaves(text) if not isinstance(leaf, Match)]
    if not queries:
        return None
    combined = queries[0]
    for query in queries[1:]:
        combined |= query
    return combined


def _timed(db, function):
    """Run database work under the search time budget, with statement_timeout and no JIT for this
    transaction (or savepoint) only: compiling a search's plan cost more than it saved (1.1 of 2.4 s
    for the facets of `pain` on 10,000 letters). When a statement is cancelled the block rolls
    back, and the rollback restores both; after success they are put back by hand, since a released
    savepoint would keep them for the rest of the transaction around it."""
    milliseconds = max(1, int(settings.SEARCH_TIME_BUDGET_SECONDS * 1000))
    settings_sql = "SELECT set_config('statement_timeout', %s, true), set_config('jit', %s, true)"
    try:
        with transaction.atomic(using=db.alias), db.cursor() as cursor:
            cursor.execute("SELECT current_setting('statement_timeout'), current_setting('jit')")
            before = cursor.fetchone()
            cursor.execute(settings_sql, [str(milliseconds), "off"])
            result = function()
            cursor.execute(settings_sql, list(before))
            return result
    except OperationalError as error:
        if "statement timeout" in str(error):
            raise SearchTimeout(
                f"this search took longer than {settings.SEARCH_TIME_BUDGET_SECONDS:g} seconds and "
                f"was stopped; make it narrower with a phrase, another word or a filter"
            ) from None
        raise


class PostgresBackend(SearchBackend):
    name = "postgres"
    capabilities = frozenset({"phrases", "slop", "prefix", "relevance"})

    def _matching(self, query, compiler, skip=None):
        rows = ItemDocument.objects.using(compiler.db.alias)
        if query.text is not None:
            rows = rows.filter(compiler.where(query.text))
        for name, value in query.filters:
            if name != skip:
                rows = rows.filter(compiler.filter(name, value))
        return rows

    def search(self, query):
        compiler = _Compiler(_reading())

        total, facets = _timed(compiler.db, lambda: self._counts(query, compiler))
        window = self._window(query, compiler, total)
        return SearchResults(
            total=total,
            facets=facets,
            window=lambda start, stop: _timed(compiler.db, lambda: window(start, stop)),
        )

    def _window(self, query, compiler, total):
        """window(start, stop) -> [Hit] in the one order every page is a window on. By relevance, up
        to RANK_ALL_UP_TO matches every match is ranked; beyond, ranking them all would read every
        match's text, so the newest CANDIDATES matches naming the words in their request or
        treatment are ranked, and the other matches follow them newest first."""
        rows = self._matching(query, compiler)
        by_date = [
            F("decided").asc(nulls_last=True) if query.sort == OLDEST else F("decided").desc(nulls_last=True)
        ]
        rank_query = (
            _rank_query(query.text) if query.text is not None and query.sort not in (NEWEST, OLDEST) else None
        )
        if rank_query is None:
            ordered = rows.order_by(*by_date, "item_id").values_list("item_id", flat=True)
            return lambda start, stop: [Hit(item_id, None) for item_id in ordered[start:stop]]
        ranked = rows.annotate(rank=SearchRank(F("document"), rank_query, cover_density=True))
        ranked = ranked.order_by("-rank", *by_date, "item_id").values_list("item_id", "rank")
        if total <= RANK_ALL_UP_TO:
            return lambda start, stop: [Hit(item_id, round(rank, 4)) for item_id, rank in ranked[start:stop]]
        naming = rows.filter(Q(request=rank_query) | Q(treatment_words=rank_query))
        candidates = naming.order_by(*by_date, "item_id").values("item_id")[:CANDIDATES]

        @functools.cache
        def first():  # the ranked candidates, read by the first window
            return [Hit(item_id, round(rank, 4)) for item_id, rank in ranked.filter(item_id__in=candidates)]

        def window(start, stop):
            hits, ranked_count = first()[start:stop], len(first())
            if stop > ranked_count:
                rest = rows.exclude(item_id__in=[hit.item_id for hit in first()]).order_by(
                    *by_date, "item_id"
                )
                rest_ids = rest.values_list("item_id", flat=True)[
                    max(start - ranked_count, 0) : stop - ranked_count
                ]
                hits += [Hit(item_id, None) for item_id in rest_ids]
            return hits

        return window

    def _counts(self, query, compiler):
        """The total, and counts per value of every facet with how many of them were overturned, in
        one statement. A set of rows with no words and no filter (a search without either, or a
        filtered field's own facet when that filter is the only one) is read from FacetTotal.
        Otherwise the matched rows are read once into a set holding the arrays the facets count (a
        facet whose own field is filtered gets its own set, with that filter left out), and each
        facet is a GROUP BY over that set, never a join back to the table."""
        filtered = {name for name, _ in query.filters}
        bases = {None: ["outcome"]}  # the filter a set leaves out -> the columns it holds
        for name, _ in query.facets:
            columns = bases.setdefault(name if name in filtered else None, ["outcome"])
            columns += [name] if name not in columns else []
        tallied = {
            skip
            for skip, columns in bases.items()
            if query.text is None and filtered <= {skip} and set(columns) <= set(TALLIED_COLUMNS)
        }
        if not query.facets and None not in tallied:
            return self._matching(query, compiler).count(), {}
        aliases, with_parts, params = {}, [], []
        for skip, columns in bases.items():
            if skip not in tallied:
                aliases[skip] = f"m{len(aliases)}"
                sql, base_params = (
                    self._matching(query, compiler, skip=skip).values(*columns).query.sql_with_params()
                )
                with_parts.append(f"{aliases[skip]} AS MATERIALIZED ({sql})")
                params += base_params
        from_totals = [name for name, _ in query.facets if (name if name in filtered else None) in tallied]
        selects = [
            "SELECT name, value, count, overturned FROM search_postgres_facettotal WHERE name = ANY(%s)"
        ]
        params.append(from_totals + ([""] if None in tallied else []))
        if None not in tallied:
            selects.append(f"SELECT '', '', count(*), 0 FROM {aliases[None]}")
        for name, _ in query.facets:
            alias = aliases.get(name if name in filtered else None)
            if alias:
                selects.append(
                    f"SELECT %s, value, count(*), count(*) FILTER (WHERE %s = ANY({alias}.outcome)) "
                    f"FROM {alias}, unnest({alias}.{name}) value GROUP BY value"
                )
                params += [name, OVERTURNED]
        with compiler.db.cursor() as cursor:
            cursor.execute(
                (f"WITH {', '.join(with_parts)} " if with_parts else "") + " UNION ALL ".join(selects), params
            )
            rows = cursor.fetchall()
        facets = {name: [] for name, _ in query.facets}
        total = 0
        for name, value, count, overturned in rows:
            if name == "":
                total = count
            else:
                facets[name].append(FacetCount(value, count, overturned))
        limits = dict(query.facets)
        for name, counts in facets.items():
            counts.sort(key=lambda facet: (-facet.count, facet.value))
            del counts[limits[name] or len(counts) :]
        return total, facets

    def highlighter(self, text_query):
        return _Highlighter(_rank_query(text_query) if text_query is not None else None)

    def keyword_values(self, name):
        if name not in registry.FILTER_FIELDS or registry.FILTER_FIELDS[name].kind == registry.DATE:
            raise ValueError(f"{name} is not a keyword field")
        with _reading().cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT unnest({name}) FROM search_postgres_itemdocument")
            return [value for (value,) in cursor.fetchall()]

    def indexed_ids(self):
        return list(ItemDocument.objects.values_list("item_id", flat=True))

    def index(self, determination_ids):
        ids = list(determination_ids)
        with transaction.atomic(), connection.cursor() as cursor:
            _delete(cursor, "determination_id", ids)
            count = _insert(cursor, ids)
            _tally(cursor, 1, "d.determination_id = ANY(%s)", [ids])
            return count

    def remove(self, determination_ids):
        with transaction.atomic(), connection.cursor() as cursor:
            _delete(cursor, "determination_id", list(determination_ids))

    def remove_items(self, item_ids):
        with transaction.atomic(), connection.cursor() as cursor:
            _delete(cursor, "item_id", list(item_ids))

    def rebuild(self, determination_ids, progress=None):
        """Replace every row in one transaction: searches see the old rows until it commits."""
        ids = list(determination_ids)
        count = 0
        with transaction.atomic():
            self.clear()
            for start in range(0, len(ids), BATCH):
                with connection.cursor() as cursor:
                    added = _insert(cursor, ids[start : start + BATCH])
                count += added
                if progress:
                    progress(added)
            with connection.cursor() as cursor:
                _tally(cursor, 1, "TRUE", [])
                # plans from the new rows' statistics, not the old ones'
                cursor.execute("ANALYZE search_postgres_itemdocument, search_postgres_facettotal")
        return count

    def clear(self):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_postgres_itemdocument")
            cursor.execute("DELETE FROM search_postgres_facettotal")


class _Highlighter:
    """ts_headline with the query's words; the text is escaped around the marks it places."""

    def __init__(self, query):
        self.query = query
        self.db = _reading()
        if query is not None:
            sql_query = Query(ItemDocument)
            self.tsquery_sql, self.tsquery_params = query.resolve_expression(sql_query).as_sql(
                sql_query.get_compiler(connection=self.db), self.db
            )

    def _headline(self, text, options):
        with self.db.cursor() as cursor:
            cursor.execute(
                f"SELECT ts_headline(%s, %s, {self.tsquery_sql}, %s)",
                [CONFIG, text, *self.tsquery_params, options],
            )
            return cursor.fetchone()[0]

    def _html(self, marked):
        return escape(marked).replace(START, '<mark class="match term0">').replace(STOP, "</mark>")

    def passage(self, text, fallback_chars=280):
        if text and self.query is not None:
            marked = self._headline(text, PASSAGE_OPTIONS)
            if START in marked:
                fragments = [self._html(fragment.strip()) for fragment in marked.split("\x04")]
                return mark_safe("…" + " … ".join(fragments) + "…")
        opening = (text or "")[:fallback_chars]
        return mark_safe(escape(opening) + ("…" if len(text or "") > fallback_chars else ""))

    def marked(self, text):
        if text and self.query is not None:
            return mark_safe(self._html(self._headline(text, WHOLE_OPTIONS)))
        return escape(text or "")
