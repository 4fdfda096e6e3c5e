"""Split a guideline line into citations: which guideline, which chapter and topic, which pages or
sections.

Letters name their guidelines in the words of their year: `Chronic Pain Medical Treatment
Guidelines Opioids Page(s): 78, 91` until about 2015, `MTUS Chronic Pain Medical Treatment 2016,
Section(s): Opioids, criteria for use, and Low Back Complaints 2004, Section(s): Special Studies`
since. The names are data (decisions/vocabulary/guidelines.json); what follows `Non-MTUS
Citation`, up to the end of its sentence, is one citation whatever guidelines it names.
"""

import re

from decisions.parsing.records import Citation
from decisions.vocabulary import guidelines as vocabulary

_MTUS_PREFIX = r"(?:(?:CA\s+)?MTUS\s*(?:\(?\d{4}\)?)?\s*:?\s*)?(?:the\s+)?"
_BARE_SOURCES = [
    (vocabulary.NON_MTUS, r"Non-?\s?MTUS(?:\s+Citation)?:?"),
    (
        vocabulary.BARE_ACOEM,
        _MTUS_PREFIX + r"(?:American College of Occupational and Environmental Medicine\s*\(ACOEM\)|ACOEM)"
        r"(?:\s+Practice\s+Guidelines)?",
    ),
    (vocabulary.BARE_MTUS, r"\bMTUS\b"),
]


def _marker_patterns():
    """(guideline key, pattern) in the order tried: named guidelines before the bare sources."""
    named = []
    for key, found in vocabulary.guidelines().items():
        if not found.names:
            continue
        prefix = "" if found.source == vocabulary.NON_MTUS else _MTUS_PREFIX
        named.append((key, prefix + "(?:" + "|".join(found.names) + ")"))
    return named + _BARE_SOURCES


_MARKERS = _marker_patterns()
_MARKER_RE = re.compile(
    "|".join(f"(?P<m{i}>{pattern})" for i, (_, pattern) in enumerate(_MARKERS)), re.IGNORECASE
)
_PAGES_RE = re.compile(
    r"\b(?:Page\(s\)|Pages?|pp?g?\.)\s*:?\s*(?:\(s\)\s*)?(?P<pages>\d[\d\s,;&\-]*(?:\s*(?:and|to)\s*\d+[\d\s,\-]*)*)?\.?",
    re.IGNORECASE,
)
_SECTIONS_RE = re.compile(r"\bSections?\s*(?:\(s\))?\s*:\s*", re.IGNORECASE)
# Where a list of sections stops: another label, or a sentence that is not a section's numbering.
_SECTIONS_END = re.compile(r"\b(?:Page\(s\)|Pages?)\b|(?<!\d)\.(?:\s+(?=[A-Z])|\s*$)", re.IGNORECASE)
_CHAPTER_RE = re.compile(r"\bChapter\s+(\d{1,2})\b,?", re.IGNORECASE)
# A citation outside the MTUS runs to the end of its sentence, where the next `Decision based on` starts.
_CLAUSE_END = re.compile(
    r"\.\s+(?=Decision\s+based\b|The\s+(?:Expert|Physician|Professional|Medical|Claims)\b)", re.IGNORECASE
)
# After a list of sections, a guideline starts only where the list hands over to it: `..., and X`.
_HANDOVER = re.compile(r"(?:\band(?:\s+the)?|Decision\s+based\s+on(?:\s+the)?|;)\s*$", re.IGNORECASE)
# Phrases that name no guideline; removed before sources are looked for.
_NOT_A_CITATION_RE = re.compile(
    r"(?:The\s+Claims\s+Administrator|The\s+(?:Physician|Expert)\s+Reviewer)\s+did\s+not\s+base\s+"
    r"(?:its|their|his/her|his|her)\s+decision\s+on\s+the\s+MTUS\.?"
    r"|,?\s*which\s+(?:is|are)\s+(?:not\s+)?(?:a\s+)?part\s+of\s+(?:the\s+)?"
    r"(?:Medical\s+Treatment\s+Utilization\s+Schedule\s*(?:\(MTUS\))?|MTUS)"
    r"|(?:The\s+(?:Claims\s+Administrator|Expert\s+Reviewer|Physician\s+Reviewer)\s+based\s+(?:its|their|his/her|his|"
    r"her)\s+decision\s+on\s+)?recommendations?(?:\s*\(s\))?\s+outside\s+of\s+the\s+MTUS(?:\s+Guidelines?)?\.?",
    re.IGNORECASE,
)
_NO_EVIDENCE_RE = re.compile(
    r"did\s+not\s+cite\s+any\s+(?:medical\s+)?(?:evidence|guidelines?)|no\s+(?:medical\s+)?evidence\s+(?:was\s+)?cited",
    re.IGNORECASE,
)
_NOISE_RE = re.compile(
    r"(?:The\s+(?:Claims\s+Administrator|Physician\s+Reviewer|Expert\s+Reviewer)\s+)?"
    r"(?:Decision\s+)?based\s+(?:its|his/her|his|her|their\s+)?\s*(?:decision\s+)?on(?:\s+the)?\b"
    r"|\((?:[A-Za-z]+\s+)?\d{4}\)|\b\d(?:st|nd|rd|th)\s+Edition\b,?|[;,]?\s*and\s+the\s*$|[;,]?\s*and\s*$",
    re.IGNORECASE,
)
# A guideline's edition written after its name: `Low Back Complaints 2004`, `... 2016 Guidelines`.
_EDITION = re.compile(r"^\s*,?\s*(?:19|20)\d{2}\b(?:\s+Guidelines?)?", re.IGNORECASE)
MAX_PAGE = 1500
# Prose after the citation ("..., pages 63-66. These guidelines address ...") is no part of its topic.
_NEXT_SENTENCE = re.compile(r"\.\s+[A-Z][a-z]*\s+[a-z]+\s+[a-z]+\b.*", re.DOTALL)


def expand_pages(text):
    """`63-64 and 124` -> [63, 64, 124]; `305-06` -> [305, 306]; implausible numbers dropped."""
    pages = set()
    text = re.sub(r"\s+(?:to|through)\s+", "-", text or "", flags=re.IGNORECASE)
    for start_text, end_text in re.findall(r"(\d+)\s*(?:-\s*(\d+))?", text):
        start = int(start_text)
        end = int(end_text) if end_text else start
        if end < start and len(end_text) < len(start_text):
            end = int(start_text[: len(start_text) - len(end_text)] + end_text)
        if not 0 < start <= MAX_PAGE or not start <= end <= MAX_PAGE or end - start > 200:
            pages.update(page for page in (start,) if 0 < page <= MAX_PAGE)
            continue
        pages.update(range(start, end + 1))
    return sorted(pages)


def cites_no_evidence(guideline):
    """The reviewer says no medical evidence was cited (`... did not cite any medical evidence ...`)."""
    return bool(guideline and _NO_EVIDENCE_RE.search(guideline))


def _clean_topic(text):
    topic = _NOISE_RE.sub(" ", text)
    topic = re.sub(r"\s+", " ", topic).strip(" .,;:-")
    return topic or None


def _sections_in(segment):
    """(the segment without its `Section(s):` list, the list as written) or (segment, None)."""
    label = _SECTIONS_RE.search(segment)
    if label is None:
        return segment, None
    end = _SECTIONS_END.search(segment, label.end())
    stop = end.start() if end else len(segment)
    written = re.sub(r"[,;]?\s*(?:\band)?\s*$", "", segment[label.end() : stop].strip(), flags=re.IGNORECASE)
    return segment[: label.start()] + " " + segment[stop:], written


def _citation(key, segment, named):
    """The citation a source marker opens: `named` is the marker's own text, `segment` what follows."""
    found = vocabulary.guideline(key)
    if found.source == vocabulary.NON_MTUS:
        # Outside the MTUS the topic says what was cited: "Official Disability Guidelines (ODG) ...".
        if not re.match(r"Non", named, re.IGNORECASE):
            segment = named + segment
        key = "odg" if re.match(r"\W*(?:Official\s+Disability|ODG)\b", segment, re.IGNORECASE) else key
        return Citation(found.source, None, _clean_topic(segment), guideline=key)
    pages = []
    for match in _PAGES_RE.finditer(segment):
        pages.extend(expand_pages(match.group("pages")))
    rest, written_sections = _sections_in(_PAGES_RE.sub(" ", _NEXT_SENTENCE.sub("", segment)))
    rest = _EDITION.sub(" ", rest)
    chapter = found.chapter
    if found.source == "acoem" and chapter is None:
        chapter_match = _CHAPTER_RE.search(rest)
        if chapter_match:
            chapter = chapter_match.group(1)
            key = vocabulary.acoem_chapter_guideline(chapter).key
            rest = _CHAPTER_RE.sub(" ", rest, count=1)
    sections = vocabulary.split_sections(key, written_sections) if written_sections else []
    return Citation(
        source=found.source,
        chapter=chapter,
        topic=_clean_topic(rest),
        pages=sorted(set(pages)),
        sections=sections,
        guideline=key,
    )


def _markers(text):
    """(guideline key, match) where each cited source starts: not inside a citation outside the MTUS,
    and not inside a list of sections unless the list hands over to it (`..., and Knee Complaints`)."""
    markers, skip_until = [], -1
    for match in _MARKER_RE.finditer(text):
        if match.start() < skip_until:
            continue
        key = _MARKERS[int(match.lastgroup[1:])][0]
        if markers:
            before = text[markers[-1][1].end() : match.start()]
            if _SECTIONS_RE.search(before) and not _HANDOVER.search(before):
                continue
            if key == markers[-1][0] == "odg" and not re.search(r"[.;]", before):
                continue  # a second name of the same guideline: "Official Disability Guidelines (ODG)"
        markers.append((key, match))
        if key == vocabulary.NON_MTUS:
            end = _CLAUSE_END.search(text, match.end())
            skip_until = end.start() if end else len(text)
    return markers


def parse_citations(guideline):
    """Citations named by a guideline line, in the order written; [] when it names none."""
    if not guideline or cites_no_evidence(guideline):
        return []
    text = _NOT_A_CITATION_RE.sub(" ", re.sub(r"\s+", " ", guideline))
    markers = _markers(text)
    citations = []
    for index, (key, match) in enumerate(markers):
        end = markers[index + 1][1].start() if index + 1 < len(markers) else len(text)
        if key == vocabulary.NON_MTUS:
            clause_end = _CLAUSE_END.search(text, match.end())
            end = min(end, clause_end.start()) if clause_end else end
        citations.append(_citation(key, text[match.end() : end], match.group(0)))
    return _merge_bare(citations)


def _merge_bare(citations):
    """A bare `MTUS` or `ACOEM` (or `Chapter 12`) directly followed by the part it names is one
    citation, not two."""
    merged = []
    for citation in citations:
        previous = merged[-1] if merged else None
        if (
            previous
            and not (previous.topic or previous.pages or previous.sections)
            and (
                (previous.guideline == vocabulary.BARE_MTUS and citation.source != vocabulary.NON_MTUS)
                or (
                    previous.source == "acoem" == citation.source
                    and previous.guideline in (vocabulary.BARE_ACOEM, citation.guideline)
                )
            )
        ):
            merged.pop()
            citation.chapter = citation.chapter or previous.chapter
        merged.append(citation)
    return merged
