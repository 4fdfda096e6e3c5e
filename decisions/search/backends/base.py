"""The contract every search backend keeps; tests/search/contract.py checks it on each one."""

import time
from dataclasses import dataclass, field

from decisions.search.contract import SearchTimeout


@dataclass
class IndexCheck:
    """How the index differs from the database: item ids missing from it, and ids it should not hold."""

    indexed: int
    missing: list
    extra: list

    @property
    def in_step(self):
        return not self.missing and not self.extra


@dataclass
class IndexHealth:
    """What a backend found wrong with its index: `problems` for the people who run the site, and
    what searches miss meanwhile, which every page that answers from the index says."""

    problems: list = field(default_factory=list)
    unsearchable: int = 0  # items of damaged parts, left out of every answer until mended
    stale_since: str = ""  # answers come from a copy of the index written then (ISO time)
    behind_since: str = ""  # this server's copy of a shared index lags the published one since then

    @property
    def sound(self):
        return not self.problems

    @property
    def notice(self):
        """A sentence for the pages, or "" when answers are whole."""
        if self.unsearchable:
            items = f"{self.unsearchable:,} item{'s' if self.unsearchable != 1 else ''}"
            return (
                f"Part of the search index is damaged: {items} cannot be found until the worker has "
                f"written {'them' if self.unsearchable != 1 else 'it'} again from the database, and "
                f"counts leave {'them' if self.unsearchable != 1 else 'it'} out."
            )
        if self.stale_since:
            return (
                "The search index is answering from a copy of itself while the worker mends it: "
                "letters added or changed in the last minutes may be missing or out of date."
            )
        if self.behind_since:
            return (
                "This server's copy of the search index has not taken in the latest writes yet: "
                "letters added or changed in the last minutes may be missing or out of date here."
            )
        return ""


@dataclass
class Mended:
    """What `mend` did, and what the database must fill in after it."""

    actions: list = field(default_factory=list)  # sentences
    rebuild: str = ""  # why nothing short of a rebuild will do
    changed_since: str = ""  # letters changed after this (ISO time) must be written again


class SearchBackend:
    """Index decision items and answer SearchQuery objects with SearchResults.

    Writers: `index` (re)indexes every item of the given letters, `remove` drops them, `rebuild`
    builds a fresh index from scratch while searches go on, `clear` drops everything. Readers:
    `search`, `highlighter`, `indexed_ids`.
    """

    name = "base"
    # What the query language can use here: phrases, slop, prefix, wildcard, relevance.
    capabilities = frozenset()

    def index(self, determination_ids):
        """(Re)write the documents of these letters' items: any earlier ones are replaced."""
        raise NotImplementedError

    def remove(self, determination_ids):
        raise NotImplementedError

    def remove_items(self, item_ids):
        """Drop documents by item id (ones whose letter no longer says which they are)."""
        raise NotImplementedError

    def rebuild(self, determination_ids, progress=None):
        """Build a fresh index of these letters and switch to it; returns the number of items."""
        raise NotImplementedError

    def clear(self):
        raise NotImplementedError

    def search(self, query):
        """SearchResults for a SearchQuery; QueryError with a sentence when it cannot run."""
        raise NotImplementedError

    def highlighter(self, text_query):
        """An object with passage(text) and marked(text) giving safe HTML with the query's words marked."""
        raise NotImplementedError

    def indexed_ids(self):
        """The ids of every item in the index."""
        raise NotImplementedError

    def keyword_values(self, name):
        """Every value a keyword field holds in the index, as stored (for spelling suggestions)."""
        raise NotImplementedError

    def catch_up(self):
        """Bring this server's copy of a shared index up to date (the worker, every few moments);
        True when it changed. An index every server reads in place has nothing to do."""
        return False

    def outdated(self):
        """Whether the index lacks fields this version writes (then `rebuild_index` brings it up to date)."""
        return False

    def warm(self):
        """Load what the first searches would, so a new worker starts fast."""

    def release_pages(self):
        """Let go of the index pages this process maps (they stay in the page cache, shared by every
        process); nothing for a backend that maps none."""

    def health(self):
        """IndexHealth of the index searches read now (cheap: the pages show its notice)."""
        return IndexHealth()

    def inspect(self, thorough=False):
        """IndexHealth from looking at the index afresh; thorough reads every byte against its
        checksum (check_index, the daily check)."""
        return self.health()

    def mend(self, thorough=False):
        """Make the index readable again, leaving out what is damaged; a Mended saying what it did
        and what must be written again (indexing.mend does that)."""
        return Mended()

    def mended(self):
        """The letters left out by `mend` are written again (or pending, which the pages say)."""

    def check(self, database_ids):
        """Compare the index with the item ids the database holds."""
        indexed = set(self.indexed_ids())
        database_ids = set(database_ids)
        return IndexCheck(len(indexed), sorted(database_ids - indexed), sorted(indexed - database_ids))


class Deadline:
    """A search's time budget; backends look at it between steps and stop with a sentence."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def check(self):
        if time.monotonic() > self.ends:
            raise SearchTimeout(
                f"this search took longer than {self.seconds:g} seconds and was stopped; "
                f"make it narrower with a phrase, another word or a filter"
            )
