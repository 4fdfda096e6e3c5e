from django.apps import AppConfig


class PostgresSearchConfig(AppConfig):
    """The PostgreSQL search backend's table; it exists only on PostgreSQL databases (see router)."""

    name = "decisions.search.backends.postgres"
    label = "search_postgres"
    verbose_name = "PostgreSQL search"
