"""Split a guideline line into citations: which guideline, which chapter and topic, which pages."""

import re

from decisions.parsing.records import Citation

# Most specific first: "MTUS Chronic Pain ..." must not also count as a bare "MTUS".
_SOURCES = [
    ("non_mtus", r"Non-?\s?MTUS(?:\s+Citation)?:?"),
    (
        "acoem",
        r"(?:MTUS\s*(?:\(?\d{4}\)?)?:?\s*)?(?:American College of Occupational and Environmental "
        r"Medicine\s*\(ACOEM\)|ACOEM)(?:\s+Practice\s+Guidelines)?",
    ),
    ("chronic_pain", r"(?:MTUS\s*:?\s*)?(?:the\s+)?Chronic\s+Pain\s+(?:Medical\s+)?Treatment\s+Guidelines"),
    ("postsurgical", r"(?:MTUS\s*:?\s*)?(?:the\s+)?Post-?\s?surgical\s+(?:Treatment\s+)?Guidelines"),
    ("non_mtus", r"Official\s+Disability\s+Guidelines|\bODG\b"),
    ("mtus_other", r"\bMTUS\b"),
]
_SOURCE_RE = re.compile(
    "|".join(f"(?P<s{i}>{pattern})" for i, (_, pattern) in enumerate(_SOURCES)), re.IGNORECASE
)
_PAGES_RE = re.compile(
    r"\b(?:Page\(s\)|Pages?|pp\.)\s*:?\s*(?:\(s\)\s*)?(?P<pages>\d[\d\s,;&\-]*(?:\s*(?:and|to)\s*\d+[\d\s,\-]*)*)?\.?",
    re.IGNORECASE,
)
_CHAPTER_RE = re.compile(r"\bChapter\s+(\d{1,2})\b,?", re.IGNORECASE)
# Phrases that name no guideline; removed before sources are looked for.
_NOT_A_CITATION_RE = re.compile(
    r"(?:The\s+Claims\s+Administrator|The\s+(?:Physician|Expert)\s+Reviewer)\s+did\s+not\s+base\s+"
    r"(?:its|their|his/her|his|her)\s+decision\s+on\s+the\s+MTUS\.?"
    r"|,?\s*which\s+(?:is|are)\s+(?:not\s+)?(?:a\s+)?part\s+of\s+(?:the\s+)?"
    r"(?:Medical\s+Treatment\s+Utilization\s+Schedule\s*(?:\(MTUS\))?|MTUS)",
    re.IGNORECASE,
)
_NOISE_RE = re.compile(
    r"(?:The\s+(?:Claims\s+Administrator|Physician\s+Reviewer|Expert\s+Reviewer)\s+)?"
    r"(?:Decision\s+)?based\s+(?:its|his/her|his|her|their\s+)?\s*(?:decision\s+)?on(?:\s+the)?\b"
    r"|\((?:[A-Za-z]+\s+)?\d{4}\)|\b\d(?:st|nd|rd|th)\s+Edition\b,?|[;,]?\s*and\s+the\s*$|[;,]\s*and\s*$",
    re.IGNORECASE,
)
MAX_PAGE = 1500


def _source_of(match):
    for index, (source, _) in enumerate(_SOURCES):
        if match.group(f"s{index}") is not None:
            return source
    raise AssertionError("a source alternative matched")


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


# Prose after the citation ("..., pages 63-66. These guidelines address ...") is no part of its topic.
_NEXT_SENTENCE = re.compile(r"\.\s+[A-Z][a-z]*\s+[a-z]+\s+[a-z]+\b.*", re.DOTALL)


def _clean_topic(text):
    topic = _NOISE_RE.sub(" ", text)
    topic = re.sub(r"\s+", " ", topic).strip(" .,;:-")
    return topic or None


def _citation(source, segment):
    pages = []
    for match in _PAGES_RE.finditer(segment):
        pages.extend(expand_pages(match.group("pages")))
    topic_text = _PAGES_RE.sub(" ", _NEXT_SENTENCE.sub("", segment))
    chapter = None
    if source == "acoem":
        chapter_match = _CHAPTER_RE.search(topic_text)
        if chapter_match:
            chapter = chapter_match.group(1)
            topic_text = _CHAPTER_RE.sub(" ", topic_text, count=1)
    return Citation(source=source, chapter=chapter, topic=_clean_topic(topic_text), pages=sorted(set(pages)))


def parse_citations(guideline):
    """Citations named by a guideline line, in the order written; [] when it names none."""
    if not guideline:
        return []
    text = _NOT_A_CITATION_RE.sub(" ", re.sub(r"\s+", " ", guideline))
    matches = _source_markers(text)
    citations = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        source = _source_of(match)
        segment = text[match.end() : end]
        if source == "non_mtus":
            # A non-MTUS citation names its guideline in its topic: "Official Disability Guidelines".
            named = match.group(0)
            segment = segment if re.match(r"Non", named, re.IGNORECASE) else named + segment
        citations.append(_citation(source, segment))
    return _merge_bare_mtus(citations)


def _source_markers(text):
    """Where each cited source starts.

    A source named right after `Non-MTUS`, or a second name of a non-MTUS guideline in the
    same clause (`Official Disability Guidelines (ODG)`), belongs to that citation's topic.
    """
    markers = []
    for match in _SOURCE_RE.finditer(text):
        previous = markers[-1] if markers else None
        if previous is not None and _source_of(previous) == "non_mtus":
            between = text[previous.end() : match.start()]
            if not between.strip() and re.match(r"Non", previous.group(0), re.IGNORECASE):
                continue
            if (
                _source_of(match) == "non_mtus"
                and not re.match(r"Non", match.group(0), re.IGNORECASE)
                and not re.search(r"[.;]", between)
            ):
                continue
        markers.append(match)
    return markers


def _merge_bare_mtus(citations):
    """A bare `MTUS` directly followed by a named MTUS part is the same citation, not two."""
    merged = []
    for citation in citations:
        if (
            merged
            and merged[-1].source == "mtus_other"
            and not merged[-1].topic
            and not merged[-1].pages
            and citation.source in {"chronic_pain", "acoem", "postsurgical"}
        ):
            merged.pop()
        merged.append(citation)
    return merged
