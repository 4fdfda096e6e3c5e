"""Cited sections (the IMR reviewer's and the claims administrator's) and guidelines, partial authorizations and case outcomes as keyword filters.

Case outcomes are filled from the stored letters here, and every item starts as not partly
authorized; sections, guidelines and partial authorizations come with "Re-parse every letter",
which rewrites the documents of every letter it changes."""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models

NEW = ["section", "ur_section", "guideline", "authorized", "case_outcome"]
FILL = """UPDATE search_postgres_itemdocument AS document
          SET authorized = ARRAY['none'],
              case_outcome = CASE WHEN letter.case_outcome = '' THEN ARRAY[]::text[]
                                  ELSE ARRAY[letter.case_outcome] END
          FROM decisions_decisionitem AS item
          JOIN decisions_determination AS letter ON letter.id = item.determination_id
          WHERE item.id = document.item_id"""


class Migration(migrations.Migration):
    dependencies = [
        ("decisions", "0005_real_letters"),
        ("search_postgres", "0003_diagnosis_and_received"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name="itemdocument",
                name=name,
                field=django.contrib.postgres.fields.ArrayField(
                    base_field=models.TextField(), default=list, size=None
                ),
            )
            for name in NEW
        ),
        *(
            migrations.AddIndex(
                model_name="itemdocument",
                index=django.contrib.postgres.indexes.GinIndex(fields=[name], name=f"item_document_{name}"),
            )
            for name in NEW
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
