"""The scorecard lines without a primary key index on PostgreSQL (issue 21).

Every read of lines is by scorecard, through the (scorecard, metric) index; nothing looks a line up by its
id, updates one, or points to one. The primary key (id, date) was built on each run's table as it was
written: 4 M entries a province day, measured in kpi/partitions.py's notes and README ("The running totals
kept by run, and the lines without a primary key"), and about as large on disk as the other index. Ids stay
unique by construction: each run table takes its ids from a sequence of its own within the run's block
(kpi.partitions.id_block), the default partitions from the table's sequence below every block. Django still
sees `id` as the model's primary key. Dropping the parent's constraint drops each partition's index with it.
SQLite keeps its plain table and key.
"""

from django.db import migrations

TABLE = "kpi_scorecardline"


def drop_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {TABLE}_pkey")


def add_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id, date)")


class Migration(migrations.Migration):
    dependencies = [
        ("kpi", "0035_rollupstate_by_run"),
    ]

    operations = [
        migrations.RunPython(drop_key, add_key),
    ]
