"""Scorecard lines partitioned by business day, and running totals by run (PostgreSQL declarative partitioning).

A province day writes 1.75 M scorecard lines. On PostgreSQL kpi_scorecardline is PARTITION BY RANGE
(date), one partition a day (kpi_scorecardline_pYYYYMMDD) and a default partition for a line of a day
that has none yet (a test's factory, a line written by hand). Migration
0024_scorecard_lines_partitioned_by_day builds it, copying the lines of an existing database over; its
primary key (id, date) is gone since migration 0036 (nothing reads a line by its id; Django still sees
`id` as the key).

- The rollup creates the day's partition, and the week after it, before it writes the day
  (line_partitions_ensure): outside the publication's transaction, since creating a partition locks the
  table for an instant.
- Retention (kpi.retention.scorecards_prune) drops a day's partition: one statement, instead of a
  DELETE of 1.75 M rows and the vacuum after it.
- A partition created for a day whose lines already sit in the default partition takes them over
  (moved, then attached), so a day never has lines in two places.

Within a day, lines are kept by run (issue 21): a day's partition made by line_partitions_ensure is
itself PARTITION BY RANGE (id), and each run writes its lines into a table of its own
(kpi_scorecardline_pYYYYMMDD_r<run>, `_<slot>` for a fanned-out day's parts), loaded before it has
an index and attached for its block of ids (run_lines_write):

- the load: CREATE TABLE with a CHECK of the day and of the block (so that ATTACH need not scan it),
  COPY into the bare table, then its (scorecard, metric) index built in one sorted pass instead of kept
  up a line at a time, then ATTACH PARTITION (a SHARE UPDATE EXCLUSIVE lock on the
  day's partition: readers go on reading), all in the writer's transaction, so a writer that dies leaves
  nothing behind;
- ids: each table takes its own block (id_block: the run and the slot, above every id the table's
  sequence will ever give), from a sequence of its own, so they are unique without a key to check;
- a day rolled up again: the superseded run's table is dropped once the publication has committed
  (run_tables_passed_by_drop; an instant's ACCESS EXCLUSIVE lock on that day's partition, within
  LOCK_TIMEOUT, else left for later), not deleted line by line inside the publication's transaction;
  a table the drop left, or one of a fanned-out run that never published, goes at the next publication of
  its day or in the nightly retention (kpi.retention.scorecards_prune);
- a line written otherwise (a test's factory) lands in the day's default sub-partition.

A day partition made before this (plain, migration 0024 or an older rollup) is written and rolled up
again as before (lines into the day's table, the superseded ones deleted).

The running totals (RollupState) are kept by run in the same way, without the day: see the section
"the running totals by run" below (migration 0035).

SQLite (development, the test suite) keeps plain tables: ensure does nothing, drop deletes the rows.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterable, Mapping

import pandas as pd
from django.db import OperationalError, connection, transaction
from django.db.models import Q

from kpi.models import RollupDay, RollupRun, RollupState, ScorecardLine
from lib import bulk
from lib.csvimport import chunked

logger = logging.getLogger(__name__)

TABLE = ScorecardLine._meta.db_table
DEFAULT_PARTITION = f"{TABLE}_default"
# How far ahead of the day it writes the rollup creates partitions (so a week's rollups create none).
AHEAD_DAYS = 7
_NAME = re.compile(rf"^{TABLE}_p(\d{{8}})$")
ONE_DAY = datetime.timedelta(days=1)
# A run table's block of ids: 2**28 lines a table (268 M; a province day is 4 M), 2**12 tables a run
# (the single-process rollup's is slot 0, a fanned-out day's parts 1, 2, …), so a run's blocks start at
# run × 2**40: above any id of the lines' own sequence (a trillion lines), and for 2**23 runs.
BLOCK_BITS, SLOT_BITS = 28, 12
_RUN_TABLE = re.compile(rf"^{TABLE}_p(\d{{8}})_r(\d+)(?:_(\d+))?$")
# How long the drop of a superseded run's table waits for the readers of its day before leaving it for later.
LOCK_TIMEOUT = "3s"
# A run table's ids taken from its sequence this many at a time: one at a time (PostgreSQL's default) cost
# 15 % of a COPY of the lines (measured on 2.47 M rows); a run table is written by one session.
ID_CACHE = 1000
# The sorted build of a run table's index (4 M lines: 130 MB of keys) in memory, not on disk.
INDEX_BUILD_MEMORY = "256MB"


def partition_name(day: datetime.date) -> str:
    return f"{TABLE}_p{day:%Y%m%d}"


def _partitioned(table: str) -> bool:
    """Whether `table` is a partitioned table here (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def _children(table: str) -> list[str]:
    """The names of the partitions attached to `table` (one level)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "WHERE pg_inherits.inhparent = to_regclass(%s)",
            [table],
        )
        return [name for (name,) in cursor.fetchall()]


def is_partitioned() -> bool:
    """Whether the lines table is partitioned here (PostgreSQL after migration 0021)."""
    return _partitioned(TABLE)


def line_partitions() -> dict[datetime.date, str]:
    """The days that have a partition of their own, with its table name (not the default partition)."""
    if not is_partitioned():
        return {}
    names = _children(TABLE)
    days = {}
    for name in names:
        if match := _NAME.match(name):
            days[datetime.datetime.strptime(match.group(1), "%Y%m%d").date()] = name
    return days


def line_partitions_ensure(days: Iterable[datetime.date]) -> list[datetime.date]:
    """Create the partition of each of `days` that has none, partitioned by run (by id: run_lines_write),
    with a default sub-partition for lines written otherwise; the days created. Lines of such a day
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
                cursor.execute(f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS) PARTITION BY RANGE (id)')
                cursor.execute(f'CREATE TABLE "{name}_default" PARTITION OF "{name}" DEFAULT')
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
                    f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{TABLE}" FOR VALUES FROM (%s) TO (%s) '
                    "PARTITION BY RANGE (id)",
                    [day, upper],
                )
                cursor.execute(f'CREATE TABLE IF NOT EXISTS "{name}_default" PARTITION OF "{name}" DEFAULT')
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


# -- a day's lines by run ------------------------------------------------------------------------------


def run_table_name(day: datetime.date, run_id: int, slot: int = 0) -> str:
    return f"{partition_name(day)}_r{run_id}" + (f"_{slot}" if slot else "")


def id_block(run_id: int, slot: int = 0) -> tuple[int, int]:
    """The ids [first, end) of the lines of run `run_id`'s table `slot`."""
    if not 0 < run_id < 1 << (63 - BLOCK_BITS - SLOT_BITS) or not 0 <= slot < 1 << SLOT_BITS:
        raise ValueError(f"run {run_id}, slot {slot}: outside the blocks of ids")
    first = ((run_id << SLOT_BITS) + slot) << BLOCK_BITS
    return first, first + (1 << BLOCK_BITS)


def lines_by_run(day: datetime.date) -> bool:
    """Whether the day's partition exists and is partitioned by run (PostgreSQL, made by
    line_partitions_ensure since the lines are kept by run)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relkind FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "WHERE pg_inherits.inhparent = to_regclass(%s) AND child.relname = %s",
            [TABLE, partition_name(day)],
        )
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def run_lines_write(
    *, day: datetime.date, run_id: int, frames: Iterable[pd.DataFrame], slot: int = 0
) -> tuple[str, int]:
    """Write a run's lines of `day` (frames with the lines' columns, `date` = `day`, no id) into a table
    of their own, attached to the day's partition (which lines_by_run(day) must be): the table and the
    lines written. In the caller's transaction (a savepoint of it): until it commits nobody sees the
    table, and if it rolls back the table is gone. A table left by an earlier attempt of the same run
    and slot is replaced."""
    table, (first, end) = run_table_name(day, run_id, slot), id_block(run_id, slot)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{table}"')
        # The CHECK implies the partition's bounds (the day, the block), so ATTACH does not scan the lines.
        cursor.execute(
            f'CREATE TABLE "{table}" (LIKE "{TABLE}" INCLUDING DEFAULTS, CONSTRAINT "{table}_bounds" '
            "CHECK (date >= %s AND date < %s AND id >= %s AND id < %s))",
            [day, day + ONE_DAY, first, end],
        )
        cursor.execute(
            f'CREATE SEQUENCE "{table}_id_seq" AS bigint MINVALUE {first} MAXVALUE {end - 1} CACHE {ID_CACHE} '
            f'OWNED BY "{table}".id'
        )
        cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN id SET DEFAULT nextval(\'"{table}_id_seq"\')')
        written = bulk.insert_frame(ScorecardLine, frames, table=table, freeze=True)
        cursor.execute(f"SET LOCAL maintenance_work_mem TO '{INDEX_BUILD_MEMORY}'")
        # The root's (partitioned) index, built here in one sorted pass: ATTACH takes it as it is. No primary
        # key (migration 0036): nothing reads a line by its id, unique by the block's sequence.
        cursor.execute(f'CREATE INDEX "{table}_scorecard_metric" ON "{table}" (scorecard_id, metric_id)')
        cursor.execute(
            f'ALTER TABLE "{partition_name(day)}" ATTACH PARTITION "{table}" FOR VALUES FROM (%s) TO (%s)',
            [first, end],
        )
    return table, written


def run_tables() -> list[tuple[datetime.date, int, str]]:
    """Every run table attached to a day's partition: (day, run id, table name)."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT leaf.relname FROM pg_inherits day_part "
            "JOIN pg_inherits leaf_of ON leaf_of.inhparent = day_part.inhrelid "
            "JOIN pg_class leaf ON leaf.oid = leaf_of.inhrelid "
            "WHERE day_part.inhparent = to_regclass(%s)",
            [TABLE],
        )
        names = [name for (name,) in cursor.fetchall()]
    tables = []
    for name in names:
        if match := _RUN_TABLE.match(name):
            day = datetime.datetime.strptime(match.group(1), "%Y%m%d").date()
            tables.append((day, int(match.group(2)), name))
    return sorted(tables)


def runs_passed_by(day_runs: Iterable[tuple[datetime.date, int]]) -> set[int]:
    """Of (day, run) pairs, the runs whose rows no reader reaches any more and no run will use (the one
    rule, for the run tables of lines here and the scorecards and running totals in
    kpi.retention.passed_by_discard): a run that is not its day's published run and that a later
    publication of the day passed by (superseded; failed or skipped before the published run was made),
    or whose run is gone. A run in progress, or one that failed after the publication (a fanned-out day
    that may be resumed), keeps its rows."""
    pairs = set(day_runs)
    if not pairs:
        return set()
    published = dict(
        RollupDay.objects.filter(date__in={day for day, _run in pairs}).values_list("date", "published_run_id")
    )
    runs = dict(RollupRun.objects.filter(pk__in={run for _day, run in pairs}).values_list("pk", "status"))
    over = {RollupRun.Status.SUPERSEDED, RollupRun.Status.FAILED, RollupRun.Status.SKIPPED}
    passed = set()
    for day, run_id in pairs:
        current = published.get(day)
        if run_id == current:
            continue
        status = runs.get(run_id)
        if (
            status is None
            or status == RollupRun.Status.SUPERSEDED
            or (status in over and current is not None and run_id < current)
        ):
            passed.add(run_id)
    return passed


def run_tables_passed_by(days: Iterable[datetime.date] | None = None) -> list[str]:
    """The run tables (of `days`, or of every day) of runs passed by (runs_passed_by)."""
    wanted = None if days is None else set(days)
    tables = [table for table in run_tables() if wanted is None or table[0] in wanted]
    passed = runs_passed_by((day, run_id) for day, run_id, _name in tables)
    return [name for _day, run_id, name in tables if run_id in passed]


def run_tables_passed_by_drop(days: Iterable[datetime.date] | None = None) -> list[str]:
    """Drop the run tables passed by (run_tables_passed_by), each in a transaction of its own that waits
    LOCK_TIMEOUT at most for the readers of its day (a DROP of a partition locks its day's partition for
    an instant): one it could not drop stays, for the next publication of its day or the nightly
    retention. The tables dropped."""
    dropped = []
    for name in run_tables_passed_by(days):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout TO '{LOCK_TIMEOUT}'")
                cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
        except OperationalError:
            logger.warning("scorecard lines %s not dropped (its day is being read): left for later", name)
            continue
        dropped.append(name)
    return dropped


# -- the running totals by run --------------------------------------------------------------------------
#
# On PostgreSQL kpi_rollupstate is PARTITION BY RANGE (id) (migration 0035), like a day's lines: each run
# writes its running totals into tables of its own, COPYed into a bare table (no index, no id from the
# table's shared sequence) and attached for the run's block of ids (id_block), its own ones in the slot of
# its table of lines (0, or a fanned-out part's 1, 2, …), the mirror ones (as_of set, kpi.services.mirrors)
# MIRROR_SLOTS above it. Every read of running totals is of a run's own or mirror ones, a whole table at a
# time, so a read names the runs' blocks (states_bounds) and PostgreSQL reads those tables only, each from
# end to end; no index is needed. A part of a fanned-out day names only the slots of the parts that held its
# holders (its own, and those its movers came from: kpi.services.fanout), not the day before's 133. What no
# reader wants any more is dropped (states_drop), not deleted row by row. The rows written otherwise (a
# test's, a database's from before 0035) are in kpi_rollupstate_plain, the ids below the first block, with
# the table's index on run as before.

STATES_TABLE = RollupState._meta.db_table
STATES_PLAIN = f"{STATES_TABLE}_plain"
# The ids of the plain partition's rows: the table's own sequence's, below every run's first block.
STATES_PLAIN_END = 1 << (BLOCK_BITS + SLOT_BITS)
# A run's mirror running totals in the upper half of its slots: slot s's in slot s + MIRROR_SLOTS.
MIRROR_SLOTS = 1 << (SLOT_BITS - 1)
_STATES_TABLE = re.compile(rf"^{STATES_TABLE}_r(\d+)_(\d+)$")


def states_by_run() -> bool:
    """Whether the running totals are kept by run here (PostgreSQL after migration 0035)."""
    return _partitioned(STATES_TABLE)


def states_table_name(run_id: int, slot: int) -> str:
    return f"{STATES_TABLE}_r{run_id}_{slot}"


def states_slot(slot: int, *, mirror: bool) -> int:
    """The slot of a part's own (or mirror) running totals."""
    if not 0 <= slot < MIRROR_SLOTS:
        raise ValueError(f"slot {slot}: outside the running totals' slots")
    return slot + MIRROR_SLOTS if mirror else slot


def states_bounds(
    run_ids: Iterable[int], *, own: bool | None = None, slots: Mapping[int, Iterable[int]] | None = None
) -> Q:
    """The ids of these runs' running totals, their own, mirror or (None) both: a filter that lets
    PostgreSQL read those runs' tables only (and the plain partition, by its index on run). `slots`: for a
    run it names, only those slots' tables (a fanned-out part's holders are in a few of a fanned-out run's
    tables, kpi.services.fanout). Where the running totals are not kept by run, no filter."""
    runs = sorted(set(run_ids))
    if not states_by_run():
        return Q()
    slots = slots or {}
    bounds = Q(id__lt=STATES_PLAIN_END)
    for run_id in runs:
        if run_id in slots:
            for slot in sorted(set(slots[run_id])):
                for mirror in (False, True):
                    if own is not None and own == mirror:
                        continue
                    first, end = id_block(run_id, states_slot(slot, mirror=mirror))
                    bounds |= Q(id__gte=first, id__lt=end)
            continue
        first = id_block(run_id, MIRROR_SLOTS if own is False else 0)[0]
        end = id_block(run_id, MIRROR_SLOTS)[0] if own else id_block(run_id + 1, 0)[0]
        bounds |= Q(id__gte=first, id__lt=end)
    return bounds


def states_in_plain() -> Q:
    """The running totals in the plain partition (all of them where they are not kept by run): a filter
    that spares a DELETE by run the reading of every run's table."""
    return Q(id__lt=STATES_PLAIN_END) if states_by_run() else Q()


def run_states_write(*, run_id: int, frame: pd.DataFrame, slot: int = 0, attach: bool = True) -> tuple[str | None, int]:
    """Write running totals of run `run_id` (a frame with their columns, no id), in table `slot`
    (states_slot): a table of their own, attached to kpi_rollupstate, where they are kept by run; else into
    the table. In the caller's transaction, as run_lines_write: a writer that dies leaves nothing, and a
    table left by an earlier attempt of the same run and slot is replaced. The table and the rows written.

    `attach=False`: the table is loaded, and attached later by states_attach in the same transaction. An
    ATTACH holds kpi_rollupstate (SHARE UPDATE EXCLUSIVE, which another ATTACH waits for) until the
    commit: a fanned-out day's parts load their tables side by side and attach them last, with their lines,
    so that one part's whole write does not wait for another's."""
    if not states_by_run():
        return None, bulk.insert_frame(RollupState, frame)
    if frame.empty:
        return None, 0
    table, (first, end) = states_table_name(run_id, slot), id_block(run_id, slot)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{table}"')
        # The CHECK implies the partition's bounds, so ATTACH does not read the rows.
        cursor.execute(
            f'CREATE TABLE "{table}" (LIKE "{STATES_TABLE}" INCLUDING DEFAULTS, CONSTRAINT "{table}_bounds" '
            "CHECK (run_id = %s AND id >= %s AND id < %s))",
            [run_id, first, end],
        )
        cursor.execute(
            f'CREATE SEQUENCE "{table}_id_seq" AS bigint MINVALUE {first} MAXVALUE {end - 1} CACHE {ID_CACHE} '
            f'OWNED BY "{table}".id'
        )
        cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN id SET DEFAULT nextval(\'"{table}_id_seq"\')')
        written = bulk.insert_frame(RollupState, frame, table=table, freeze=True)
    if attach:
        states_attach(table)
    return table, written


def states_attach(table: str) -> None:
    """Attach a table of running totals that run_states_write loaded, for its run's and slot's block."""
    match = _STATES_TABLE.match(table)
    if match is None:
        raise ValueError(f"{table}: not a table of running totals of a run")
    first, end = id_block(int(match.group(1)), int(match.group(2)))
    with connection.cursor() as cursor:
        cursor.execute(
            f'ALTER TABLE "{STATES_TABLE}" ATTACH PARTITION "{table}" FOR VALUES FROM (%s) TO (%s)', [first, end]
        )


def states_tables() -> list[tuple[int, int, str]]:
    """Every table of running totals of a run: (run id, slot, table name)."""
    if not states_by_run():
        return []
    names = _children(STATES_TABLE)
    tables = [
        (int(match.group(1)), int(match.group(2)), name) for name in names if (match := _STATES_TABLE.match(name))
    ]
    return sorted(tables)


def states_drop(run_ids: Iterable[int], *, own: bool | None = None) -> int:
    """Remove these runs' running totals, their own, mirror or (None) all: their tables dropped (each in a
    transaction of its own that waits LOCK_TIMEOUT at most for a reader: dropping a partition locks
    kpi_rollupstate for an instant; one it could not drop stays, for the next call), their rows in the
    plain partition deleted (or in the table, where they are not kept by run). The rows removed."""
    runs = set(run_ids)
    if not runs:
        return 0
    removed = 0
    for run_id, slot, name in states_tables():
        mirror = slot >= MIRROR_SLOTS
        if run_id not in runs or (own is True and mirror) or (own is False and not mirror):
            continue
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout TO '{LOCK_TIMEOUT}'")
                cursor.execute(f'SELECT COUNT(*) FROM "{name}"')
                rows = cursor.fetchone()[0]
                cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
        except OperationalError:
            logger.warning("running totals %s not dropped (being read): left for later", name)
            continue
        removed += rows
    plain = RollupState.objects.filter(states_in_plain())
    if own is not None:
        plain = plain.filter(as_of__isnull=own)
    for part in chunked(sorted(runs)):
        removed += plain.filter(run_id__in=part).delete()[0]
    return removed


def states_tables_passed_by_drop() -> int:
    """Drop the tables of running totals of runs passed by (runs_passed_by) or gone: a superseded run's
    after its day's publication has committed, or one a dead worker or a lock left (kpi.retention). The
    rows removed."""
    runs = {run_id for run_id, _slot, _name in states_tables()}
    if not runs:
        return 0
    dates = dict(RollupRun.objects.filter(pk__in=runs).values_list("pk", "date"))
    passed = runs_passed_by((day, run_id) for run_id, day in dates.items()) | (runs - set(dates))
    return states_drop(passed)
