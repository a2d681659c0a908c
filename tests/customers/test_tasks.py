"""The tiering's Celery tasks and schedule (customers/tasks.py) and the tier_customers command, on the
hand-worked population of tests/customers/conftest.py (five customers with October snapshots, C4 of
them private banking)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from customers.models import CustomerMonth, TieringRun, TierMigration
from customers.tasks import tiering_last_month, tiering_month, tiering_pending
from kpi.models import Fact, IngestBatch

OCT = datetime.date(2026, 10, 1)
OCT_31 = datetime.date(2026, 10, 31)


@pytest.fixture(autouse=True)
def _english():
    """The messages asserted below are the English source texts (every test starts in Chinese)."""
    with translation.override("en"):
        yield


def october_tiers() -> dict[str, str]:
    return dict(CustomerMonth.objects.filter(month=OCT).values_list("customer__code", "tier_code"))


def october_facts() -> dict[tuple, object]:
    rows = Fact.objects.filter(date=OCT_31).values_list("unit__code", "staff__code", "metric__code", "value")
    return {(unit, staff, metric): value for unit, staff, metric, value in rows}


def test_the_task_tiers_a_month_and_running_it_twice_changes_nothing(population):
    first = tiering_month.delay("2026-10-01").get()
    tiers, facts = october_tiers(), october_facts()

    second = tiering_month.delay("2026-10").get()

    assert (first["status"], first["customers"]) == ("done", 5)
    assert tiers == {"C1": "star2", "C2": "star4", "C3": "star1", "C4": "private", "C6": "star1"}
    assert facts[("GZ0101", None, "premium_customers")] == 2  # C2 四星 and C4 私行
    assert (second["status"], second["customers"]) == ("done", 5)
    assert october_tiers() == tiers
    assert october_facts() == facts
    again = IngestBatch.objects.filter(source=IngestBatch.Source.TIERING).order_by("pk").last()
    assert (again.created, again.updated) == (0, 0)


def test_the_task_skips_a_month_without_snapshots_instead_of_counting_everyone_lost(population):
    tiering_month.delay("2026-10").get()

    result = tiering_month.delay("2026-09").get()

    assert result["skipped"].startswith("2026-09 has no AUM snapshots")
    assert TieringRun.objects.filter(month=datetime.date(2026, 9, 1)).count() == 0


def test_the_monthly_task_tiers_the_month_just_ended(population, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: datetime.date(2026, 11, 1))

    result = tiering_last_month.delay().get()

    assert result["month"] == "2026-10"
    assert TieringRun.objects.get().month == OCT


def test_the_schedule_tiers_what_is_pending_every_night_at_four_before_the_morning_rollup():
    # Every night rather than on the 1st only (issue 13): a missed 1st, or snapshots that come in late,
    # are tiered the next night; on the 1st at 04:00 that is the month just ended.
    entry = settings.CELERY_BEAT_SCHEDULE["customers-tiering-nightly"]
    schedule = entry["schedule"]

    assert entry["task"] == "customers.tasks.tiering_pending"
    assert (len(schedule.day_of_month), schedule.hour, schedule.minute) == (31, {4}, {0})
    assert settings.ROLLUP_HOUR > 4


# -- the command -------------------------------------------------------------------------------------


def tier(*arguments: str) -> str:
    out = io.StringIO()
    call_command("tier_customers", *arguments, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_tiers_a_month(population):
    output = tier("--month", "2026-10")

    run = TieringRun.objects.get()
    assert output == f"2026-10: 5 customers tiered (run {run.pk})\n"
    assert october_tiers()["C4"] == "private"


def test_the_command_tiers_several_months_oldest_first(population):
    from tests.customers.factories import SnapshotFactory

    for customer in population.values():
        SnapshotFactory(customer=customer, month=datetime.date(2026, 9, 1))

    output = tier("--from", "2026-09", "--to", "2026-10")

    assert [line.split(":")[0] for line in output.splitlines()] == ["2026-09", "2026-10"]
    assert list(TieringRun.objects.order_by("started_at", "pk").values_list("month", flat=True)) == [
        datetime.date(2026, 9, 1),
        OCT,
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--month", "2026/10"), "'2026/10' is not a month"),
        (("--month", "2026-08"), "2026-08 has no AUM snapshots"),
        (("--month", "2099-01"), "2099-01 has not ended yet"),
        (("--from", "2026-10"), "--from and --to go together"),
        (("--from", "2026-10", "--to", "2026-09"), "--to 2026-09 is before --from 2026-10"),
        ((), "Give either --month M or --from A --to B"),
    ],
)
def test_the_command_refuses_what_it_cannot_tier(population, arguments, message):
    with pytest.raises(CommandError, match=message):
        tier(*arguments)
    assert not TieringRun.objects.exists()


# -- catch-up: every month not yet tiered (issue 13) -------------------------------------------------------


def test_a_month_whose_night_was_missed_is_tiered_by_the_next_nightly_run(population, monkeypatch):
    # The night of 1 November was missed (the beat was down): on the 2nd, October is still to do.
    monkeypatch.setattr(timezone, "localdate", lambda *args: datetime.date(2026, 11, 2))

    results = tiering_pending.delay().get()

    assert [(result["month"], result["status"]) for result in results] == [("2026-10", "done")]
    # Done: the next night has nothing to tier.
    assert tiering_pending.delay().get() == []


def test_the_nightly_run_tiers_every_month_after_the_latest_tiered_oldest_first(population):
    from customers.services.runs import tiering_pending_months

    TieringRun.objects.create(month=datetime.date(2026, 7, 1), status=TieringRun.Status.DONE)

    assert tiering_pending_months(today=datetime.date(2026, 11, 2)) == [
        datetime.date(2026, 8, 1),
        datetime.date(2026, 9, 1),
        OCT,
    ]


def test_a_month_whose_snapshots_came_late_is_tiered_after_a_later_month_and_that_month_again(population, monkeypatch):
    # September was tiered; October's snapshots were not in on the night of 2 December, November's were:
    # November was tiered from an empty October (all five of its customers "new"). October's came on the
    # 3rd: that night tiers October (was: nothing after the latest month tiered, November) and November
    # again, whose migrations start from October.
    TieringRun.objects.create(month=datetime.date(2026, 9, 1), status=TieringRun.Status.DONE)
    tiering_month.delay("2026-11").get()
    november = datetime.date(2026, 11, 1)
    assert new_and_lost(november) == (5, 0)
    monkeypatch.setattr(timezone, "localdate", lambda *args: datetime.date(2026, 12, 3))

    results = tiering_pending.delay().get()

    assert [(result["month"], result["status"]) for result in results] == [("2026-10", "done"), ("2026-11", "done")]
    assert october_tiers() == {"C1": "star2", "C2": "star4", "C3": "star1", "C4": "private", "C6": "star1"}
    # October → November: C5 is new (no October snapshot), C4 lost (none in November).
    assert new_and_lost(november) == (1, 1)
    assert tiering_pending.delay().get() == []


def new_and_lost(month: datetime.date) -> tuple[int, int]:
    migrations = TierMigration.objects.filter(month=month)
    new = sum(migrations.filter(from_code="").values_list("customers", flat=True))
    return new, sum(migrations.filter(to_code="").values_list("customers", flat=True))


def test_a_tiering_run_whose_worker_died_is_reaped_and_a_new_run_takes_the_month_over(population, settings):
    from customers.services.runs import tiering_runs_reap

    settings.RUN_STALE_AFTER = 600
    dead = TieringRun.objects.create(month=OCT, heartbeat_at=timezone.now() - datetime.timedelta(minutes=30))
    alive = TieringRun.objects.create(month=OCT, heartbeat_at=timezone.now() - datetime.timedelta(minutes=1))
    assert tiering_runs_reap() == [dead.pk]

    # Another worker dies before the reaper's next round; its task is redelivered and starts a new run,
    # which takes the month over from it.
    dying = TieringRun.objects.create(month=OCT, heartbeat_at=timezone.now() - datetime.timedelta(minutes=20))
    result = tiering_month.delay("2026-10").get()

    statuses = dict(TieringRun.objects.values_list("pk", "status"))
    assert (statuses[dead.pk], statuses[dying.pk], statuses[alive.pk], statuses[result["run"]]) == (
        "failed",
        "failed",
        "running",
        "done",
    )
    assert (
        TieringRun.objects.get(pk=dying.pk).message
        == f"reaped: its worker stopped; run {result['run']} took the month over"
    )
    assert TieringRun.objects.get(pk=result["run"]).heartbeat_at is not None
