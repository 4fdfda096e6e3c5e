"""Whether an item's letter is a real DWC decision or a generated sample letter, as a keyword."""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models

FILL = """UPDATE search_postgres_itemdocument AS document
          SET letters = CASE WHEN letter.sample THEN ARRAY['generated'] ELSE ARRAY['real'] END
          FROM decisions_decisionitem AS item
          JOIN decisions_determination AS letter ON letter.id = item.determination_id
          WHERE item.id = document.item_id"""


class Migration(migrations.Migration):
    dependencies = [
        ("decisions", "0007_sample_letters"),
        ("search_postgres", "0004_sections_and_case_outcomes"),
    ]

    operations = [
        migrations.AddField(
            model_name="itemdocument",
            name="letters",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.TextField(), default=list, size=None
            ),
        ),
        migrations.AddIndex(
            model_name="itemdocument",
            index=django.contrib.postgres.indexes.GinIndex(fields=["letters"], name="item_document_letters"),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
