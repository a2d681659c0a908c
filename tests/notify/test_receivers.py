"""notify listens to kpi (notify.receivers, connected in NotifyConfig.ready()); kpi never calls notify."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest

from kpi.models import RollupDay
from kpi.signals import day_published

pytestmark = pytest.mark.django_db


def test_a_published_day_queues_its_push_once_the_publication_commits(django_capture_on_commit_callbacks):
    with mock.patch("notify.receivers.push_day") as push_day:
        with django_capture_on_commit_callbacks() as callbacks:
            day_published.send(sender=RollupDay, day=datetime.date(2026, 11, 15), run=None)
        push_day.delay.assert_not_called()  # not before the commit

        for callback in callbacks:
            callback()

    push_day.delay.assert_called_once_with("2026-11-15")


def test_the_push_is_queued_robustly_so_a_broker_that_is_down_is_logged_not_raised_at_the_commit():
    with mock.patch("notify.receivers.transaction.on_commit") as on_commit:
        day_published.send(sender=RollupDay, day=datetime.date(2026, 11, 15), run=None)

    assert on_commit.call_args.kwargs == {"robust": True}
