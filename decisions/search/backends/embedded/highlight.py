"""Mark the query's words in a passage, as HTML with <mark>; text is escaped first.

Whoosh chooses the passages and writes the HTML. The words it reads come from `analysis.spans`
(the stems the index holds, cached per word) instead of its analyzer, which built a Token object
per word of every rationale on a results page (~8 ms a page).
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from whoosh.highlight import BasicFragmentScorer, ContextFragmenter, HtmlFormatter, WholeFragmenter

from decisions.search.backends.embedded.analysis import spans


class _Formatter(HtmlFormatter):
    """Marks terms, and shows with … where a passage starts or ends inside the text."""

    def format_fragment(self, fragment, replace=False):
        body = super().format_fragment(fragment, replace)
        return (
            ("…" if fragment.startchar > 0 else "")
            + body
            + ("…" if fragment.endchar < len(fragment.text) else "")
        )


_FORMATTER = _Formatter(tagname="mark", classname="match", termclass="term", between=" ")
_SCORER = BasicFragmentScorer()


class _Word:
    """What Whoosh's fragmenters, scorer and formatter read of a token (never changed once made)."""

    __slots__ = ("text", "startchar", "endchar", "matched")
    boost = 1.0

    def __init__(self, text, startchar, endchar, matched):
        self.text, self.startchar, self.endchar, self.matched = text, startchar, endchar, matched

    def copy(self):
        return self


def _highlight(text, terms, fragmenter, top):
    """whoosh.highlight.highlight, reading the words from `spans`; of passages that score the same,
    the earliest are shown (Whoosh broke such ties by memory address: a page could change between
    two loads)."""
    words = (_Word(term, start, end, term in terms) for term, start, end in spans(text))
    scored = sorted(
        ((_SCORER(fragment), fragment) for fragment in fragmenter.fragment_tokens(text, words)),
        key=lambda pair: (-pair[0], pair[1].startchar),
    )
    best = sorted((fragment for score, fragment in scored[:top] if score >= 1), key=lambda f: f.startchar)
    return _FORMATTER(text, best)


class Highlighter:
    """Marks the analysed words of one query (`terms`) wherever their forms occur in a text."""

    def __init__(self, terms):
        self.terms = frozenset(terms)

    def passage(self, text, maxchars=360, fallback_chars=280):
        return passage(text, self.terms, maxchars, fallback_chars)

    def marked(self, text):
        return marked(text, self.terms)


def passage(text, terms, maxchars=360, fallback_chars=280):
    """The best passages of text for the terms; the opening of the text when none matches."""
    if text and terms:
        fragments = _highlight(text, terms, ContextFragmenter(maxchars=maxchars, surround=90), top=2)
        if fragments:
            return mark_safe(fragments)
    opening = (text or "")[:fallback_chars]
    return mark_safe(escape(opening) + ("…" if len(text or "") > fallback_chars else ""))


def marked(text, terms):
    """The whole text with every query word marked (the letter page)."""
    if text and terms:
        whole = _highlight(text, terms, WholeFragmenter(charlimit=None), top=1)
        if whole:
            return mark_safe(whole)
    return escape(text or "")
