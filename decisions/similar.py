"""Decisions like a given one: items of the same treatment (then the same drug class) whose rationale
and clinical summary share the most distinctive words with it, ranked by the backend's relevance
(BM25 weighs rare words above common ones), each with the reasons it was chosen.

Backend-neutral: the "more like this" query is an OR of the item's own words, built here and run
through the search contract, so Whoosh and PostgreSQL give the same kind of answer.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from decisions import search
from decisions.models import DecisionItem
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


@dataclass
class SimilarItem:
    item: DecisionItem
    score: float | None
    reasons: list = field(default_factory=list)


def distinctive_words(text, count):
    """The item's most repeated words that say something about the case, most repeated first."""
    words = [word for word in re.findall(r"[a-z]{4,}", (text or "").lower()) if word not in STOP_WORDS]
    return Counter(words).most_common(count)


def like_query(item):
    """An OR of the item's distinctive rationale words (weighted by how often it uses them) and,
    more lightly, its letter's summary words."""
    leaves = [
        Term(word, boost=1 + math.log(times))
        for word, times in distinctive_words(item.rationale, RATIONALE_WORDS)
    ]
    leaves += [
        Term(word, field="summary", boost=0.5)
        for word, _ in distinctive_words(item.determination.clinical_summary, SUMMARY_WORDS)
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


def _cited(item):
    return {
        (citation.source, page.page)
        for citation in item.citations.all()
        for page in citation.cited_pages.all()
    }


def _reasons(item, other, words):
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
    pages = sorted(_cited(item) & _cited(other))
    if pages:
        reasons.append("also cites p. " + ", ".join(str(page) for _, page in pages[:4]))
    diagnoses = {d.lower() for d in item.determination.diagnoses} & {
        d.lower() for d in other.determination.diagnoses
    }
    if diagnoses:
        reasons.append("same diagnosis: " + ", ".join(sorted(diagnoses)[:2]))
    other_words = set(re.findall(r"[a-z]{4,}", other.rationale.lower()))
    shared = [word for word in words if word in other_words][:SHOWN_WORDS]
    if shared:
        reasons.append("shared words: " + ", ".join(shared))
    return reasons


def similar_items(item, limit=5):
    """Up to `limit` items of other letters most like this one, best first, each with its reasons."""
    text = like_query(item)
    if text is None:
        return []
    backend = search.backend()
    ranked = {}
    for name, value in _scopes(item):
        if len(ranked) >= limit:
            break
        results = backend.search(SearchQuery(text, ((name, AnyOf((value,))),), search.RELEVANCE))
        hits = [hit for hit in results[:CANDIDATES] if hit.item_id not in ranked]
        loaded = {other.pk: other for other in load_items([hit.item_id for hit in hits])}
        for hit in hits:
            other = loaded.get(hit.item_id)
            if other is not None and other.determination_id != item.determination_id and len(ranked) < limit:
                ranked[hit.item_id] = (other, hit.score)
    words = [word for word, _ in distinctive_words(item.rationale, RATIONALE_WORDS)]
    return [SimilarItem(other, score, _reasons(item, other, words)) for other, score in ranked.values()]
