"""The contract suite on the embedded backend, plus what only this backend has: its index
directories, its caches and its time budget."""

import pytest

from decisions import search
from decisions.search.contract import AnyOf
from tests.search.contract import BackendContract

pytestmark = pytest.mark.django_db


class TestEmbeddedContract(BackendContract):
    @pytest.fixture
    def backend(self, settings):
        settings.SEARCH_BACKEND = "embedded"
        return search.backend()


def _search_in_another_process(index_dir, text, ready, go):
    """A second process (a gunicorn worker's stand-in) that counts `text`, then, once `go` appears, how
    long until its count changes."""
    import subprocess
    import sys

    script = f"""
import os, sys, time
os.environ.update(DJANGO_SETTINGS_MODULE="imr_site.settings", DEBUG="1", SEARCH_INDEX_DIR={str(index_dir)!r})
import django; django.setup()
from decisions import search
backend = search.backend()
count = lambda: backend.search(search.query({text!r})).total
before = count()
print(before, flush=True)
open({str(ready)!r}, "w").close()
while not os.path.exists({str(go)!r}):
    time.sleep(0.02)
seen = time.monotonic()
while count() == before and time.monotonic() - seen < 5:
    time.sleep(0.05)
print(count(), round(time.monotonic() - seen, 2), flush=True)
"""
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)


def _wait_for(path, seconds=30):
    import time

    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_rebuild_is_seen_by_another_process_within_a_second(seeded, settings, tmp_path):
    """The old engine kept serving the old index when a rebuilt one restarted at the same generation."""
    from decisions.models import Determination

    ready, go = tmp_path / "ready", tmp_path / "go"
    worker = _search_in_another_process(settings.SEARCH_INDEX_DIR, "zanaflex", ready, go)
    _wait_for(ready)
    keep = Determination.objects.exclude(source_name__startswith="001").values_list("pk", flat=True)
    search.backend().rebuild(keep)  # a fresh index without the Zanaflex letter, generation 1 again
    go.touch()
    output, _ = worker.communicate(timeout=60)
    first, (after, seconds) = output.split("\n")[0], output.split("\n")[1].split()
    assert (int(first), int(after)) == (1, 0)
    assert float(seconds) <= 1.0


def test_a_write_keeps_what_the_old_segments_cached(seeded):
    """An import adds a segment; the bitsets built from the segments before it stay cached."""
    from decisions import importing
    from tests.letters import item, standard_letter

    backend = search.backend()
    backend.search(search.query("therapy"))
    cached = {key for key in backend.cache._entries if key[1] == "bits" and not key[0].startswith("view")}
    assert cached
    letter = standard_letter(
        [
            item(
                ["Zolpidem 10mg #30: Upheld"],
                "Decision based on ODG Insomnia treatment.",
                "Zolpidem is not recommended for long-term use. Not medically necessary.",
            )
        ]
    )
    importing.import_candidates([importing.Candidate("zolpidem.txt", letter.encode())])
    assert backend.search(search.query("zolpidem")).total == 1
    still = {key for key in backend.cache._entries if key[1] == "bits" and not key[0].startswith("view")}
    assert cached & still, "the old segments' bitsets were thrown away"


def test_the_caches_stay_within_their_byte_bound(seeded, settings):
    from decisions.search.backends.embedded import EmbeddedBackend

    settings.SEARCH_CACHE_MB = 16
    backend = EmbeddedBackend()
    backend.cache.max_bytes = 64 * 1024  # small enough that the seeds' postings overflow it
    for text in ["therapy", "pain", "opio*", "medic*", '"not medically necessary"', "spasm OR weaning"]:
        backend.search(search.query(text, facets=[("treatment", None), ("specialty", None)]))
        assert backend.cache.bytes <= backend.cache.max_bytes
    assert len(backend.cache) > 0


def _resident_kb_of_maps_under(directory, pid="self"):
    """Resident kB of a process's mappings of files under `directory` (from /proc/<pid>/smaps)."""
    total, inside = 0, False
    with open(f"/proc/{pid}/smaps") as smaps:
        lines = smaps.read().splitlines()
    for line in lines:
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
            inside = len(fields) >= 6 and fields[5].startswith(str(directory))
        elif inside and fields[0] == "Rss:":
            total += int(fields[1])
    return total


def test_a_worker_past_its_memory_limit_lets_go_of_the_index_pages_and_searches_the_same(seeded, settings):
    settings.SEARCH_BACKEND = "embedded"
    backend = search.backend()
    queries = [search.query(text, facets=[("treatment", None)]) for text in ["pain", "baclofen", "opio*"]]
    before = [(r.total, r.facets, [hit.item_id for hit in r[:20]]) for r in map(backend.search, queries)]
    assert _resident_kb_of_maps_under(settings.SEARCH_INDEX_DIR) > 0
    assert not search.keep_within_memory(limit_mb=1 << 20)
    assert _resident_kb_of_maps_under(settings.SEARCH_INDEX_DIR) > 0

    assert search.keep_within_memory(limit_mb=1)
    assert _resident_kb_of_maps_under(settings.SEARCH_INDEX_DIR) == 0
    after = [(r.total, r.facets, [hit.item_id for hit in r[:20]]) for r in map(backend.search, queries)]
    assert after == before


@pytest.mark.parametrize("limit_mb, index_pages_kept", [(16, False), (1 << 20, True)])
def test_a_gunicorn_worker_holds_index_pages_only_within_its_memory_limit(
    tmp_path, limit_mb, index_pages_kept
):
    import subprocess
    import urllib.request

    from tests.letters import SEEDS
    from tests.servers import gunicorn, manage, own_site

    site = own_site(tmp_path, "editor", "a long test password 4U")
    manage(site, "import_determinations", "--wait", str(SEEDS))
    with gunicorn({**site, "SEARCH_WORKER_RSS_MB": str(limit_mb)}, workers=1) as (base, master):
        for text in ["pain", "baclofen", "medically"]:
            urllib.request.urlopen(f"{base}/?q={text}", timeout=30).read()
        (pid,) = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
        kept = _resident_kb_of_maps_under(site["SEARCH_INDEX_DIR"], pid)
    assert (kept > 0) == index_pages_kept


def test_a_search_over_its_time_budget_stops_with_a_sentence(client, seeded, settings):
    settings.SEARCH_TIME_BUDGET_SECONDS = 0
    html = client.get("/", {"q": '"not medically necessary"~3'}).content.decode()
    assert "took longer than 0 seconds and was stopped" in html


def test_nothing_outside_the_embedded_backend_imports_whoosh():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    backend = root / "decisions" / "search" / "backends" / "embedded"
    offenders = [
        str(path.relative_to(root))
        for path in (root / "decisions").rglob("*.py")
        if backend not in path.parents
        and ("import whoosh" in path.read_text() or "from whoosh" in path.read_text())
    ]
    assert offenders == []


def test_butrans_does_not_hang(seeded):
    """Whoosh's UnionMatcher.skip_to_quality loops forever on some queries; no Whoosh matcher searches."""
    results = search.backend().search(search.query("Butrans"))
    assert results.total >= 1 and len(results[:1]) == 1


def test_many_writes_are_merged_into_few_segments_and_lose_nothing(settings, monkeypatch):
    """Each import batch adds a segment; merging keeps their number bounded as the archive grows,
    drops deleted documents and keeps every live one findable."""
    from benchmarks import corpus
    from decisions import importing, indexing
    from decisions.models import DecisionItem, Determination
    from decisions.search.backends.embedded import store

    settings.SEARCH_BACKEND = "embedded"
    monkeypatch.setattr(store, "SMALLEST_TIER", 4)
    monkeypatch.setattr(store, "MERGE_FACTOR", 3)
    generated = list(corpus.letters(40, seed=5))
    for start in range(0, len(generated), 4):
        importing.import_candidates(
            importing.Candidate(name, text.encode()) for name, text in generated[start : start + 4]
        )
    gone = Determination.objects.order_by("pk")[:5]
    search.backend().remove([letter.pk for letter in gone])
    Determination.objects.filter(pk__in=[letter.pk for letter in gone]).delete()
    importing.import_candidates(importing.Candidate(name, text.encode()) for name, text in generated[:3])

    manifest = store.read_manifest(store.store().path(force=True))
    assert 1 <= len(manifest["segments"]) < 10
    comparison = indexing.compare()
    assert comparison.in_step and comparison.indexed == DecisionItem.objects.count()
    overturned = DecisionItem.objects.filter(outcome="overturned").count()
    found = search.backend().search(search.query("", outcome=AnyOf(("overturned",))))
    assert found.total == overturned
    facets = search.backend().search(search.query("", facets=[("outcome", None)])).facets["outcome"]
    upheld = DecisionItem.objects.filter(outcome="upheld").count()
    assert {f.value: f.count for f in facets} == {"overturned": overturned, "upheld": upheld}
    phrase = search.backend().search(search.query('"not medically necessary"'))
    written = DecisionItem.objects.filter(rationale__icontains="not medically necessary")
    assert 0 < phrase.total == written.count()


def test_a_write_that_fails_publishes_nothing_and_its_files_are_cleared_later(seeded, monkeypatch):
    from decisions.models import Determination
    from decisions.search.backends.embedded import merging, store

    ids = list(Determination.objects.values_list("pk", flat=True))
    before = search.backend().search(search.query("")).total

    def broken_merge(*args):
        raise OSError("disk full")

    monkeypatch.setattr(store, "MERGE_FACTOR", 2)
    monkeypatch.setattr(merging, "merge", broken_merge)
    with pytest.raises(OSError):
        search.backend().index(ids[:1])  # a second segment: two of one tier are merged
    assert search.backend().search(search.query("")).total == before
    monkeypatch.undo()

    search.backend().index(ids[:1])
    path = store.store().path(force=True)
    named = {entry["name"] for entry in store.read_manifest(path)["segments"]}
    assert search.backend().search(search.query("")).total == before
    assert {folder.name for folder in (path / "segments").iterdir()} - named <= set(), "orphaned segments"


@pytest.mark.django_db(transaction=True)  # the segment builders read the database from their own processes
def test_a_rebuild_in_several_processes_indexes_every_item_once(settings, monkeypatch):
    from decisions import importing, indexing
    from decisions.models import DecisionItem, Determination
    from decisions.search.backends import embedded
    from tests.letters import SEEDS

    importing.import_candidates(importing.candidates_from_paths([SEEDS]))
    settings.IMR_IMPORT_PROCESSES = 2
    monkeypatch.setattr(embedded, "REBUILD_CHUNK_LETTERS", 1)
    count = search.backend().rebuild(Determination.objects.values_list("pk", flat=True))
    assert count == DecisionItem.objects.count()
    assert indexing.compare().in_step
    assert search.backend().search(search.query("zanaflex")).total == 1


def test_a_rebuild_merges_what_its_processes_build_into_segments_as_large_as_a_merge_may_write(
    settings, monkeypatch
):
    """Fewer segments make every search cheaper: a rebuild's small built segments are merged straight
    into segments of up to LARGEST_MERGE documents, and what they hold is all still found."""
    from benchmarks import corpus
    from decisions import importing, indexing
    from decisions.models import DecisionItem, Determination
    from decisions.search.backends import embedded
    from decisions.search.backends.embedded import store

    settings.SEARCH_BACKEND = "embedded"
    importing.import_candidates(
        importing.Candidate(name, text.encode()) for name, text in corpus.letters(40, seed=31)
    )
    items = DecisionItem.objects.count()
    monkeypatch.setattr(embedded, "REBUILD_CHUNK_LETTERS", 2)
    monkeypatch.setattr(store, "LARGEST_MERGE", 30)
    before = search.backend().search(search.query("pain", facets=[("treatment", None)]))
    search.backend().rebuild(Determination.objects.order_by("pk").values_list("pk", flat=True))
    sizes = [entry["docs"] for entry in store.read_manifest(store.store().path(force=True))["segments"]]
    assert sum(sizes) == items and max(sizes) <= 30
    assert len(sizes) <= 2 * -(-items // 30)  # 20 built segments of 2 letters, merged
    assert indexing.compare().in_step
    after = search.backend().search(search.query("pain", facets=[("treatment", None)]))
    assert (after.total, after.facets) == (before.total, before.facets)


def test_relevance_is_bm25_over_every_match_as_computed_apart(db):
    """The relevance order's first 10 are those of BM25 computed from the documents alone, with no index
    (benchmarks/relevance.py measures the same at scale)."""
    from benchmarks import corpus
    from benchmarks.relevance import QUERIES, compare, exhaustive_top
    from decisions import importing
    from decisions.models import Determination
    from decisions.search.documents import documents_for

    importing.import_candidates(
        importing.Candidate(name, text.encode()) for name, text in corpus.letters(80, seed=11)
    )
    documents = documents_for(Determination.objects.values_list("pk", flat=True))
    rows = compare(QUERIES, exhaustive_top(documents, QUERIES))
    assert all(row["matches"] == row["exhaustive_matches"] for row in rows), rows
    assert sum(row["top"] for row in rows) > 100
    assert all(row["in_exhaustive_top"] == row["top"] for row in rows), rows


@pytest.mark.parametrize("dense_share", [1, 4, 10**6])  # no bitmaps, some, every value a bitmap
def test_facet_counts_by_bitmap_and_by_postings_are_the_database_counts(db, monkeypatch, dense_share):
    from django.db.models import Count, Q

    from benchmarks import corpus
    from decisions import importing
    from decisions.models import DecisionItem, ReviewerSpecialty
    from decisions.search.backends.embedded import segments

    monkeypatch.setattr(segments, "DENSE_SHARE", dense_share)
    importing.import_candidates(
        importing.Candidate(name, text.encode()) for name, text in corpus.letters(60, seed=13)
    )
    results = search.backend().search(search.query("", facets=[("treatment", None), ("specialty", None)]))
    treatments = DecisionItem.objects.exclude(treatment="").values("treatment")
    expected = {
        row["treatment"].lower(): (row["items"], row["overturned"])  # treatments are compared lower-cased
        for row in treatments.annotate(
            items=Count("id"), overturned=Count("id", filter=Q(outcome="overturned"))
        )
    }
    assert {f.value: (f.count, f.overturned) for f in results.facets["treatment"]} == expected
    specialties = {}
    for link in ReviewerSpecialty.objects.select_related("specialty"):
        items = DecisionItem.objects.filter(determination_id=link.determination_id)
        count, overturned = specialties.get(link.specialty.name, (0, 0))
        specialties[link.specialty.name] = (
            count + items.count(),
            overturned + items.filter(outcome="overturned").count(),
        )
    assert {f.value: (f.count, f.overturned) for f in results.facets["specialty"]} == specialties


def test_facets_counted_from_the_matches_own_values_equal_the_bitmaps_counts(db, monkeypatch):
    from benchmarks import corpus
    from decisions import importing
    from decisions.search import fields as registry
    from decisions.search.backends.embedded import segments

    importing.import_candidates(
        importing.Candidate(name, text.encode()) for name, text in corpus.letters(80, seed=7)
    )
    every_field = [
        (name, None) for name, field in registry.FILTER_FIELDS.items() if field.kind != registry.DATE
    ]
    queries = [
        search.query("", facets=every_field),
        search.query("baclofen", facets=every_field),
        search.query("pain", facets=every_field, outcome=search.AnyOf(("upheld",))),
        search.query('"urine drug"', facets=every_field, source=search.AnyOf(("chronic_pain",))),
        search.query("nothingmatchesthis", facets=every_field),
    ]

    def facets(forward_cost):
        monkeypatch.setattr(segments, "FORWARD_COST", dict.fromkeys((True, False), forward_cost))
        return [search.backend().search(query).facets for query in queries]

    by_values, by_bitmaps = facets(0), facets(10**9)
    assert by_values == by_bitmaps
    assert any(counts for counts in by_values[1].values()) and len(by_values[0]["specialty"]) > 1


def test_ranking_many_matches_by_their_champions_scores_them_exactly(db, monkeypatch):
    """Past CANDIDATES_FROM matches, only each word's champions are scored: their scores are the
    exhaustive ones and the first 10 stay close to scoring every match."""
    from benchmarks import corpus
    from benchmarks.relevance import QUERIES, compare, exhaustive_top
    from decisions import importing
    from decisions.models import Determination
    from decisions.search.backends.embedded import rank, segments
    from decisions.search.contract import And, SearchQuery, Term
    from decisions.search.documents import documents_for

    monkeypatch.setattr(segments, "CHAMPIONS", 25)
    monkeypatch.setattr(rank, "CANDIDATES_FROM", 1)
    importing.import_candidates(
        importing.Candidate(name, text.encode()) for name, text in corpus.letters(120, seed=17)
    )
    exhaustive = exhaustive_top(documents_for(Determination.objects.values_list("pk", flat=True)), QUERIES)
    for query in QUERIES:
        words = tuple(Term(word) for word in query)
        results = search.backend().search(SearchQuery(text=words[0] if len(words) == 1 else And(words)))
        for hit in results[:10]:
            assert hit.score == pytest.approx(exhaustive[query][0][hit.item_id], abs=1e-3)
    rows = compare(QUERIES, exhaustive)
    assert sum(row["in_exhaustive_top"] for row in rows) >= 0.8 * sum(row["top"] for row in rows)


def test_the_merge_plan_keeps_segments_few_and_merges_bounded():
    """Segments that reach the largest merge no longer merge; those below merge as many as fit."""
    from decisions.search.backends.embedded import store

    def entries(*sizes):
        return [{"name": str(i), "docs": size, "dead": 0} for i, size in enumerate(sizes)]

    assert len(store._merge_plan(entries(*[1000] * 8))) == 8
    assert store._merge_plan(entries(*[1000] * 7)) == []
    eighty = store._merge_plan(entries(*[80_000] * 8))
    assert (
        len(eighty) == store.LARGEST_MERGE // 80_000 and sum(e["docs"] for e in eighty) <= store.LARGEST_MERGE
    )
    assert store._merge_plan(entries(*[store.LARGEST_MERGE] * 9)) == []
    mostly_deleted = entries(5000, 3000)
    mostly_deleted[0]["dead"] = 4000
    assert store._merge_plan(mostly_deleted) == [mostly_deleted[0]]


def test_any_keyword_field_can_be_counted_not_only_the_page_facets(seeded):
    """The insights page counts decision years, which the search page never shows as a facet."""
    from decisions.models import DecisionItem

    results = search.backend().search(
        search.query("", facets=[("decided_year", None), ("case_number", None)])
    )
    years = {}
    for item in DecisionItem.objects.select_related("determination"):
        decided = item.determination.decision_date
        year = str(decided.year) if decided else "undated"
        years[year] = years.get(year, 0) + 1
    assert {facet.value: facet.count for facet in results.facets["decided_year"]} == years
    assert sum(facet.count for facet in results.facets["case_number"]) <= DecisionItem.objects.count()


def test_passages_are_whooshs_and_of_equal_ones_the_earliest_every_time():
    from whoosh.highlight import ContextFragmenter, highlight

    from decisions.search.backends.embedded.analysis import TEXT_ANALYZER
    from decisions.search.backends.embedded.highlight import _FORMATTER, passage

    filler = " ".join(["the reviewer read the records"] * 20)
    tied = f"Urine screens. {filler} Urine tests. {filler} Urine cups. {filler}"
    shown = {str(passage(tied, {"urin"})) for _ in range(20)}
    assert len(shown) == 1
    (one,) = shown
    assert "screens" in one and "tests" in one and "cups" not in one

    text = f"Pain at rest. {filler} Urine drug screens and pain, on urine drug testing. {filler} Pain, drug."
    terms = {"urin", "drug", "pain"}
    whoosh = highlight(
        text, terms, TEXT_ANALYZER, ContextFragmenter(maxchars=360, surround=90), _FORMATTER, top=2
    )
    assert str(passage(text, terms)) == whoosh and whoosh.count("<mark") == 7  # no tie: Whoosh's own


def test_an_index_of_many_segments_answers_as_one_segment_does(settings, monkeypatch):
    """Segments start at multiples of 64 in a view, and a segment's part of a bitset is a slice of its
    words: with many small segments of odd sizes, every count, facet, score and page (by relevance,
    by date, far down the list) equals what the same letters give in one rebuilt segment."""
    import datetime

    from benchmarks import corpus
    from decisions import importing
    from decisions.models import Determination
    from decisions.search import fields as registry
    from decisions.search.backends.embedded import store

    settings.SEARCH_BACKEND = "embedded"
    monkeypatch.setattr(store, "MERGE_FACTOR", 1000)  # keep every import's own segment
    generated = list(corpus.letters(70, seed=23))
    for start in range(0, len(generated), 7):
        importing.import_candidates(
            importing.Candidate(name, text.encode()) for name, text in generated[start : start + 7]
        )
    every_field = tuple(
        (name, None) for name, field in registry.FILTER_FIELDS.items() if field.kind != registry.DATE
    )
    queries = [
        search.query("", facets=every_field),
        search.query("", sort=search.NEWEST, facets=every_field),
        search.query("pain", facets=every_field),
        search.query("pain therapy", sort=search.OLDEST),
        search.query('"urine drug" OR opio*', facets=every_field),
        search.query("", outcome=AnyOf(("upheld",)), facets=every_field),
        search.query(
            "medical", decided=search.DateRange(datetime.date(2014, 1, 1), None), facets=every_field
        ),
    ]

    def answers():
        found = []
        for query in queries:
            results = search.backend().search(query)
            found.append((results.total, results.facets, results[:], results[3:11], results[40:45]))
        return found

    many = answers()
    assert len(store.read_manifest(store.store().path(force=True))["segments"]) == 10
    search.backend().rebuild(Determination.objects.order_by("pk").values_list("pk", flat=True))
    assert len(store.read_manifest(store.store().path(force=True))["segments"]) == 1
    assert answers() == many
    assert all(total > 0 for total, *_ in many)


@pytest.mark.parametrize("forward_cost", [0, 10**9])  # each document's values (or the rest's), bitmaps
def test_facets_of_a_search_matching_almost_everything_count_the_rest_and_leave_out_deleted_items(
    db, monkeypatch, forward_cost
):
    from django.db.models import Count

    from benchmarks import corpus
    from decisions import importing
    from decisions.models import DecisionItem, Determination
    from decisions.search.backends.embedded import segments

    monkeypatch.setattr(segments, "FORWARD_COST", dict.fromkeys((True, False), forward_cost))
    importing.import_candidates(
        importing.Candidate(name, text.encode()) for name, text in corpus.letters(50, seed=29)
    )
    gone = list(Determination.objects.order_by("pk").values_list("pk", flat=True)[:6])
    search.backend().remove(gone)
    Determination.objects.filter(pk__in=gone).delete()
    facets = search.backend().search(search.query("", facets=[("treatment", None), ("outcome", None)])).facets
    expected = {
        row["treatment"].lower(): row["items"]
        for row in DecisionItem.objects.exclude(treatment="").values("treatment").annotate(items=Count("id"))
    }
    assert {f.value: f.count for f in facets["treatment"]} == expected
    assert sum(f.count for f in facets["outcome"]) == DecisionItem.objects.count()


@pytest.mark.parametrize("share", [0.0, 0.0005, 0.03, 0.5, 1.0])
@pytest.mark.parametrize("stop", [None, 1, 20, 1000])
def test_the_first_flagged_documents_of_a_date_order_read_in_chunks_are_those_of_the_whole_order(share, stop):
    import numpy

    from decisions.search.backends.embedded.rank import _first_flagged

    generator = numpy.random.default_rng(int(share * 10_000) + (stop or 0))
    order = generator.permutation(20_000).astype(numpy.int32)
    flags = generator.random(20_000) < share
    expected = order[flags[order]][:stop]
    assert _first_flagged(order, flags, stop).tolist() == expected.tolist()


@pytest.mark.parametrize("rows_count, docs_count", [(0, 50), (50, 0), (10, 5000), (5000, 10), (3000, 3000)])
def test_rows_found_among_postings_either_way_round(rows_count, docs_count):
    import numpy

    from decisions.search.backends.embedded.segments import common

    generator = numpy.random.default_rng(rows_count * 7 + docs_count)
    rows = numpy.sort(generator.choice(10_000, rows_count, replace=False))
    docs = numpy.sort(generator.choice(10_000, docs_count, replace=False)).astype(numpy.int32)
    hit, at = common(rows, docs)
    assert hit.tolist() == numpy.isin(rows, docs).tolist()
    assert docs[at].tolist() == rows[hit].tolist()


def test_facets_of_overturned_items_alone_count_each_value_once_and_all_of_it_overturned(db):
    from django.db.models import Count

    from benchmarks import corpus
    from decisions import importing
    from decisions.models import DecisionItem

    importing.import_candidates(
        importing.Candidate(name, text.encode()) for name, text in corpus.letters(60, seed=37)
    )
    query = search.query("", outcome=AnyOf(("overturned",)), facets=[("treatment", None), ("outcome", None)])
    facets = search.backend().search(query).facets
    overturned = DecisionItem.objects.filter(outcome="overturned").exclude(treatment="").values("treatment")
    expected = {row["treatment"].lower(): row["n"] for row in overturned.annotate(n=Count("id"))}
    assert {f.value: (f.count, f.overturned) for f in facets["treatment"]} == {
        value: (n, n) for value, n in expected.items()
    }
    upheld = DecisionItem.objects.filter(outcome="upheld").count()
    everything = DecisionItem.objects.filter(outcome="overturned").count()
    assert {f.value: (f.count, f.overturned) for f in facets["outcome"]} == {
        "overturned": (everything, everything),
        "upheld": (upheld, 0),
    }
