"""The guidelines IMR reviewers cite and the sections of each, from guidelines.json beside this file.

A letter names a guideline in the words of its year ("Chronic Pain Medical Treatment Guidelines",
"MTUS Chronic Pain Medical Treatment 2016", "MTUS Low Back Complaints 2004") and, since 2016, the
sections relied on (`Section(s): Muscle relaxants (for pain), Cyclobenzaprine (Flexeril)`). Each
guideline keeps one vocabulary of sections, so spellings and case variants of a section meet: a
section is known by its key (letters and digits only, lower case) and shown by its canonical name.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GUIDELINES_FILE = Path(__file__).with_name("guidelines.json")
# The guidelines a bare "MTUS" or "ACOEM" stands for, and a citation outside the MTUS.
BARE_MTUS, BARE_ACOEM, NON_MTUS = "mtus", "acoem", "non_mtus"
# `3.3.9 Opioids for Chronic Pain ...`, `2. Opioids for Subacute Pain`: the numbering goes.
_SECTION_NUMBER = re.compile(r"^\d+(?:\.\d+)*\.?\s+(?=\D)")
_FOLDED = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class Guideline:
    key: str
    source: str
    chapter: str | None
    chapters: tuple  # the ACOEM chapter numbers it stands for
    name: str
    short: str
    names: tuple  # regular expressions, as letters write the guideline's name
    sections: dict  # section key -> canonical name


def section_key(name):
    """What two spellings of one section have in common: `Electro- diagnostic testing (EMG/NCS)`
    and `Electrodiagnostic testing (EMG/NCS)` are both `electrodiagnostictestingemgncs`."""
    return _FOLDED.sub("", name.casefold().replace("&", "and"))


@cache
def guidelines():
    """key -> Guideline, in the file's order (which is the order they are tried in)."""
    data = json.loads(GUIDELINES_FILE.read_text(encoding="utf-8"))
    shared = data["shared_sections"]
    found = {}
    for key, entry in data["guidelines"].items():
        names = [*entry["sections"], *shared.get(entry.get("shared_sections"), [])]
        found[key] = Guideline(
            key=key,
            source=entry["source"],
            chapter=entry.get("chapter"),
            chapters=tuple(entry.get("chapters") or filter(None, [entry.get("chapter")])),
            name=entry["name"],
            short=entry["short"],
            names=tuple(entry["names"]),
            sections={section_key(name): name for name in names},
        )
    return found


def guideline(key):
    return guidelines().get(key) or guidelines()[BARE_MTUS]


def acoem_chapter_guideline(chapter):
    """The guideline of an ACOEM chapter written as a number (`Chapter 12`)."""
    for found in guidelines().values():
        if found.source == "acoem" and chapter in found.chapters:
            return found
    return guidelines()[BARE_ACOEM]


def _clean(name):
    return _SECTION_NUMBER.sub("", " ".join(name.split()).strip(" .,;:"))


def canonical_section(guideline_key, written):
    """The section's canonical name in this guideline, else as written (numbering and spacing aside)."""
    name = _clean(written)
    return guideline(guideline_key).sections.get(section_key(name), name)


def split_sections(guideline_key, written):
    """`Special Studies, Summary` -> ["Special Studies", "Summary"]; commas inside a known section
    (`NSAIDs, GI symptoms & cardiovascular risk`) or before a lower-case continuation (`Opioids,
    criteria for use`, `TENS, chronic pain (...)`) stay inside it."""
    known = guideline(guideline_key).sections
    parts = [part.strip() for part in re.split(r",(?![^()]*\))", written) if part.strip(" .")]
    sections, index = [], 0
    while index < len(parts):
        end = next(
            (
                end
                for end in range(len(parts), index + 1, -1)
                if section_key(_clean(", ".join(parts[index:end]))) in known
            ),
            index + 1,
        )
        while end < len(parts) and re.match(r"(?:[a-z]|&|and\s)", parts[end]):
            end += 1
        section = canonical_section(guideline_key, ", ".join(parts[index:end]))
        if section_key(section) and section not in sections:  # "—" or "*" names no section
            sections.append(section)
        index = end
    return sections
