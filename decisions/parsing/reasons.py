"""The reasons a rationale gives, each with the sentence that carries it, as the vocabulary of
decisions/vocabulary/reasons.json knows them."""

from decisions.parsing import text
from decisions.parsing.records import FoundReason
from decisions.vocabulary.reasons import vocabulary


def _carries(reason, sentence, background):
    if background and not reason.in_guideline_text:
        return False
    if any(pattern.search(sentence) for pattern in reason.unless):
        return False
    return any(signal.search(sentence) for signal in reason.signals)


def reasons_in(rationale):
    """Each reason the rationale gives, once, in the order its first sentence comes."""
    vocab, found = vocabulary(), {}
    for sentence in text.sentences(rationale):
        background = vocab.reports_guideline(sentence)
        for reason in vocab.reasons.values():
            if reason.key not in found and _carries(reason, sentence, background):
                found[reason.key] = FoundReason(reason.key, sentence)
    return list(found.values())
