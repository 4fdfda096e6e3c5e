"""Counts per keyword value of every item (FacetTotal), filled from the rows already there."""

from django.db import migrations, models

TALLIED = [
    "outcome",
    "category",
    "drug_class",
    "treatment",
    "source",
    "section",
    "ur_section",
    "guideline",
    "authorized",
    "case_outcome",
    "letters",
    "specialty",
    "state",
    "necessity",
    "acoem_chapter",
    "cited",
    "decided_year",
    "diagnosis",
    "reason",
]
FILL = f"""
INSERT INTO search_postgres_facettotal (name, value, count, overturned)
SELECT tally.name, tally.value, count(*), count(*) FILTER (WHERE 'overturned' = ANY(d.outcome))
FROM search_postgres_itemdocument d, LATERAL (
    {" UNION ALL ".join(f"SELECT '{name}', unnest(d.{name})" for name in TALLIED)}
    UNION ALL SELECT '', ''
) AS tally (name, value)
GROUP BY tally.name, tally.value
"""


class Migration(migrations.Migration):
    dependencies = [
        ("search_postgres", "0007_newest_first"),
    ]

    operations = [
        migrations.CreateModel(
            name="FacetTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.TextField()),
                ("value", models.TextField()),
                ("count", models.BigIntegerField()),
                ("overturned", models.BigIntegerField()),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("name", "value"), name="facet_total_value")],
            },
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
