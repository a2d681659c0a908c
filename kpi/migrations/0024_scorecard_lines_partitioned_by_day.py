"""Scorecard lines carry their business date and, on PostgreSQL, are partitioned by it (kpi.partitions).

1. `date` is added (nullable) and filled from each line's scorecard.
2. PostgreSQL: the table is rebuilt as PARTITION BY RANGE (date): the old one renamed aside (with its
   key, index and id sequence), the new one created from it with the primary key (id, date), the same
   (scorecard, metric) index under the same name, ids from a sequence it owns that continues after the
   largest id (a partitioned table cannot have an identity column before PostgreSQL 17), a default
   partition and one partition per day that has lines; the lines are copied over, the old table dropped.
   From an empty database this creates the empty partitioned table and its default partition.
3. `date` becomes NOT NULL. SQLite keeps a plain table.
"""

from django.db import migrations, models

TABLE = "kpi_scorecardline"
OLD = "kpi_scorecardline_unpartitioned"
INDEX = "kpi_scoreca_scoreca_3b1767_idx"


def fill_dates(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(
                f"UPDATE {TABLE} SET date = (SELECT date FROM kpi_scorecard WHERE kpi_scorecard.id = {TABLE}.scorecard_id)"
            )
            # A line whose scorecard is gone (none should be) has no day: it is dropped.
            cursor.execute(f"DELETE FROM {TABLE} WHERE date IS NULL")
            return
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
        cursor.execute(f"ALTER INDEX IF EXISTS {TABLE}_pkey RENAME TO {OLD}_pkey")
        cursor.execute(f"ALTER INDEX IF EXISTS {INDEX} RENAME TO {OLD}_scorecard_metric")
        cursor.execute(f"SELECT pg_get_serial_sequence('{OLD}', 'id')")
        (old_sequence,) = cursor.fetchone()
        if old_sequence:
            cursor.execute(f"ALTER SEQUENCE {old_sequence} RENAME TO {OLD}_id_seq")
        # Columns, NOT NULLs and defaults (time_basis) as they are; the identity is not copied.
        cursor.execute(f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS) PARTITION BY RANGE (date)")
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN date SET NOT NULL")
        cursor.execute(f"CREATE SEQUENCE {TABLE}_id_seq AS bigint OWNED BY {TABLE}.id")
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{TABLE}_id_seq')")
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id, date)")
        cursor.execute(f"CREATE INDEX {INDEX} ON {TABLE} (scorecard_id, metric_id)")
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        cursor.execute(
            f"SELECT DISTINCT scorecard.date FROM {OLD} line JOIN kpi_scorecard scorecard ON scorecard.id = line.scorecard_id"
        )
        for (day,) in cursor.fetchall():
            cursor.execute(
                f"CREATE TABLE {TABLE}_p{day:%Y%m%d} PARTITION OF {TABLE} "
                "FOR VALUES FROM (%s) TO (%s::date + 1)",
                [day, day],
            )
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name <> 'date'", [OLD]
        )
        names = [name for (name,) in cursor.fetchall()]
        columns = ", ".join(f'"{name}"' for name in names)
        copied = ", ".join(f'line."{name}"' for name in names)
        cursor.execute(
            f"INSERT INTO {TABLE} ({columns}, date) SELECT {copied}, scorecard.date FROM {OLD} line "
            "JOIN kpi_scorecard scorecard ON scorecard.id = line.scorecard_id"
        )
        cursor.execute(f"SELECT setval('{TABLE}_id_seq', GREATEST((SELECT MAX(id) FROM {OLD}), 1), (SELECT MAX(id) FROM {OLD}) IS NOT NULL)")
        cursor.execute(f"DROP TABLE {OLD}")


def _alter_date(apps, schema_editor, *, null: bool) -> None:
    if schema_editor.connection.vendor == "postgresql":
        return
    line = apps.get_model("kpi", "ScorecardLine")
    old = line._meta.get_field("date")
    new = models.DateField(null=null, verbose_name="business date")
    new.set_attributes_from_name("date")
    new.model = line
    schema_editor.alter_field(line, old, new)


def date_required(apps, schema_editor):
    _alter_date(apps, schema_editor, null=False)


def date_optional(apps, schema_editor):
    _alter_date(apps, schema_editor, null=True)


def unpartition(apps, schema_editor):
    """Back to one plain table (PostgreSQL): the lines copied into it, the partitions dropped."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
        cursor.execute(f"ALTER INDEX {TABLE}_pkey RENAME TO {OLD}_pkey")
        cursor.execute(f"ALTER INDEX {INDEX} RENAME TO {OLD}_scorecard_metric")
        cursor.execute(f"ALTER SEQUENCE {TABLE}_id_seq RENAME TO {OLD}_id_seq")
        cursor.execute(f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS)")
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id DROP DEFAULT")
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
        cursor.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")
        cursor.execute(f"CREATE INDEX {INDEX} ON {TABLE} (scorecard_id, metric_id)")
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), GREATEST((SELECT MAX(id) FROM {OLD}), 1), "
            f"(SELECT MAX(id) FROM {OLD}) IS NOT NULL)"
        )
        cursor.execute(f"DROP TABLE {OLD} CASCADE")


class Migration(migrations.Migration):
    dependencies = [
        ("kpi", "0023_rollup_fanout_parts"),
    ]

    operations = [
        migrations.AddField(
            model_name="scorecardline",
            name="date",
            field=models.DateField(null=True, verbose_name="business date"),
        ),
        migrations.RunPython(fill_dates, unpartition),
        # PostgreSQL's new table is NOT NULL on date already (it is in the primary key, which is why the
        # column cannot be altered there, nor made nullable again on the way back): only SQLite alters it.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="scorecardline",
                    name="date",
                    field=models.DateField(verbose_name="business date"),
                ),
            ],
            database_operations=[migrations.RunPython(date_required, date_optional)],
        ),
    ]
