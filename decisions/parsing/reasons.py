"""The reasons a rationale gives, each with the sentence that carries it, as the vocabulary of
decisions/vocabulary/reasons.json knows them."""

from decisions.parsing import text
from decisions.parsing.records import FoundReason
from decisions.vocabulary.reasons import vocabulary


def _carries(reason, sentence, background, absences):
    if background and not reason.in_guideline_text:
        return False
    if any(signal.found_in(sentence, absences) for signal in reason.unless):
        return False
    return any(signal.found_in(sentence, absences) for signal in reason.signals)


def reasons_in(rationale):
    """Each reason the rationale gives, once, in the order its first sentence comes."""
    vocab, found = vocabulary(), {}
    for sentence in text.sentences(rationale):
        lowered = sentence.lower()
        background, absences = vocab.reports_guideline(lowered), vocab.absences(lowered)
        for reason in vocab.reasons.values():
            if reason.key not in found and _carries(reason, lowered, background, absences):
                found[reason.key] = FoundReason(reason.key, sentence)
    return list(found.values())
