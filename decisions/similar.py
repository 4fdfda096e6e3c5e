"""Decisions like a given one: items of the same treatment (then the same drug class) whose rationale
and clinical summary share the most distinctive words with it, ranked by the backend's relevance
(BM25 weighs rare words above common ones), the closest of each outcome, each with the reasons it
is close: the treatment, a section or page both cite, a diagnosis, a body part, the facts both
rationales state.

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


def _scopes(item):
    """Where to look, nearest first: the same treatment, then the same drug class (or category)."""
    scopes = []
    if item.treatment:
        scopes.append(("treatment", item.treatment))
    if item.drug_class:
        scopes.append(("drug_class", item.drug_class))
    if not scopes:
        scopes.append(("category", item.treatment_category))
    return scopes


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


def boilerplate_of(item, text):
    """Words in more than BOILERPLATE_SHARE of the rationales of the items closest to this one, of
    either outcome, in its nearest scope (none when they are too few to tell)."""
    name, value = _scopes(item)[0]
    hits = search.backend().search(SearchQuery(text, ((name, AnyOf((value,))),), search.RELEVANCE))[
        :CANDIDATES
    ]
    rationales = DecisionItem.objects.filter(pk__in=[hit.item_id for hit in hits]).values_list(
        "rationale", flat=True
    )
    pool = [set(_words(rationale)) for rationale in rationales]
    if len(pool) < MIN_POOL:
        return frozenset()
    counts = Counter(word for words in pool for word in words)
    return frozenset(word for word, held in counts.items() if held > BOILERPLATE_SHARE * len(pool))


def _reasons(item, other, words, diagnoses_of, boilerplate):
    reasons = []
    if item.treatment and other.treatment == item.treatment:
        reasons.append(f"same treatment: {item.treatment}")
    elif item.drug_class and other.drug_class == item.drug_class:
        reasons.append(f"same drug class: {item.drug_class}")
    reasons.append(
        f"also {other.get_outcome_display().lower()}"
        if other.outcome == item.outcome
        else f"{other.get_outcome_display().lower()} (this one: {item.get_outcome_display().lower()})"
    )
    mine, theirs = cited_sections(item), cited_sections(other)
    for term in [term for term in mine if term in theirs][:2]:
        reasons.append(f"also cites {mine[term]}")
    pages = sorted(cited_pages(item) & cited_pages(other))
    if pages:
        reasons.append("also cites p. " + ", ".join(str(page) for _, page in pages[:4]))
    diagnoses = {d.lower() for d in item.determination.diagnoses} & {
        d.lower() for d in diagnoses_of[other.determination_id]
    }
    if diagnoses:
        reasons.append("same diagnosis: " + ", ".join(sorted(diagnoses)[:2]))
    parts = body_parts(item.request) & body_parts(other.request)
    if parts:
        reasons.append("same body part: " + ", ".join(sorted(parts)))
    other_words = set(_words(other.rationale))
    shared = [word for word in words if word in other_words and word not in boilerplate][:SHOWN_WORDS]
    if shared:
        reasons.append("both rationales state: " + ", ".join(shared))
    return reasons


def similar_items(item, limit=5, outcome=None, boilerplate=None):
    """Up to `limit` items of other letters most like this one (of one outcome, when given), best
    first, each with its reasons (`boilerplate`: boilerplate_of the item, when already known)."""
    rationale_words = distinctive_words(item.rationale, RATIONALE_WORDS)
    text = like_query(rationale_words, item.determination.clinical_summary)
    if text is None:
        return []
    backend = search.backend()
    ranked = {}
    only = (("outcome", AnyOf((outcome,))),) if outcome else ()
    for name, value in _scopes(item):
        if len(ranked) >= limit:
            break
        results = backend.search(SearchQuery(text, ((name, AnyOf((value,))), *only), search.RELEVANCE))
        hits = [hit for hit in results[: max(CANDIDATES, limit + 10)] if hit.item_id not in ranked]
        loaded = {other.pk: other for other in load_items([hit.item_id for hit in hits])}
        for hit in hits:
            other = loaded.get(hit.item_id)
            if other is not None and other.determination_id != item.determination_id and len(ranked) < limit:
                ranked[hit.item_id] = (other, hit.score)
    words = [word for word, _ in rationale_words]
    # The hits are loaded without their letters' diagnoses (search pages never show them): one query.
    diagnoses_of = dict(
        Determination.objects.filter(
            pk__in={other.determination_id for other, _ in ranked.values()}
        ).values_list("pk", "diagnoses")
    )
    if boilerplate is None:
        boilerplate = boilerplate_of(item, text)
    return [
        SimilarItem(other, score, _reasons(item, other, words, diagnoses_of, boilerplate))
        for other, score in ranked.values()
    ]


def precedents(item, shown):
    """outcome -> the items most like this one that were decided that way: `shown` maps each outcome
    to how many to give."""
    text = like_query(distinctive_words(item.rationale, RATIONALE_WORDS), item.determination.clinical_summary)
    boilerplate = boilerplate_of(item, text) if text is not None else frozenset()
    return {outcome: similar_items(item, shown[outcome], outcome, boilerplate) for outcome in OUTCOMES}
