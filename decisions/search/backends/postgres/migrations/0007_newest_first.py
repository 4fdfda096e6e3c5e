"""Newest first read off an index: pages of a date order (and of searches without words) need no sort."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("search_postgres", "0006_reason"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="itemdocument",
            index=models.Index(
                models.OrderBy(models.F("decided"), descending=True, nulls_last=True),
                models.F("item_id"),
                name="item_document_newest",
            ),
        ),
    ]
