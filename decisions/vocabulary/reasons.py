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


@dataclass(frozen=True)
class Reason:
    key: str
    label: str
    description: str
    supports: str  # upheld | overturned: the outcome the reason usually goes with
    in_guideline_text: bool  # whether a sentence reporting what a guideline says can carry it
    signals: tuple  # compiled patterns, any of which carries the reason
    unless: tuple  # compiled patterns: a sentence matching one does not carry it


@dataclass(frozen=True)
class _Vocabulary:
    reasons: dict  # key -> Reason, in the file's order
    background: re.Pattern  # a sentence reporting what a guideline says ...
    specific: re.Pattern  # ... unless it speaks of this patient or this request
    version: str

    def reports_guideline(self, sentence):
        """Whether a sentence only reports what a guideline says (`Per ODG, ...`, `MTUS states ...`)."""
        return bool(self.background.search(sentence)) and not self.specific.search(sentence)


def _compiled(pattern, absent):
    return re.compile(pattern.replace("{absent}", absent).replace("{words}", _WORDS), re.IGNORECASE)


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
            signals=tuple(_compiled(signal, absent) for signal in entry["signals"]),
            unless=tuple(_compiled(pattern, absent) for pattern in entry.get("unless", ())),
        )
        for entry in data["reasons"]
    }
    return _Vocabulary(reasons, _any(data["background"]), _any(data["specific"]), data["version"])


def _any(patterns):
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.IGNORECASE)


def reasons():
    """key -> Reason, in the vocabulary's order."""
    return vocabulary().reasons


def labels(keys=None):
    """key -> label, of these keys (every reason's when none are given); an unknown key as itself."""
    known = reasons()
    return {key: known[key].label if key in known else key for key in (known if keys is None else keys)}
