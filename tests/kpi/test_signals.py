"""kpi.signals.day_published: the rollup announces each day it publishes, once it has committed."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from kpi.models import Fact, Metric, MonthClose, RollupDay, RollupRun, ScorecardLine
from kpi.services import rollup
from kpi.signals import day_published

D = datetime.date
DAY = D(2026, 11, 24)
pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """Every announcement of day_published, as (sender, day, run)."""
    announcements = []

    def listen(sender, *, day, run, **kwargs):
        announcements.append((sender, day, run))

    day_published.connect(listen, dispatch_uid="tests.kpi.listen")
    yield announcements
    day_published.disconnect(dispatch_uid="tests.kpi.listen")


@pytest.fixture
def served(network):
    """GZ0101 served 10 customers on each of the 23rd and the 24th."""
    for day in (D(2026, 11, 23), DAY):
        Fact.objects.create(
            date=day, unit=network["GZ0101"], metric=Metric.objects.get(code="customers_served"), value=Decimal(10)
        )


def test_a_published_day_is_announced_once_with_the_day_and_its_published_run(
    served, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = rollup.rollup_day(day=DAY, today=DAY)

    assert len(heard) == 1
    sender, day, announced_run = heard[0]
    assert (sender, day, announced_run.pk) == (RollupDay, DAY, run.pk)
    assert announced_run.status == RollupRun.Status.PUBLISHED
    assert RollupDay.objects.get(date=DAY).published_run_id == run.pk


def test_each_day_of_a_range_is_announced_once_in_date_order(served, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        runs = rollup.rollup_range(first=D(2026, 11, 23), last=DAY)

    assert [(day, run.pk) for _sender, day, run in heard] == [(D(2026, 11, 23), runs[0].pk), (DAY, runs[1].pk)]


def test_nothing_is_announced_before_the_publication_commits(served, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rollup.rollup_day(day=DAY, today=DAY)

    assert heard == []
    callbacks[0]()
    assert [day for _sender, day, _run in heard] == [DAY]


def test_a_failing_rollup_announces_nothing(served, heard, django_capture_on_commit_callbacks, monkeypatch):
    real_insert = rollup.bulk.insert_frame

    def lines_fail(model, frame, **options):
        if model is ScorecardLine:
            raise RuntimeError("disk full")
        return real_insert(model, frame, **options)

    monkeypatch.setattr(rollup.bulk, "insert_frame", lines_fail)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError, match="disk full"):
        rollup.rollup_day(day=DAY, today=DAY)

    assert heard == []
    assert RollupRun.objects.get().status == RollupRun.Status.FAILED


def test_a_publication_rolled_back_by_an_enclosing_transaction_announces_nothing(
    served, heard, django_capture_on_commit_callbacks
):
    gives_up = pytest.raises(RuntimeError, match="caller gives up")
    with django_capture_on_commit_callbacks(execute=True), gives_up, transaction.atomic():
        rollup.rollup_day(day=DAY, today=DAY)
        raise RuntimeError("caller gives up")

    assert heard == []
    assert not RollupDay.objects.exists()


def test_a_day_of_a_closed_month_is_not_announced(served, heard, django_capture_on_commit_callbacks):
    MonthClose.objects.create(month=D(2026, 11, 1), is_closed=True)

    with django_capture_on_commit_callbacks(execute=True):
        run = rollup.rollup_day(day=DAY, today=DAY)

    assert run.status == RollupRun.Status.SKIPPED
    assert heard == []


def test_a_failing_listener_is_logged_and_neither_silences_the_others_nor_unpublishes_the_day(
    served, heard, django_capture_on_commit_callbacks, caplog
):
    def broken(sender, **kwargs):
        raise RuntimeError("listener broken")

    day_published.connect(broken, dispatch_uid="tests.kpi.broken")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = rollup.rollup_day(day=DAY, today=DAY)
    finally:
        day_published.disconnect(dispatch_uid="tests.kpi.broken")

    assert "listener broken" in caplog.text
    assert [day for _sender, day, _run in heard] == [DAY]
    assert RollupDay.objects.get(date=DAY).published_run_id == run.pk
