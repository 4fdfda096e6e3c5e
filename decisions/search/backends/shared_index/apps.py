from django.apps import AppConfig


class SharedIndexConfig(AppConfig):
    """The embedded index's copy in the database, for a site of several servers (embedded/sharing.py)."""

    name = "decisions.search.backends.shared_index"
    label = "search_shared_index"
    verbose_name = "Shared search index"
