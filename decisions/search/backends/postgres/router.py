"""The PostgreSQL search table is created on PostgreSQL only; SQLite deployments never see it."""

from django.db import connections

APP_LABEL = "search_postgres"


class PostgresOnlyRouter:
    def allow_migrate(self, db, app_label, **hints):
        if app_label == APP_LABEL:
            return connections[db].vendor == "postgresql"
        return None
