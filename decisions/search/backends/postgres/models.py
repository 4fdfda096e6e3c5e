"""One row per decision item: a tsvector per text field, keyword arrays and dates for filters.

No foreign key to the item: the table exists only on PostgreSQL, and Django's delete collector
must not look for it on SQLite. The backend's index/remove keep it in step, like the embedded index's.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F

from decisions.search import fields as registry

TEXT_COLUMNS = list(registry.TEXT_FIELDS)
ARRAY_COLUMNS = [name for name, f in registry.FILTER_FIELDS.items() if f.kind != registry.DATE]
DATE_COLUMNS = registry.DATE_FIELDS


class ItemDocument(models.Model):
    item_id = models.BigIntegerField(primary_key=True)
    determination_id = models.BigIntegerField(db_index=True)
    request = SearchVectorField()
    treatment_words = SearchVectorField()
    rationale = SearchVectorField()
    summary = SearchVectorField()
    document = SearchVectorField(help_text="request and treatment words weighted A, rationale C: for ranking")
    outcome = ArrayField(models.TextField(), default=list)
    category = ArrayField(models.TextField(), default=list)
    drug_class = ArrayField(models.TextField(), default=list)
    treatment = ArrayField(models.TextField(), default=list)
    source = ArrayField(models.TextField(), default=list)
    section = ArrayField(models.TextField(), default=list)
    ur_section = ArrayField(models.TextField(), default=list)
    guideline = ArrayField(models.TextField(), default=list)
    authorized = ArrayField(models.TextField(), default=list)
    case_outcome = ArrayField(models.TextField(), default=list)
    letters = ArrayField(models.TextField(), default=list)
    specialty = ArrayField(models.TextField(), default=list)
    state = ArrayField(models.TextField(), default=list)
    necessity = ArrayField(models.TextField(), default=list)
    reason = ArrayField(models.TextField(), default=list)
    case_number = ArrayField(models.TextField(), default=list)
    acoem_chapter = ArrayField(models.TextField(), default=list)
    cited = ArrayField(models.TextField(), default=list)
    decided_year = ArrayField(models.TextField(), default=list)
    diagnosis = ArrayField(models.TextField(), default=list)
    decided = models.DateField(null=True)
    injured = models.DateField(null=True)
    received = models.DateField(null=True)

    class Meta:
        indexes = [
            GinIndex(fields=[name], name=f"item_document_{name}") for name in [*TEXT_COLUMNS, *ARRAY_COLUMNS]
        ] + [
            models.Index(fields=["decided", "item_id"], name="item_document_decided"),  # oldest first
            # newest first (and the relevance order of searches without words): pages read off the index
            models.Index(F("decided").desc(nulls_last=True), F("item_id"), name="item_document_newest"),
            models.Index(fields=["injured"], name="item_document_injured"),
            models.Index(fields=["received"], name="item_document_received"),
        ]


# Keyword fields whose values FacetTotal counts (a case number's facet would be one row per letter).
TALLIED_COLUMNS = [name for name in ARRAY_COLUMNS if name != "case_number"]


class FacetTotal(models.Model):
    """How many items hold each value of each tallied keyword field, and how many of those were
    overturned; the row with name and value "" counts every item. The facets of a search without
    words or filters (and of a filtered field's own facet when that filter is the only one) read
    these instead of counting every row; every write to ItemDocument keeps them in step, in the
    same transaction."""

    name = models.TextField()
    value = models.TextField()
    count = models.BigIntegerField()
    overturned = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "value"], name="facet_total_value")]
