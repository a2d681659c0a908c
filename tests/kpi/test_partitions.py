"""Scorecard lines by day (kpi.partitions) and the retention that prunes them (kpi.retention.scorecards_prune).

Calendar: 2026-08-09 and 2026-08-16 are Sundays (week ends, kept for good); Wednesday the 12th is more
than SCORECARD_RETENTION_DAYS (62) before 2 December, so once that day comes its scorecards go. The
three days are rolled up on 20 August, when every day still keeps its scorecards.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpi import partitions
from kpi.models import Fact, Metric, RollupDay, RollupRun, RollupState, Scorecard, ScorecardLine
from kpi.partitions import (
    DEFAULT_PARTITION,
    id_block,
    line_partitions,
    line_partitions_ensure,
    partition_name,
    run_table_name,
    run_tables,
)
from kpi.retention import passed_by_discard, scorecards_not_kept, scorecards_prune
from kpi.services import rollup
from tests.kpi.factories import FactFactory
from tests.kpi.scorecard_factories import ScorecardLineFactory, published_day

D = datetime.date
SUNDAY_BEFORE, PRUNED, SUNDAY_AFTER = D(2026, 8, 9), D(2026, 8, 12), D(2026, 8, 16)
ROLLED_ON, TODAY = D(2026, 8, 20), D(2026, 12, 2)
pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")


@pytest.fixture
def august(network, settings):
    settings.SCORECARD_RETENTION_DAYS = 62
    for day in (SUNDAY_BEFORE, PRUNED, SUNDAY_AFTER):
        FactFactory(unit=network["GZ0101"], metric="customers_served", date=day, value=100)
        rollup.rollup_day(day=day, today=ROLLED_ON)
    return network


def rolled_up_again_and_killed_after(monkeypatch, name: str) -> RollupRun:
    """PRUNED rolled up again after a late fact, the process killed (a MemoryError raised) once kpi.partitions'
    `name` has done its work: the run that died."""
    real = getattr(partitions, name)

    def then_die(*arguments, **keywords):
        real(*arguments, **keywords)
        raise MemoryError(f"killed after {name}")

    monkeypatch.setattr(partitions, name, then_die)
    Fact.objects.filter(date=PRUNED, unit__code="GZ0101").update(value=130)
    with pytest.raises(MemoryError):
        rollup.rollup_day(day=PRUNED, today=ROLLED_ON)
    return RollupRun.objects.filter(date=PRUNED).latest("pk")


def lines_on(day: datetime.date) -> int:
    return ScorecardLine.objects.filter(date=day).count()


def rows_in(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        return cursor.fetchone()[0]


def test_the_rollup_writes_each_line_with_its_scorecards_day(august):
    assert lines_on(PRUNED) > 0
    assert not ScorecardLine.objects.exclude(date__in=[SUNDAY_BEFORE, PRUNED, SUNDAY_AFTER]).exists()
    mismatched = [
        line for line in ScorecardLine.objects.select_related("scorecard") if line.date != line.scorecard.date
    ]
    assert mismatched == []


def test_retention_removes_the_scorecards_of_a_day_it_no_longer_keeps_and_keeps_the_week_ends(august):
    kept_before, kept_after = lines_on(SUNDAY_BEFORE), lines_on(SUNDAY_AFTER)
    assert kept_before and kept_after and lines_on(PRUNED)

    pruned = scorecards_prune(today=TODAY)

    assert PRUNED in pruned and SUNDAY_BEFORE not in pruned and SUNDAY_AFTER not in pruned
    assert lines_on(PRUNED) == 0 and not Scorecard.objects.filter(date=PRUNED).exists()
    assert (lines_on(SUNDAY_BEFORE), lines_on(SUNDAY_AFTER)) == (kept_before, kept_after)
    run = RollupRun.objects.get(date=PRUNED, status=RollupRun.Status.PUBLISHED)
    assert (run.scorecards, run.lines) == (0, 0)
    # The reads now say why the day has none, naming the Sunday before (3 days away, the other 4).
    assert scorecards_not_kept(date=PRUNED, today=TODAY).nearest == SUNDAY_BEFORE
    # Run again, nothing is left to prune among the rolled-up days.
    assert PRUNED not in scorecards_prune(today=TODAY)


def test_retention_within_the_retention_days_prunes_nothing(august):
    assert scorecards_prune(today=ROLLED_ON) == []
    assert lines_on(PRUNED) > 0


@on_postgresql
def test_on_postgresql_retention_drops_the_old_days_partition_and_keeps_the_rest(august):
    partitions = line_partitions()
    # The rollup created each day's partition and the week's after it: 9–16 August and 12–23 August.
    assert {SUNDAY_BEFORE, PRUNED, SUNDAY_AFTER} <= set(partitions)
    assert rows_in(partition_name(PRUNED)) == lines_on(PRUNED) > 0
    kept = rows_in(partition_name(SUNDAY_BEFORE)), rows_in(partition_name(SUNDAY_AFTER))
    assert rows_in(DEFAULT_PARTITION) == 0

    scorecards_prune(today=TODAY)

    left = line_partitions()
    assert PRUNED not in left
    assert {SUNDAY_BEFORE, SUNDAY_AFTER} <= set(left)
    assert (rows_in(partition_name(SUNDAY_BEFORE)), rows_in(partition_name(SUNDAY_AFTER))) == kept
    # The empty partitions created ahead for days that end no week went too; the Sunday 23rd's stays.
    assert D(2026, 8, 13) not in left and D(2026, 8, 23) in left


@on_postgresql
def test_on_postgresql_lines_of_a_day_without_a_partition_move_into_the_one_created_for_it(network):
    day = D(2026, 5, 6)
    line = ScorecardLineFactory(scorecard__run=published_day(day).published_run, scorecard__unit=network["GZ0101"])
    assert rows_in(DEFAULT_PARTITION) == 1

    assert line_partitions_ensure([day, day]) == [day]

    assert (rows_in(DEFAULT_PARTITION), rows_in(partition_name(day))) == (0, 1)
    assert ScorecardLine.objects.get(pk=line.pk).date == day
    # Asked again, it creates nothing.
    assert line_partitions_ensure([day]) == []


def test_the_lines_are_partitioned_on_postgresql_and_one_plain_table_elsewhere(august):
    if connection.vendor == "postgresql":
        assert line_partitions()
    else:
        assert line_partitions() == {} and line_partitions_ensure([PRUNED]) == []


# -- a day rolled up again: its lines by run ---------------------------------------------------------


def gz0101_customers_served(day: datetime.date) -> dict[str, str]:
    """GZ0101's customers_served lines of the day's published scorecards, by period kind."""
    lines = ScorecardLine.objects.filter(
        date=day,
        scorecard__run__in=RollupRun.objects.filter(status=RollupRun.Status.PUBLISHED, date=day),
        scorecard__unit__code="GZ0101",
        scorecard__staff=None,
        metric__code="customers_served",
    )
    return {line.scorecard.period: f"{line.actual:.0f}" for line in lines.select_related("scorecard")}


def rolled_up_again_with_a_late_fact(day: datetime.date, on_commit) -> tuple[RollupRun, RollupRun]:
    """The day's published run, then the run of the day rolled up again after its fact went 100 → 130,
    with what its publication does once it commits (`on_commit`: django_capture_on_commit_callbacks)."""
    first = RollupRun.objects.get(date=day, status=RollupRun.Status.PUBLISHED)
    Fact.objects.filter(date=day, unit__code="GZ0101").update(value=130)
    with on_commit(execute=True):
        again = rollup.rollup_day(day=day, today=ROLLED_ON)
    first.refresh_from_db()
    return first, again


def test_a_day_rolled_up_again_keeps_exactly_the_new_runs_lines(august, django_capture_on_commit_callbacks):
    before = {"day": "100", "week": "100", "month": "200", "quarter": "200", "year": "200"}
    assert gz0101_customers_served(PRUNED) == before

    first, again = rolled_up_again_with_a_late_fact(PRUNED, django_capture_on_commit_callbacks)

    assert (first.status, again.status) == (RollupRun.Status.SUPERSEDED, RollupRun.Status.PUBLISHED)
    # Wednesday the 12th: its week began on Monday the 10th, its month also counts Sunday the 9th's 100.
    after = {"day": "130", "week": "130", "month": "230", "quarter": "230", "year": "230"}
    assert gz0101_customers_served(PRUNED) == after
    # Every line of the day is the new run's, as many as it wrote; none of the first run's is left.
    assert lines_on(PRUNED) == again.lines > 0
    assert set(ScorecardLine.objects.filter(date=PRUNED).values_list("scorecard__run_id", flat=True)) == {again.pk}


@on_postgresql
def test_on_postgresql_each_run_writes_its_lines_into_a_table_of_its_own_and_a_new_run_drops_the_superseded_one(
    august, django_capture_on_commit_callbacks
):
    first = RollupRun.objects.get(date=PRUNED, status=RollupRun.Status.PUBLISHED)
    assert [(day, run) for day, run, _name in run_tables() if day == PRUNED] == [(PRUNED, first.pk)]
    assert rows_in(run_table_name(PRUNED, first.pk)) == first.lines

    _first, again = rolled_up_again_with_a_late_fact(PRUNED, django_capture_on_commit_callbacks)

    # The superseded run's table went once the publication committed; the new run's holds the day.
    assert [name for day, _run, name in run_tables() if day == PRUNED] == [run_table_name(PRUNED, again.pk)]
    assert rows_in(run_table_name(PRUNED, again.pk)) == again.lines == lines_on(PRUNED)
    # Its lines' ids are in its block: run × 2**40 onwards.
    low, high = id_block(again.pk)
    assert (low, high) == (again.pk * 2**40, again.pk * 2**40 + 2**28)
    ids = ScorecardLine.objects.filter(date=PRUNED).values_list("pk", flat=True)
    assert low <= min(ids) and max(ids) < high
    assert rows_in(f"{partition_name(PRUNED)}_default") == 0


@on_postgresql
def test_on_postgresql_a_run_that_dies_while_writing_its_lines_leaves_no_table_and_the_day_as_it_was(
    august, monkeypatch
):
    first = RollupRun.objects.get(date=PRUNED, status=RollupRun.Status.PUBLISHED)
    dead = rolled_up_again_and_killed_after(monkeypatch, "run_lines_write")

    assert dead.status == RollupRun.Status.FAILED
    assert [run for day, run, _name in run_tables() if day == PRUNED] == [first.pk]
    assert gz0101_customers_served(PRUNED)["day"] == "100"


def test_a_superseded_runs_scorecards_and_running_totals_go_once_the_publication_has_committed_not_inside_it(
    august, django_capture_on_commit_callbacks
):
    first = RollupRun.objects.get(date=PRUNED, status=RollupRun.Status.PUBLISHED)
    cards, states = Scorecard.objects.filter(run=first).count(), RollupState.objects.filter(run=first).count()
    assert cards > 0 and states > 0
    Fact.objects.filter(date=PRUNED, unit__code="GZ0101").update(value=130)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = rollup.rollup_day(day=PRUNED, today=ROLLED_ON)
    # Published, and the first run superseded, with its rows still there: the publication deleted none.
    first.refresh_from_db()
    assert (first.status, again.status) == (RollupRun.Status.SUPERSEDED, RollupRun.Status.PUBLISHED)
    assert Scorecard.objects.filter(run=first).count() == cards
    assert RollupState.objects.filter(run=first).count() == states
    assert gz0101_customers_served(PRUNED)["day"] == "130"

    for callback in callbacks:
        callback()
    assert not Scorecard.objects.filter(run=first).exists()
    assert not RollupState.objects.filter(run=first).exists()
    assert not ScorecardLine.objects.filter(date=PRUNED, scorecard__run=first).exists()
    assert Scorecard.objects.filter(run=again).count() == again.scorecards


@on_postgresql
def test_on_postgresql_retention_removes_what_a_superseded_run_left_when_its_publications_cleanup_never_ran(
    august, monkeypatch, django_capture_on_commit_callbacks
):
    # The worker died between the publication's commit and its cleanup (kpi.retention.passed_by_discard).
    monkeypatch.setattr(rollup, "passed_by_discard", lambda days=None: set())
    first, again = rolled_up_again_with_a_late_fact(PRUNED, django_capture_on_commit_callbacks)
    assert sorted(run for day, run, _name in run_tables() if day == PRUNED) == [first.pk, again.pk]
    assert Scorecard.objects.filter(run=first).exists() and RollupState.objects.filter(run=first).exists()
    # Left there, the superseded rows are read by nobody: the day's lines through its published run.
    assert gz0101_customers_served(PRUNED)["day"] == "130"
    monkeypatch.undo()

    # Within the retention days: no day is pruned, what the superseded run left goes, the published stays.
    assert scorecards_prune(today=ROLLED_ON) == []

    assert [run for day, run, _name in run_tables() if day == PRUNED] == [again.pk]
    assert not Scorecard.objects.filter(run=first).exists() and not RollupState.objects.filter(run=first).exists()
    assert Scorecard.objects.filter(run=again).count() == again.scorecards
    assert {SUNDAY_BEFORE, SUNDAY_AFTER} <= {day for day, _run, _name in run_tables()}
    # The superseded run is marked emptied; run again, the retention looks at no run.
    first.refresh_from_db()
    again.refresh_from_db()
    assert first.discarded_at is not None and again.discarded_at is None
    with CaptureQueriesContext(connection) as queries:
        assert passed_by_discard() == set()
    assert not [query for query in queries if query["sql"].startswith("DELETE")]


@on_postgresql
def test_on_postgresql_a_line_written_outside_a_run_table_lands_in_its_days_default_sub_partition(august):
    run = RollupRun.objects.get(date=PRUNED, status=RollupRun.Status.PUBLISHED)
    ScorecardLineFactory(scorecard__run=run, scorecard__unit=august["GZ0102"])

    assert rows_in(f"{partition_name(PRUNED)}_default") == 1
    assert rows_in(run_table_name(PRUNED, run.pk)) == run.lines


@on_postgresql
def test_on_postgresql_the_ids_of_a_run_tables_lines_and_of_the_running_totals_are_taken_a_thousand_at_a_time(
    august,
):
    run = RollupRun.objects.get(date=PRUNED, status=RollupRun.Status.PUBLISHED)
    sequences = [f'"{run_table_name(PRUNED, run.pk)}_id_seq"', "kpi_rollupstate_id_seq"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seqrelid::regclass::text, seqcache FROM pg_sequence WHERE seqrelid = ANY(%s::regclass[])",
            [sequences],
        )
        assert sorted(cache for _name, cache in cursor.fetchall()) == [1000, 1000]
    # Within the run, its lines' ids still rise from the start of its block, one after another.
    first, _end = id_block(run.pk)
    ids = sorted(ScorecardLine.objects.filter(date=PRUNED).values_list("pk", flat=True))
    assert ids == list(range(first, first + run.lines))


# -- the running totals by run ------------------------------------------------------------------------------


def states_tables_of(run: RollupRun) -> list[tuple[int, str]]:
    return [(slot, name) for run_id, slot, name in partitions.states_tables() if run_id == run.pk]


@on_postgresql
def test_on_postgresql_each_run_keeps_its_running_totals_in_a_table_of_its_own_in_its_block_of_ids(august):
    run = RollupRun.objects.get(date=PRUNED, status=RollupRun.Status.PUBLISHED)
    own = RollupState.objects.filter(run=run, as_of=None).count()
    assert own > 0
    # Slot 0, the single-process rollup's (a fanned-out part's own in its slot, its mirror ones 2,048 above).
    assert states_tables_of(run) == [(0, f"kpi_rollupstate_r{run.pk}_0")]
    assert rows_in(f"kpi_rollupstate_r{run.pk}_0") == own
    assert rows_in(partitions.STATES_PLAIN) == 0
    low, high = id_block(run.pk)
    ids = RollupState.objects.filter(run=run).values_list("pk", flat=True)
    assert low <= min(ids) and max(ids) < high
    # The own ones are below the run's mirror slots, which begin 2**11 blocks of 2**28 ids above.
    assert partitions.states_slot(0, mirror=True) == 2048
    assert id_block(run.pk, 2048)[0] == low + 2048 * 2**28


@on_postgresql
def test_on_postgresql_a_read_of_a_runs_running_totals_reads_that_runs_table_alone(august):
    runs = list(RollupRun.objects.filter(status=RollupRun.Status.PUBLISHED).order_by("date"))
    assert len(runs) == 3
    queryset = rollup.states_of([runs[1].pk], own=True)

    with connection.cursor() as cursor:
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"kpi_rollupstate_r{runs[1].pk}_0" in plan
    assert f"kpi_rollupstate_r{runs[0].pk}_0" not in plan and f"kpi_rollupstate_r{runs[2].pk}_0" not in plan
    assert queryset.count() == RollupState.objects.filter(run=runs[1], as_of=None).count()
    # Nor the run's mirror ones: there are none, and a read of them finds none.
    assert not rollup.states_of([runs[1].pk], own=False).exists()


@on_postgresql
def test_on_postgresql_a_superseded_runs_table_of_running_totals_is_dropped_after_the_publication(
    august, django_capture_on_commit_callbacks
):
    first, again = rolled_up_again_with_a_late_fact(PRUNED, django_capture_on_commit_callbacks)

    assert states_tables_of(first) == []
    assert states_tables_of(again) == [(0, f"kpi_rollupstate_r{again.pk}_0")]
    assert rows_in(f"kpi_rollupstate_r{again.pk}_0") == RollupState.objects.filter(run=again).count() > 0


@on_postgresql
def test_on_postgresql_a_run_that_dies_after_attaching_its_running_totals_leaves_no_table_of_them(august, monkeypatch):
    first = RollupRun.objects.get(date=PRUNED, status=RollupRun.Status.PUBLISHED)
    # Killed after the last step of its write: its running totals attached.
    dead = rolled_up_again_and_killed_after(monkeypatch, "states_attach")

    assert dead.status == RollupRun.Status.FAILED
    assert states_tables_of(dead) == [] and not RollupState.objects.filter(run=dead).exists()
    assert states_tables_of(first) == [(0, f"kpi_rollupstate_r{first.pk}_0")]


@on_postgresql
def test_on_postgresql_a_table_of_running_totals_a_cleanup_left_goes_at_the_next_one_and_a_plain_row_with_it(
    august,
):
    run = RollupRun.objects.get(date=PRUNED, status=RollupRun.Status.PUBLISHED)
    own = rows_in(f"kpi_rollupstate_r{run.pk}_0")
    # A row written otherwise (as before migration 0035) lands in the plain partition, below every block.
    extra = RollupState.objects.create(
        run=run, unit=august["GZ0102"], metric=Metric.objects.get(code="customers_served")
    )
    assert extra.pk < partitions.STATES_PLAIN_END and rows_in(partitions.STATES_PLAIN) == 1
    assert RollupState.objects.filter(run=run).count() == own + 1
    # Passed by, as if its publication's cleanup never ran: the next cleanup drops its table, and deletes
    # its row in the plain partition.
    RollupDay.objects.filter(date=PRUNED).update(published_run=None)
    RollupRun.objects.filter(pk=run.pk).update(status=RollupRun.Status.SUPERSEDED)

    assert partitions.states_tables_passed_by_drop() == own + 1
    assert states_tables_of(run) == [] and rows_in(partitions.STATES_PLAIN) == 0
    assert partitions.states_tables_passed_by_drop() == 0


@on_postgresql
def test_on_postgresql_a_runs_running_totals_are_attached_after_its_lines_at_the_end_of_its_write(august):
    # An ATTACH holds its parent until the commit: a fanned-out day's parts load side by side and attach last.
    Fact.objects.filter(date=PRUNED, unit__code="GZ0101").update(value=130)
    with CaptureQueriesContext(connection) as queries:
        again = rollup.rollup_day(day=PRUNED, today=ROLLED_ON)

    statements = [query["sql"] for query in queries]
    attaches = [index for index, sql in enumerate(statements) if "ATTACH PARTITION" in sql]
    states_attach = [index for index in attaches if statements[index].startswith('ALTER TABLE "kpi_rollupstate"')]
    lines_attach = [index for index in attaches if index not in states_attach]
    assert len(states_attach) == 1 and len(lines_attach) == 1
    assert f"kpi_rollupstate_r{again.pk}_0" in statements[states_attach[0]]
    assert lines_attach[0] < states_attach[0]
    # Loaded before the scorecards and lines: its table created first of the run's.
    created = [index for index, sql in enumerate(statements) if sql.startswith("CREATE TABLE")]
    assert f"kpi_rollupstate_r{again.pk}_0" in statements[created[0]]
