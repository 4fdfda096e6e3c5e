"""Decision year as a keyword (for overturn rates by year), filled from the stored decision date."""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models

FILL = """UPDATE search_postgres_itemdocument
          SET decided_year = ARRAY[COALESCE(EXTRACT(YEAR FROM decided)::int::text, 'undated')]"""


class Migration(migrations.Migration):
    dependencies = [("search_postgres", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="itemdocument",
            name="decided_year",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.TextField(), default=list, size=None
            ),
        ),
        migrations.AddIndex(
            model_name="itemdocument",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["decided_year"], name="item_document_decided_year"
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
