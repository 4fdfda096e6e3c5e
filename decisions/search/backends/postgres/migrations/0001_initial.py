"""The `imr` text search configuration (English stems, no stop words: "not medically necessary"
must keep its "not") and the item document table."""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

CONFIGURATION = """
CREATE TEXT SEARCH DICTIONARY imr_english_stem (TEMPLATE = snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION imr (COPY = english);
ALTER TEXT SEARCH CONFIGURATION imr
    ALTER MAPPING FOR asciiword, word, hword, hword_part, asciihword, hword_asciipart WITH imr_english_stem;
"""
DROP = "DROP TEXT SEARCH CONFIGURATION IF EXISTS imr; DROP TEXT SEARCH DICTIONARY IF EXISTS imr_english_stem;"

ARRAYS = [
    "outcome",
    "category",
    "drug_class",
    "treatment",
    "source",
    "specialty",
    "state",
    "necessity",
    "case_number",
    "acoem_chapter",
    "cited",
]
VECTORS = ["request", "treatment_words", "rationale", "summary"]


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.RunSQL(CONFIGURATION, DROP),
        migrations.CreateModel(
            name="ItemDocument",
            fields=[
                ("item_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("determination_id", models.BigIntegerField(db_index=True)),
                *[(name, django.contrib.postgres.search.SearchVectorField()) for name in VECTORS],
                (
                    "document",
                    django.contrib.postgres.search.SearchVectorField(
                        help_text="request and treatment words weighted A, rationale C: for ranking"
                    ),
                ),
                *[
                    (
                        name,
                        django.contrib.postgres.fields.ArrayField(
                            base_field=models.TextField(), default=list, size=None
                        ),
                    )
                    for name in ARRAYS
                ],
                ("decided", models.DateField(null=True)),
                ("injured", models.DateField(null=True)),
            ],
            options={
                "indexes": [
                    *[
                        django.contrib.postgres.indexes.GinIndex(fields=[name], name=f"item_document_{name}")
                        for name in [*VECTORS, *ARRAYS]
                    ],
                    models.Index(fields=["decided", "item_id"], name="item_document_decided"),
                    models.Index(fields=["injured"], name="item_document_injured"),
                ],
            },
        ),
    ]
