"""Decisions like a given one: items of the same treatment (then the same drug class) whose rationale
and clinical summary share the most distinctive words with it, ranked by the backend's relevance
(BM25 weighs rare words above common ones), the closest of each outcome, each with the reasons it
is close: the treatment, a section or page both cite, a diagnosis, a body part, the facts both
rationales state.

What precedents are found like is a `Like`: an item of the archive (`like_item`), or a request
someone describes (`decisions.estimate`); `closest` finds and explains the precedents of either.

Backend-neutral: the "more like this" query is an OR of the item's own words, built here and run
through the search contract, so every backend gives the same kind of answer.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from decisions import search
from decisions.models import DecisionItem, Determination, Outcome
from decisions.results import load_items
from decisions.search import AnyOf, SearchQuery
from decisions.search.contract import Or, Term

COMMON_WORDS_FILE = Path(__file__).parent / "vocabulary" / "common_words.txt"
STOP_WORDS = frozenset(
    word
    for line in COMMON_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    if not line.startswith("#")
    for word in line.split()
)
RATIONALE_WORDS = 20
SUMMARY_WORDS = 8
SHOWN_WORDS = 5
# Looked at per scope before leaving out the item's own letter.
CANDIDATES = 40
# A word most of the candidates' rationales use is this treatment's boilerplate, not a fact they
# share ("line", "regarding"): a shared fact is in at most this share of them.
BOILERPLATE_SHARE = 0.34
MIN_POOL = 6
BODY_PARTS = re.compile(
    r"\b(cervical|thoracic|lumbar|lumbosacral|sacroiliac|shoulder|elbow|wrist|hand|finger|thumb|hip|knee|ankle|"
    r"foot|feet|neck|spine|head|pelvis|groin|leg|arm)s?\b",
    re.IGNORECASE,
)
OUTCOMES = (Outcome.OVERTURNED, Outcome.UPHELD)


@dataclass
class SimilarItem:
    item: DecisionItem
    score: float | None
    reasons: list = field(default_factory=list)


@dataclass(frozen=True)
class Like:
    """What precedents are found like, and what their reasons compare them with."""

    scopes: tuple  # where to look, nearest first: each a tuple of (filter name, AnyOf) filters
    text: object  # the more-like-this query tree; None when there is nothing to go on
    words: tuple  # distinctive words, most telling first: a precedent sharing them says so
    treatment: str = ""
    drug_class: str = ""
    sections: dict = field(default_factory=dict)  # section term -> `guideline: section`
    pages: frozenset = frozenset()  # (source, page)
    diagnoses: frozenset = frozenset()  # lower-cased
    body_parts: frozenset = frozenset()
    outcome: str | None = None  # an item's own outcome: each precedent says whether it agrees
    letter: int | None = None  # the letter whose items are never offered as precedents
    shared_label: str = "both rationales state"
    shared_in_summary: bool = False  # whether shared words are looked for in summaries as well


def item_for_similar(pk):
    """The item with what finding and explaining its similar items reads, or None."""
    return (
        DecisionItem.objects.select_related("determination")
        .prefetch_related("citations__cited_pages", "citations__cited_sections__section")
        .filter(pk=pk)
        .first()
    )


def _words(text):
    return re.findall(r"[a-z]{4,}", (text or "").lower())


def distinctive_words(text, count):
    """The item's most repeated words that say something about the case, most repeated first."""
    return Counter(word for word in _words(text) if word not in STOP_WORDS).most_common(count)


def like_query(rationale_words, summary):
    """An OR of the item's distinctive rationale words (weighted by how often it uses them) and,
    more lightly, its letter's summary words."""
    leaves = [Term(word, boost=1 + math.log(times)) for word, times in rationale_words]
    leaves += [
        Term(word, field="summary", boost=0.5) for word, _ in distinctive_words(summary, SUMMARY_WORDS)
    ]
    return Or(tuple(leaves)) if leaves else None


def scope(name, value):
    """The filters of one place to look: items whose `name` is `value`."""
    return ((name, AnyOf((value,))),)


def _scopes(item):
    """Where to look, nearest first: the same treatment, then the same drug class (or category)."""
    scopes = []
    if item.treatment:
        scopes.append(scope("treatment", item.treatment))
    if item.drug_class:
        scopes.append(scope("drug_class", item.drug_class))
    if not scopes:
        scopes.append(scope("category", item.treatment_category))
    return tuple(scopes)


def cited_pages(item):
    """(source, page) of every page the item cites."""
    return {(citation.source, page) for citation in item.reviewer_citations for page in citation.pages}


def cited_sections(item):
    """{section term: `guideline: section`} of every section the item's reviewer cites."""
    return {
        section.term: f"{citation.guideline_name}: {section.name}"
        for citation in item.reviewer_citations
        for section in citation.sections
    }


def body_parts(request):
    return {match.lower().rstrip("s") for match in BODY_PARTS.findall(request or "")}


def like_item(item):
    """What the item's precedents are found like: its treatment, its rationale and summary words,
    what it cites, its letter's diagnoses and the body parts its request names."""
    rationale_words = distinctive_words(item.rationale, RATIONALE_WORDS)
    return Like(
        scopes=_scopes(item),
        text=like_query(rationale_words, item.determination.clinical_summary),
        words=tuple(word for word, _ in rationale_words),
        treatment=item.treatment,
        drug_class=item.drug_class,
        sections=cited_sections(item),
        pages=frozenset(cited_pages(item)),
        diagnoses=frozenset(d.lower() for d in item.determination.diagnoses),
        body_parts=frozenset(body_parts(item.request)),
        outcome=item.outcome,
        letter=item.determination_id,
    )


def boilerplate_of(like):
    """Words in more than BOILERPLATE_SHARE of the rationales of the items closest to this one, of
    either outcome, in its nearest scope (none when they are too few to tell)."""
    hits = search.backend().search(SearchQuery(like.text, like.scopes[0], search.RELEVANCE))[:CANDIDATES]
    rationales = DecisionItem.objects.filter(pk__in=[hit.item_id for hit in hits]).values_list(
        "rationale", flat=True
    )
    pool = [set(_words(rationale)) for rationale in rationales]
    if len(pool) < MIN_POOL:
        return frozenset()
    counts = Counter(word for words in pool for word in words)
    return frozenset(word for word, held in counts.items() if held > BOILERPLATE_SHARE * len(pool))


def _reasons(like, other, letters, boilerplate):
    reasons = []
    if like.treatment and other.treatment == like.treatment:
        reasons.append(f"same treatment: {like.treatment}")
    elif like.drug_class and other.drug_class == like.drug_class:
        reasons.append(f"same drug class: {like.drug_class}")
    if like.outcome:
        this, that = Outcome(like.outcome).label.lower(), other.get_outcome_display().lower()
        reasons.append(f"also {that}" if other.outcome == like.outcome else f"{that} (this one: {this})")
    theirs = cited_sections(other)
    for term in [term for term in like.sections if term in theirs][:2]:
        reasons.append(f"also cites {like.sections[term]}")
    pages = sorted(like.pages & cited_pages(other))
    if pages:
        reasons.append("also cites p. " + ", ".join(str(page) for _, page in pages[:4]))
    diagnoses, summary = letters[other.determination_id]
    shared_diagnoses = like.diagnoses & {d.lower() for d in diagnoses}
    if shared_diagnoses:
        reasons.append("same diagnosis: " + ", ".join(sorted(shared_diagnoses)[:2]))
    parts = like.body_parts & body_parts(other.request)
    if parts:
        reasons.append("same body part: " + ", ".join(sorted(parts)))
    other_words = set(_words(other.rationale)) | (set(_words(summary)) if like.shared_in_summary else set())
    # a body part is its own reason already, and so is a diagnosis in common when summaries (which
    # name the diagnoses) are where shared words are looked for
    said = boilerplate | parts
    if like.shared_in_summary:
        said |= {word for diagnosis in shared_diagnoses for word in _words(diagnosis)}
    shared = [word for word in like.words if word in other_words and word not in said][:SHOWN_WORDS]
    if shared:
        reasons.append(f"{like.shared_label}: " + ", ".join(shared))
    return reasons


def closest(like, limit=5, outcome=None, boilerplate=None):
    """Up to `limit` items of other letters most like `like` (of one outcome, when given), best
    first, each with its reasons (`boilerplate`: boilerplate_of it, when already known)."""
    if like.text is None:
        return []
    backend = search.backend()
    ranked = {}
    only = (("outcome", AnyOf((outcome,))),) if outcome else ()
    for filters in like.scopes:
        if len(ranked) >= limit:
            break
        results = backend.search(SearchQuery(like.text, (*filters, *only), search.RELEVANCE))
        hits = [hit for hit in results[: max(CANDIDATES, limit + 10)] if hit.item_id not in ranked]
        loaded = {other.pk: other for other in load_items([hit.item_id for hit in hits])}
        for hit in hits:
            other = loaded.get(hit.item_id)
            if other is not None and other.determination_id != like.letter and len(ranked) < limit:
                ranked[hit.item_id] = (other, hit.score)
    # The hits are loaded without their letters' diagnoses and summaries (search pages never show
    # them): one query.
    letters = {
        pk: (diagnoses, summary)
        for pk, diagnoses, summary in Determination.objects.filter(
            pk__in={other.determination_id for other, _ in ranked.values()}
        ).values_list("pk", "diagnoses", "clinical_summary")
    }
    if boilerplate is None:
        boilerplate = boilerplate_of(like)
    return [
        SimilarItem(other, score, _reasons(like, other, letters, boilerplate))
        for other, score in ranked.values()
    ]


def similar_items(item, limit=5, outcome=None):
    """Up to `limit` items of other letters most like this one (of one outcome, when given), best
    first, each with its reasons."""
    return closest(like_item(item), limit, outcome)


def precedents(item, shown):
    """outcome -> the items most like this one that were decided that way: `shown` maps each outcome
    to how many to give."""
    like = like_item(item)
    boilerplate = boilerplate_of(like) if like.text is not None else frozenset()
    return {outcome: closest(like, shown[outcome], outcome, boilerplate) for outcome in OUTCOMES}
