"""Scorecard lines partitioned by business day (PostgreSQL declarative partitioning).

A province day writes 1.75 M scorecard lines. On PostgreSQL kpi_scorecardline is PARTITION BY RANGE
(date), one partition a day (kpi_scorecardline_pYYYYMMDD) and a default partition for a line of a day
that has none yet (a test's factory, a line written by hand); its primary key is (id, date), as a
partitioned table's key must hold the partition key (Django still sees `id`). Migration
0024_scorecard_lines_partitioned_by_day builds it, copying the lines of an existing database over.

- The rollup creates the day's partition, and the week after it, before it writes the day
  (line_partitions_ensure): outside the publication's transaction, since creating a partition locks the
  table for an instant.
- Retention (kpi.retention.scorecards_prune) drops a day's partition: one statement, instead of a
  DELETE of 1.75 M rows and the vacuum after it.
- A partition created for a day whose lines already sit in the default partition takes them over
  (moved, then attached), so a day never has lines in two places.

SQLite (development, the test suite) keeps a plain table: ensure does nothing, drop deletes the rows.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.db import connection, transaction

from kpi.models import ScorecardLine

TABLE = ScorecardLine._meta.db_table
DEFAULT_PARTITION = f"{TABLE}_default"
# How far ahead of the day it writes the rollup creates partitions (so a week's rollups create none).
AHEAD_DAYS = 7
_NAME = re.compile(rf"^{TABLE}_p(\d{{8}})$")
ONE_DAY = datetime.timedelta(days=1)


def partition_name(day: datetime.date) -> str:
    return f"{TABLE}_p{day:%Y%m%d}"


def is_partitioned() -> bool:
    """Whether the lines table is partitioned here (PostgreSQL after migration 0021)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def line_partitions() -> dict[datetime.date, str]:
    """The days that have a partition of their own, with its table name (not the default partition)."""
    if not is_partitioned():
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "WHERE pg_inherits.inhparent = to_regclass(%s)",
            [TABLE],
        )
        names = [name for (name,) in cursor.fetchall()]
    days = {}
    for name in names:
        if match := _NAME.match(name):
            days[datetime.datetime.strptime(match.group(1), "%Y%m%d").date()] = name
    return days


def line_partitions_ensure(days: Iterable[datetime.date]) -> list[datetime.date]:
    """Create the partition of each of `days` that has none; the days created. Lines of such a day
    already in the default partition are moved into it first. Nothing on SQLite."""
    if not is_partitioned():
        return []
    existing = line_partitions()
    created = []
    for day in sorted(set(days) - set(existing)):
        with transaction.atomic(), connection.cursor() as cursor:
            name, upper = partition_name(day), day + ONE_DAY
            cursor.execute(
                f'SELECT EXISTS (SELECT 1 FROM "{DEFAULT_PARTITION}" WHERE date >= %s AND date < %s)', [day, upper]
            )
            if cursor.fetchone()[0]:
                # The default partition holds lines of the day: a new partition would contradict them.
                cursor.execute(f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS)')
                cursor.execute(
                    f'WITH moved AS (DELETE FROM "{DEFAULT_PARTITION}" WHERE date >= %s AND date < %s RETURNING *) '
                    f'INSERT INTO "{name}" SELECT * FROM moved',
                    [day, upper],
                )
                cursor.execute(
                    f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)', [day, upper]
                )
            else:
                cursor.execute(
                    f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{TABLE}" FOR VALUES FROM (%s) TO (%s)',
                    [day, upper],
                )
        created.append(day)
    return created


def line_partitions_ahead(day: datetime.date) -> list[datetime.date]:
    """The rollup's call before it writes `day`: its partition and those of the AHEAD_DAYS after it."""
    return line_partitions_ensure(day + datetime.timedelta(days=offset) for offset in range(AHEAD_DAYS + 1))


def lines_of_day_drop(day: datetime.date) -> None:
    """Remove every line of `day`: its partition dropped (and any of its lines in the default partition
    deleted) on PostgreSQL; a DELETE elsewhere."""
    if not is_partitioned():
        ScorecardLine.objects.filter(date=day).delete()
        return
    name = line_partitions().get(day)
    with transaction.atomic(), connection.cursor() as cursor:
        if name:
            cursor.execute(f'DROP TABLE "{name}"')
        cursor.execute(f'DELETE FROM "{DEFAULT_PARTITION}" WHERE date = %s', [day])
