"""Why a reviewer decides as they do: the reasons a rationale gives, from reasons.json beside this file.

Each reason has a key, a label for the pages, what it means, the outcome it usually supports, and the
signals that carry it in a sentence (regular expressions in the file's small language: `{absent}`
for the ways letters say something is missing, `{words}` for a few words of the same sentence).
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REASONS_FILE = Path(__file__).with_name("reasons.json")
# Up to a dozen words between two parts of a signal, within its sentence.
_WORDS = r"(?:\W+\w+){0,12}?\W+"
ABSENT = "{absent}"
# A letter not escaped (`\W` stays `\W`): patterns are lower-cased and matched against lower-cased
# sentences, several times faster than matching either ignoring case.
_LETTER = re.compile(r"(\\.)|([A-Z])")


@dataclass(frozen=True)
class Signal:
    """A pattern that carries a reason. One starting with {absent} is matched only where the sentence
    says something is missing, not searched for along the whole sentence; one starting with `\b` is
    first looked for without it, which the regular expression engine does several times faster,
    and most sentences miss."""

    pattern: re.Pattern
    after_absence: bool
    quick: re.Pattern | None = None  # the pattern without its leading `\b`: what it misses, so does it

    def found_in(self, sentence, absences):
        """Whether the (lower-cased) sentence holds it; absences: where its words for absence start."""
        if self.after_absence:
            return any(self.pattern.match(sentence, start) for start in absences)
        if self.quick is not None and self.quick.search(sentence) is None:
            return False
        return self.pattern.search(sentence) is not None


@dataclass(frozen=True)
class Reason:
    key: str
    label: str
    description: str
    supports: str  # upheld | overturned: the outcome the reason usually goes with
    in_guideline_text: bool  # whether a sentence reporting what a guideline says can carry it
    signals: tuple  # Signal: any of them carries the reason
    unless: tuple  # Signal: a sentence holding one does not carry it


@dataclass(frozen=True)
class _Vocabulary:
    reasons: dict  # key -> Reason, in the file's order
    absent: re.Pattern  # the words for absence ({absent})
    background: re.Pattern  # a sentence reporting what a guideline says ...
    specific: re.Pattern  # ... unless it speaks of this patient or this request
    version: str

    def reports_guideline(self, sentence):
        """Whether a (lower-cased) sentence only reports what a guideline says (`Per ODG, ...`,
        `MTUS states ...`)."""
        return bool(self.background.search(sentence)) and not self.specific.search(sentence)

    def absences(self, sentence):
        """Where the sentence's words for absence start, for the signals that begin with one."""
        return [match.start() for match in self.absent.finditer(sentence)]


def _lowered(pattern):
    """A pattern that matches a lower-cased text as the pattern matches any case."""
    return re.compile(_LETTER.sub(lambda match: match.group(1) or match.group(2).lower(), pattern))


def _signal(pattern, absent):
    expanded = pattern.replace(ABSENT, absent).replace("{words}", _WORDS)
    quick = _lowered(expanded.removeprefix("\\b")) if expanded.startswith("\\b") else None
    return Signal(_lowered(expanded), pattern.startswith(ABSENT), quick)


@cache
def vocabulary():
    """The file, compiled once."""
    data = json.loads(REASONS_FILE.read_text(encoding="utf-8"))
    absent = rf"(?<![\w'-])(?:{'|'.join(data['absent'])})(?![\w'])"
    reasons = {
        entry["key"]: Reason(
            key=entry["key"],
            label=entry["label"],
            description=entry["description"],
            supports=entry["supports"],
            in_guideline_text=entry.get("in_guideline_text", False),
            signals=tuple(_signal(signal, absent) for signal in entry["signals"]),
            unless=tuple(_signal(pattern, absent) for pattern in entry.get("unless", ())),
        )
        for entry in data["reasons"]
    }
    return _Vocabulary(
        reasons,
        _lowered(absent),
        _any(data["background"]),
        _any(data["specific"]),
        data["version"],
    )


def _any(patterns):
    return _lowered("|".join(f"(?:{pattern})" for pattern in patterns))


def reasons():
    """key -> Reason, in the vocabulary's order."""
    return vocabulary().reasons


def labels(keys=None):
    """key -> label, of these keys (every reason's when none are given); an unknown key as itself."""
    known = reasons()
    return {key: known[key].label if key in known else key for key in (known if keys is None else keys)}
