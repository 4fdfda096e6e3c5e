"""What a person types -> a query tree that means exactly that, or a QueryError in a sentence.

The language: words (all must appear), "phrases" and "sloppy phrases"~3, AND / OR / NOT,
parentheses, opio* and wildcards (te?t), and `field:` before a word, a phrase or a group.
An unscoped word that names a drug (brand or generic), a drug class or an outcome also
matches the items that carry it: `Neurontin` finds Gralise.
"""

import dataclasses
import re

from decisions import vocabulary
from decisions.search.contract import And, Match, Not, Or, Phrase, Prefix, QueryError, Term, Wildcard
from decisions.search.fields import QUERY_FIELD_NAMES, TEXT_FIELDS, normalize_keyword, section_terms

MAX_QUERY_LENGTH = 500
MAX_LEAVES = 40
MAX_SLOP = 20
MIN_WILDCARD_PREFIX = 3
OPERATORS = {"AND", "OR", "NOT"}
_FIELD = re.compile(r"^([A-Za-z_]+):(.*)$", re.DOTALL)
_SLOP = re.compile(r"~(\d+)")
_WORD_CHARACTER = re.compile(r"\w")
_STOP = set(' \t\r\n()"')


def _lex(text):
    """Tokens: ("(",), (")",), ("phrase", words, slop), ("field", name), ("op", name), ("word", text)."""
    position, tokens = 0, []
    while position < len(text):
        character = text[position]
        if character.isspace():
            position += 1
        elif character in "()":
            tokens.append((character,))
            position += 1
        elif character == '"':
            end = text.find('"', position + 1)
            if end < 0:
                raise QueryError(
                    'a quotation mark is not closed; phrases go in pairs of quotes, like "urine drug"'
                )
            slop = _SLOP.match(text, end + 1)
            tokens.append(("phrase", text[position + 1 : end], int(slop.group(1)) if slop else None))
            position = slop.end() if slop else end + 1
        else:
            end = position
            while end < len(text) and text[end] not in _STOP:
                end += 1
            tokens.extend(_word_tokens(text[position:end]))
            position = end
    return tokens


def _word_tokens(run):
    if run.startswith("["):
        raise QueryError(
            "ranges like [a TO z] are not supported; search words, or use the date and page filters"
        )
    field = _FIELD.match(run)
    if field and field.group(1).lower() != "http":
        name = field.group(1).lower()
        if name not in QUERY_FIELD_NAMES:
            known = ", ".join(sorted(QUERY_FIELD_NAMES))
            raise QueryError(f"there is no field “{field.group(1)}”; the fields are {known}")
        rest = field.group(2)
        return [("field", QUERY_FIELD_NAMES[name])] + ([("word", rest)] if rest else [])
    if run in OPERATORS:
        return [("op", run)]
    return [("word", run)]


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.position = 0

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.position += 1
        return token

    def parse(self):
        node = self.disjunction()
        if self.peek() is not None:
            raise QueryError("a closing parenthesis has no opening one")
        return node

    def disjunction(self):
        children = [self.conjunction()]
        while self.peek() == ("op", "OR"):
            self.take()
            children.append(self.conjunction())
        return _combine(Or, children)

    def conjunction(self):
        children = []
        while self.peek() not in (None, (")",), ("op", "OR")):
            if self.peek() == ("op", "AND"):
                self.take()
                continue
            children.append(self.unary())
        return _combine(And, children)

    def unary(self):
        if self.peek() == ("op", "NOT"):
            self.take()
            child = self.unary()
            return Not(child) if child is not None else None
        return self.atom()

    def atom(self):
        token = self.take()
        if token is None:
            return None
        kind = token[0]
        if kind == "(":
            node = self.disjunction()
            if self.take() != (")",):
                raise QueryError("a parenthesis is not closed")
            return node
        if kind == "field":
            operand = self.atom()
            if operand is None:
                raise QueryError(
                    f"nothing follows “{_typed_name(token[1])}:”; put a word or a phrase after the colon"
                )
            return _scoped(operand, token[1])
        if kind == "phrase":
            return _phrase(token[1], token[2])
        if kind == "word":
            return _word(token[1])
        if kind == ")":
            raise QueryError("a closing parenthesis has no opening one")
        return None  # an operator with nothing to join: `AND` alone


def _typed_name(field):
    return next(name for name, value in QUERY_FIELD_NAMES.items() if value == field)


def _combine(kind, children):
    children = [child for child in children if child is not None]
    if not children:
        return None
    flat = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else [child])
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def _phrase(text, slop):
    words = tuple(word for word in text.split() if _WORD_CHARACTER.search(word))
    if not words:
        raise QueryError("a pair of quotes holds no words to search for")
    if slop is not None and not 1 <= slop <= MAX_SLOP:
        raise QueryError(f"a phrase's ~ number runs from 1 to {MAX_SLOP}")
    return Phrase(words, slop=slop or 1) if len(words) > 1 else Term(words[0])


def _word(text):
    text = text.split("^")[0]  # Whoosh-style boosts (word^2) are not part of the language
    if "*" in text or "?" in text:
        literal = re.split(r"[*?]", text, maxsplit=1)[0]
        if len(_WORD_CHARACTER.findall(literal)) < MIN_WILDCARD_PREFIX:
            raise QueryError(
                f"a wildcard needs at least {MIN_WILDCARD_PREFIX} letters before * or ? (for example opio*)"
            )
        stripped = text.rstrip("*")
        if "*" not in stripped and "?" not in stripped:
            return Prefix(stripped.lower())
        return Wildcard(text.lower())
    if not _WORD_CHARACTER.search(text):
        return None  # punctuation alone
    return Term(text)


def _scoped(node, field):
    """A field name applied to a word, a phrase or a group."""
    if isinstance(node, (And, Or)):
        return type(node)(tuple(_scoped(child, field) for child in node.children))
    if isinstance(node, Not):
        return Not(_scoped(node.child, field))
    if isinstance(node, Match):
        return node
    if field in TEXT_FIELDS:
        if isinstance(node, Phrase) and not TEXT_FIELDS[field].phrases:
            raise QueryError(
                f"phrases cannot be searched in {field} fields; search their words instead, "
                f"like {field}:(low back)"
            )
        return type(node)(**{**node.__dict__, "field": node.field or field})
    if isinstance(node, (Prefix, Wildcard)):
        raise QueryError(f"“{_typed_name(field)}:” takes a whole value, not a wildcard")
    value = node.word if isinstance(node, Term) else " ".join(node.words)
    if field == "section":  # a section named without its guideline is that section in any guideline
        return _combine(Or, [Match(field, term) for term in section_terms(value)])
    return Match(field, normalize_keyword(field, value))


OUTCOME_WORDS = {"upheld": "upheld", "overturned": "overturned"}


def _words(phrase):
    words = tuple(phrase.split())
    return Phrase(words) if len(words) > 1 else Term(words[0])


def _in_field(node, field):
    """A word or phrase of an expansion, searched where the typed word was (a field without phrases
    takes the phrase's words)."""
    if field is not None and isinstance(node, Phrase) and not TEXT_FIELDS[field].phrases:
        return And(tuple(Term(word, field=field) for word in node.words))
    return dataclasses.replace(node, field=field)


def _expand(node):
    """Words that stand for more also match it: an abbreviation its spelled-out phrases, a brand its
    generic. Unscoped, also the items whose treatment or class it names, and an outcome its items;
    in one text field (`rationale:UDS`), the phrases in that field."""
    if isinstance(node, (And, Or)):
        return type(node)(tuple(_expand(child) for child in node.children))
    if isinstance(node, Not):
        return Not(_expand(node.child))
    if not isinstance(node, Term) or (node.field is not None and node.field not in TEXT_FIELDS):
        return node
    extra = []
    meaning = vocabulary.meaning_of(node.word)
    if meaning:
        extra += [
            _in_field(_words(phrase), node.field)
            for phrase in meaning.phrases
            if phrase.lower() != node.word.lower()
        ]
        if node.field is None:
            extra += [Match("treatment", meaning.treatment)] if meaning.treatment else []
            extra += [Match("drug_class", meaning.drug_class)] if meaning.drug_class else []
    if node.field is None and node.word.lower() in OUTCOME_WORDS:
        extra.append(Match("outcome", OUTCOME_WORDS[node.word.lower()]))
    return Or((node, *extra)) if extra else node


def _unscoped_words(node):
    if isinstance(node, (And, Or)):
        return [word for child in node.children for word in _unscoped_words(child)]
    return [node.word] if isinstance(node, Term) and node.field is None else []


def _text_words(node):
    """(word, its field or None) of every word typed outside NOT, in a text field or none."""
    if isinstance(node, (And, Or)):
        return [found for child in node.children for found in _text_words(child)]
    if isinstance(node, Term) and (node.field is None or node.field in TEXT_FIELDS):
        return [(node.word, node.field)]
    return []


def _count_leaves(node):
    """Words and phrases typed: one section named in every guideline it may belong to is one."""
    one_field = isinstance(node, Or) and len({getattr(child, "field", None) for child in node.children}) == 1
    if one_field and all(isinstance(child, Match) for child in node.children):
        return 1
    if isinstance(node, (And, Or)):
        return sum(_count_leaves(child) for child in node.children)
    if isinstance(node, Not):
        return _count_leaves(node.child)
    return 1


def _tree(text):
    """The query tree as typed, before words are expanded; None when nothing was typed."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"the search is {len(text)} characters long; keep it under {MAX_QUERY_LENGTH}")
    node = _Parser(_lex(text)).parse()
    if node is None:
        raise QueryError(f"“{text}” holds no words to search for")
    if _count_leaves(node) > MAX_LEAVES:
        raise QueryError(f"the search has more than {MAX_LEAVES} words and phrases; shorten it")
    return node


def parse(text):
    """The query tree for the text, or None when nothing was typed."""
    node = _tree(text)
    return _expand(node) if node is not None else None


def unscoped_words(text):
    """The words typed without a field, as typed; [] for a query that cannot be parsed."""
    try:
        node = _tree(text)
    except QueryError:
        return []
    return _unscoped_words(node) if node is not None else []


def meanings(text):
    """(Meaning, the field it was typed in or None) of the typed words that also search for more
    (what the page tells the reader), in the order typed; [] for a query that cannot be parsed."""
    try:
        node = _tree(text)
    except QueryError:
        return []
    found = {}
    for word, field in _text_words(node) if node is not None else []:
        meaning = vocabulary.meaning_of(word)
        if meaning and (word.lower(), field) not in found:
            found[word.lower(), field] = (meaning, field)
    return list(found.values())
