"""Scorecard lines by day (kpi.partitions) and the retention that prunes them (kpi.retention.scorecards_prune).

Calendar: 2026-08-09 and 2026-08-16 are Sundays (week ends, kept for good); Wednesday the 12th is more
than SCORECARD_RETENTION_DAYS (62) before 2 December, so once that day comes its scorecards go. The
three days are rolled up on 20 August, when every day still keeps its scorecards.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from kpi.models import RollupRun, Scorecard, ScorecardLine
from kpi.partitions import DEFAULT_PARTITION, line_partitions, line_partitions_ensure, partition_name
from kpi.retention import scorecards_not_kept, scorecards_prune
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
