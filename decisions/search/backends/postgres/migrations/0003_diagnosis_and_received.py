"""Diagnosis (a keyword, for its facet) and date received (a date filter), filled from the stored letters."""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models

FILL = """UPDATE search_postgres_itemdocument AS document
          SET received = letter.application_received,
              diagnosis = ARRAY(SELECT DISTINCT lower(regexp_replace(value, '\\s+', ' ', 'g'))
                                FROM jsonb_array_elements_text(letter.diagnoses::jsonb) AS value
                                WHERE btrim(value) <> '')
          FROM decisions_decisionitem AS item
          JOIN decisions_determination AS letter ON letter.id = item.determination_id
          WHERE item.id = document.item_id"""


class Migration(migrations.Migration):
    dependencies = [
        ("decisions", "0004_letter_layouts"),
        ("search_postgres", "0002_decided_year"),
    ]

    operations = [
        migrations.AddField(
            model_name="itemdocument",
            name="diagnosis",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.TextField(), default=list, size=None
            ),
        ),
        migrations.AddField(
            model_name="itemdocument",
            name="received",
            field=models.DateField(null=True),
        ),
        migrations.AddIndex(
            model_name="itemdocument",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["diagnosis"], name="item_document_diagnosis"
            ),
        ),
        migrations.AddIndex(
            model_name="itemdocument",
            index=models.Index(fields=["received"], name="item_document_received"),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
