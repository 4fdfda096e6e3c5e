"""The search-backend contract: every backend's test class inherits BackendContract and provides
a `backend` fixture. Where a backend lacks a capability, the test names it in a skip."""

from datetime import date

import pytest
from django.core.paginator import Paginator

from decisions import search
from decisions.models import DecisionItem
from decisions.search import AnyOf, CitedPages, DateRange, SearchQuery
from tests.search.corpus import ITEMS, import_corpus, request_of

ALL = set(ITEMS)


class BackendContract:
    @pytest.fixture
    def corpus(self, backend, db):
        import_corpus()
        return backend

    def keys(self, backend, text="", sort=search.RELEVANCE, **filters):
        results = backend.search(search.query(text, sort=sort, **filters))
        by_id = {
            pk: key
            for key, (request, *_) in ITEMS.items()
            for pk in DecisionItem.objects.filter(request=request).values_list("pk", flat=True)
        }
        hits = results[:100]
        assert len(hits) == results.total
        return [by_id[hit.item_id] for hit in hits]

    def matches(self, backend, text="", **filters):
        return set(self.keys(backend, text, **filters))

    def requires(self, backend, capability):
        if capability not in backend.capabilities:
            pytest.skip(f"the {backend.name} backend has no {capability}")

    # Words and phrases

    @pytest.mark.parametrize(
        "text, expected",
        [
            ("spasm", {"baclofen"}),
            ("therapy", {"pt", "aquatic", "tens"}),
            ("sessions", {"pt", "tens"}),
            ("neuropathic", {"gabapentin"}),
            ("diabetes", set()),  # only in a summary: plain words do not search summaries
            ("summary:diabetes", {"pt", "norco"}),
            ("Therapies", {"pt", "aquatic", "tens"}),  # stemmed
        ],
    )
    def test_words(self, corpus, text, expected):
        assert self.matches(corpus, text) == expected

    @pytest.mark.parametrize(
        "text, expected",
        [
            ('"physical therapy"', {"pt"}),
            ('"therapy sessions"', {"pt"}),
            ('"urine drug"', {"norco", "aquatic"}),
            ('"urine drug screen"', {"norco"}),  # aquatic has "urine drug" and "drug screen" apart
            ('"not medically necessary"', {"pt", "norco", "tens", "baclofen", "lumbar"}),
            ('"is medically necessary"', {"mri", "aquatic", "gabapentin"}),
            ('"is not recommended"', {"pt"}),
            ('"home exercise program"', {"pt"}),
            ('"request is not medically necessary"', {"pt", "norco", "tens", "baclofen", "lumbar"}),
            ('"care is medically necessary"', {"mri"}),
            ('"not medically supervised before"', {"mri"}),
            ('"supervised medically necessary"', set()),
            ('"lumbar spine"', {"mri", "lumbar"}),
            ('"325 urine"', set()),  # request ends "10/325", rationale starts "Urine": fields never join
            ('"90 physical"', set()),
        ],
    )
    def test_phrases_are_exact(self, corpus, text, expected):
        self.requires(corpus, "phrases")
        assert self.matches(corpus, text) == expected

    @pytest.mark.parametrize(
        "text, expected",
        [
            ('request:"physical therapy"', {"pt"}),
            ('rationale:"physical therapy"', {"pt"}),
            ('request:"lumbar spine"', {"mri"}),
            ('rationale:"lumbar spine"', {"lumbar"}),
            ("request:therapy", {"pt", "aquatic"}),
            ("rationale:spasm", {"baclofen"}),
            ("request:spasm", set()),
        ],
    )
    def test_fields(self, corpus, text, expected):
        assert self.matches(corpus, text) == expected

    @pytest.mark.parametrize(
        "text, expected",
        [
            ('"physical therapy"~1', {"pt"}),
            ('"physical therapy"~2', {"pt"}),
            ('"physical therapy"~3', {"pt", "tens"}),  # "physical program of therapy"
            ('"therapy sessions"~2', {"pt"}),
            ('"therapy sessions"~3', {"pt", "tens"}),  # "therapy after surgery sessions"
            ('"sessions therapy"~4', set()),  # order matters
        ],
    )
    def test_slop(self, corpus, text, expected):
        """~n: each word at most n positions after the one before, in order (Whoosh's and Lucene's
        ordered reading; the oracle test holds this backend to Whoosh's own matcher)."""
        self.requires(corpus, "slop")
        assert self.matches(corpus, text) == expected

    @pytest.mark.parametrize(
        "text, expected",
        [
            ("therapy AND sessions", {"pt", "tens"}),
            ("therapy sessions", {"pt", "tens"}),
            ("spasm OR neuropathic", {"baclofen", "gabapentin"}),
            ("therapy NOT aquatic", {"pt", "tens"}),
            ("NOT therapy", ALL - {"pt", "aquatic", "tens"}),
            ("(spasm OR neuropathic) AND recommended", {"gabapentin"}),
            ('"urine drug" NOT screen', set()),
            ('"urine drug" NOT "urine drug screen"', {"aquatic"}),
            ("class:opioid", {"norco"}),
            ('class:"muscle relaxant" OR outcome:overturned', {"baclofen", "mri", "aquatic", "gabapentin"}),
            ('diagnosis:"cervical strain"', {"tens", "baclofen"}),
            ("Neurontin", {"gabapentin"}),  # a brand finds its generic's items
            ("Baclofen upheld", {"baclofen"}),
        ],
    )
    def test_booleans_and_keywords(self, corpus, text, expected):
        assert self.matches(corpus, text) == expected

    @pytest.mark.parametrize(
        "text, expected",
        [
            ("neuropath*", {"gabapentin"}),
            ("supervis*", {"mri"}),
            ("request:lumb*", {"mri", "lumbar"}),
        ],
    )
    def test_prefixes(self, corpus, text, expected):
        self.requires(corpus, "prefix")
        assert self.matches(corpus, text) == expected

    def test_wildcards_or_a_sentence_saying_they_are_not_supported(self, corpus):
        if "wildcard" in corpus.capabilities:
            assert self.matches(corpus, "radicul?path*") == {"lumbar"}
        else:
            with pytest.raises(search.QueryError, match="not supported"):
                corpus.search(search.query("radicul?path*"))

    @pytest.mark.parametrize(
        "text, message",
        [
            ('"urine drug', "quotation mark is not closed"),
            ("a*", "wildcard needs at least 3 letters"),
            ("*", "wildcard needs at least 3 letters"),
            ('""', "holds no words"),
            ("%", "holds no words"),
            ("physician:lumbar", "there is no field “physician”"),
            ("[a TO z]", "ranges"),
            ("(spasm", "parenthesis is not closed"),
            ("spasm)", "closing parenthesis has no opening"),
            ("class:opio*", "takes a whole value"),
            ('summary:"low back"', "phrases cannot be searched in summary"),
        ],
    )
    def test_queries_that_cannot_mean_anything_say_why(self, corpus, text, message):
        with pytest.raises(search.QueryError, match=message):
            corpus.search(search.query(text))

    # Filters, facets, dates

    @pytest.mark.parametrize(
        "filters, expected",
        [
            ({"outcome": AnyOf(("overturned",))}, {"mri", "aquatic", "gabapentin"}),
            ({"outcome": AnyOf(("upheld", "overturned"))}, ALL),
            ({"drug_class": AnyOf(("opioid", "muscle relaxant"))}, {"norco", "baclofen"}),
            ({"treatment": AnyOf(("gabapentin",))}, {"gabapentin"}),
            ({"source": AnyOf(("acoem",))}, {"mri", "lumbar"}),
            ({"necessity": AnyOf(("necessary",))}, {"mri", "aquatic", "gabapentin"}),
            ({"case_number": AnyOf(("cm16-0000002",))}, {"mri", "aquatic"}),
            ({"acoem_chapter": AnyOf(("12",))}, {"mri", "lumbar"}),
            ({"cited": CitedPages("chronic_pain", 63, 63)}, {"baclofen"}),
            ({"cited": CitedPages(None, 78, 99)}, {"pt", "norco"}),
            ({"cited": CitedPages("acoem", 300, 303)}, {"mri", "lumbar"}),
            ({"cited": CitedPages("chronic_pain", 300, 303)}, set()),
            ({"decided": DateRange(date(2015, 1, 1), None)}, {"pt", "norco", "mri", "aquatic"}),
            ({"decided": DateRange(None, date(2015, 2, 11))}, {"pt", "norco", "tens", "baclofen"}),
            ({"decided": DateRange(date(2015, 2, 12), date(2016, 6, 1))}, {"mri", "aquatic"}),
            ({"injured": DateRange(None, date(2000, 1, 1))}, {"tens", "baclofen"}),
            ({"received": DateRange(date(2014, 12, 20), date(2014, 12, 20))}, ALL - {"gabapentin", "lumbar"}),
            ({"received": DateRange(date(2015, 1, 1), None)}, set()),
            # a range may also take the items whose letter gives no such date, or only those
            (
                {"decided": DateRange(date(2016, 1, 1), None, undated=True)},
                {"mri", "aquatic", "gabapentin", "lumbar"},
            ),
            ({"decided": search.NoDate()}, {"gabapentin", "lumbar"}),
            ({"received": search.NoDate(), "outcome": AnyOf(("upheld",))}, {"lumbar"}),
            ({"diagnosis": AnyOf(("myofascial pain",))}, {"tens", "baclofen"}),
            ({"reason": AnyOf(("no_functional_improvement",))}, {"pt"}),
            ({"outcome": AnyOf(("upheld",)), "cited": CitedPages(None, 63, 80)}, {"norco", "baclofen"}),
        ],
    )
    def test_every_filter(self, corpus, filters, expected):
        assert self.matches(corpus, **filters) == expected

    def test_only_the_items_given_are_searched(self, corpus):
        """What an alert does: its search, among the items new since its last digest."""
        chosen = {key: DecisionItem.objects.get(request=request_of(key)).pk for key in ("pt", "norco", "mri")}
        only = search.ItemIds(tuple(chosen.values()))
        assert self.matches(corpus, **{search.ITEMS: only}) == set(chosen)
        assert self.matches(corpus, "therapy", **{search.ITEMS: only}) == {"pt"}
        assert self.matches(corpus, **{search.ITEMS: search.ItemIds(())}) == set()

    def test_keyword_values_are_every_value_a_field_holds(self, corpus):
        assert sorted(corpus.keyword_values("diagnosis")) == ["cervical strain", "myofascial pain"]
        assert sorted(corpus.keyword_values("specialty")) == ["Orthopaedic Surgery"]

    def test_specialty_and_state_filters_hold_the_letters_names(self, corpus):
        assert self.matches(corpus, specialty=AnyOf(("Orthopaedic Surgery",))) == ALL
        assert self.matches(corpus, state=AnyOf(("California",))) == ALL
        assert self.matches(corpus, state=AnyOf(("Texas",))) == set()

    def test_text_and_filters_combine(self, corpus):
        assert self.matches(
            corpus, '"not medically necessary"', outcome=AnyOf(("upheld",)), source=AnyOf(("acoem",))
        ) == {"lumbar"}

    def test_facets_leave_out_their_own_filter_and_count_the_rest(self, corpus):
        query = search.query(
            "therapy",
            facets=[("outcome", None), ("source", None), ("treatment", 1)],
            outcome=AnyOf(("upheld",)),
        )
        results = corpus.search(query)
        assert results.total == 2  # pt, tens
        assert {f.value: (f.count, f.overturned) for f in results.facets["outcome"]} == {
            "upheld": (2, 0),
            "overturned": (1, 1),  # aquatic counted
        }
        assert {f.value: (f.count, f.overturned) for f in results.facets["source"]} == {
            "chronic_pain": (2, 0)
        }
        assert len(results.facets["treatment"]) == 1  # the limit

    def test_dates_sort_with_undated_last_either_way(self, corpus):
        newest = self.keys(corpus, sort=search.NEWEST)
        oldest = self.keys(corpus, sort=search.OLDEST)
        assert set(newest[:2]) == {"mri", "aquatic"} and set(newest[-2:]) == {"gabapentin", "lumbar"}
        assert set(oldest[:2]) == {"tens", "baclofen"} and set(oldest[-2:]) == {"gabapentin", "lumbar"}

    def test_relevance_puts_the_item_naming_the_words_first(self, corpus):
        assert self.keys(corpus, "therapy")[0] in {"pt", "aquatic"}
        assert self.keys(corpus, "spasm OR aquatic")[0] == "aquatic"
        assert self.keys(corpus, "lumbar spine")[:2] in (["mri", "lumbar"], ["lumbar", "mri"])

    # Paging: the total is exactly what paging reaches

    @pytest.mark.parametrize(
        "text",
        ["", "therapy", '"not medically necessary"', "NOT spasm", "neuropath*", "class:opioid OR therapy"],
    )
    @pytest.mark.parametrize("sort", search.SORTS)
    @pytest.mark.parametrize("per_page", [1, 3, 7])
    def test_total_equals_the_hits_reachable_by_paging(self, corpus, text, sort, per_page):
        results = corpus.search(search.query(text, sort=sort))
        paginator = Paginator(results, per_page)
        paged = [hit.item_id for number in paginator.page_range for hit in paginator.page(number).object_list]
        assert len(paged) == len(set(paged)) == results.total == paginator.count
        assert paged == [hit.item_id for hit in results[: results.total]]

    def test_a_window_past_the_end_is_empty(self, corpus):
        results = corpus.search(search.query("therapy"))
        assert results[results.total : results.total + 5] == []
        with pytest.raises(IndexError):
            results[results.total]

    # Writes

    def test_the_index_follows_changes_and_checks_against_the_database(
        self, corpus, django_capture_on_commit_callbacks
    ):
        from decisions.models import Determination

        ids = set(DecisionItem.objects.values_list("pk", flat=True))
        assert corpus.check(ids).in_step
        with django_capture_on_commit_callbacks(execute=True):
            Determination.objects.get(case_number="CM14-0000003").delete()
        assert self.matches(corpus, "spasm") == set()
        check = corpus.check(ids)
        assert not check.in_step and len(check.missing) == 2 and check.extra == []

    def test_rebuild_gives_the_same_answers(self, corpus):
        from decisions.models import Determination

        before = {text: self.keys(corpus, text) for text in ("therapy", '"urine drug"', "NOT spasm")}
        count = corpus.rebuild(Determination.objects.values_list("pk", flat=True))
        assert count == len(ITEMS)
        assert {text: self.keys(corpus, text) for text in before} == before

    def test_clear_empties_the_index(self, corpus):
        corpus.clear()
        assert corpus.search(search.query("therapy")).total == 0

    def test_highlighter_marks_the_words_of_the_query(self, corpus):
        highlighter = corpus.highlighter(search.parse('"urine drug" spasm'))
        marked = str(highlighter.marked("Urine drug screens and spasm; a drug."))
        assert marked.count("<mark") == 4
        assert "<mark" not in str(corpus.highlighter(None).marked("Urine drug screens"))

    def test_filters_accept_a_plain_search_query(self, corpus):
        query = SearchQuery(filters=(("outcome", AnyOf(("overturned",))),), sort=search.NEWEST)
        assert [
            request_of(key) for key in self.keys(corpus, sort=search.NEWEST, outcome=AnyOf(("overturned",)))
        ] == [DecisionItem.objects.get(pk=hit.item_id).request for hit in corpus.search(query)[:10]]
