"""Rows inserted in bulk from plain tuples, without a model instance for each.

An import writes some fifteen rows per letter (items, citations, pages, reviewer links); Django's
bulk_create spent most of the import's database time building and compiling an instance per row,
not in the database. Only fields whose Python values every driver takes as they are (text,
numbers, booleans, foreign keys) are written this way, and JSON fields, whose values the field
itself prepares for the database (a list of an item's reasons, say).
"""

import functools

from django.db import connection, models

AS_IS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)
# SQLite's historical limit on the parameters of one statement (PostgreSQL allows 65,535).
MAX_PARAMETERS = 999


class Rows:
    """INSERTs into one model's table of the named fields (a foreign key by its `_id` attribute)."""

    def __init__(self, model, names):
        self.meta = model._meta
        self.fields = [self.meta.get_field(name) for name in names]
        for field in self.fields:
            if not isinstance(field, (*AS_IS, models.JSONField)):
                raise TypeError(f"{field} needs converting for the database; use bulk_create")
        self.json = [index for index, field in enumerate(self.fields) if isinstance(field, models.JSONField)]
        self.placeholders = "(" + ", ".join(["%s"] * len(self.fields)) + ")"

    @functools.cached_property
    def _into(self):
        """`INSERT INTO table (columns) VALUES` (quoted when first used: the database is known by then)."""
        columns = ", ".join(self._quoted(field) for field in self.fields)
        return f"INSERT INTO {connection.ops.quote_name(self.meta.db_table)} ({columns}) VALUES "

    @staticmethod
    def _quoted(field):
        return connection.ops.quote_name(field.column)

    def _prepared(self, rows):
        """Rows with their JSON values as the database takes them."""
        if not self.json:
            return rows
        prepared = []
        for row in rows:
            row = list(row)
            for index in self.json:
                row[index] = self.fields[index].get_db_prep_save(row[index], connection)
            prepared.append(row)
        return prepared

    def insert(self, rows):
        """Insert rows (tuples in the order of the names)."""
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(self._into + self.placeholders, self._prepared(rows))

    def insert_returning_pks(self, rows, key):
        """Insert rows and return their primary keys, in the order of rows. `key` names the
        positions in a row of fields that are unique together: rows are matched to their keys by
        those values, not by the order the database happens to return them in."""
        if not rows:
            return []
        returning = ", ".join(self._quoted(field) for field in [self.meta.pk, *(self.fields[i] for i in key)])
        per_statement = max(1, MAX_PARAMETERS // len(self.fields))
        pks = {}
        with connection.cursor() as cursor:
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                cursor.execute(
                    self._into + ", ".join([self.placeholders] * len(chunk)) + f" RETURNING {returning}",
                    [value for row in self._prepared(chunk) for value in row],
                )
                pks.update((tuple(returned[1:]), returned[0]) for returned in cursor.fetchall())
        return [pks[tuple(row[index] for index in key)] for row in rows]
