"""Mark the query's words in a passage, as HTML with <mark>; text is escaped first."""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from whoosh.highlight import ContextFragmenter, HtmlFormatter, WholeFragmenter, highlight

from decisions.search.backends.whoosh.analysis import TEXT_ANALYZER


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
        fragments = highlight(
            text, terms, TEXT_ANALYZER, ContextFragmenter(maxchars=maxchars, surround=90), _FORMATTER, top=2
        )
        if fragments:
            return mark_safe(fragments)
    opening = (text or "")[:fallback_chars]
    return mark_safe(escape(opening) + ("…" if len(text or "") > fallback_chars else ""))


def marked(text, terms):
    """The whole text with every query word marked (the letter page)."""
    if text and terms:
        whole = highlight(text, terms, TEXT_ANALYZER, WholeFragmenter(charlimit=None), _FORMATTER, top=1)
        if whole:
            return mark_safe(whole)
    return escape(text or "")
