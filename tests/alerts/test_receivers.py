"""alerts listens to kpi (alerts.receivers, connected in AlertsConfig.ready()); kpi never calls alerts."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest

from kpi.models import RollupDay
from kpi.signals import day_published

DAY = datetime.date(2026, 11, 24)
pytestmark = pytest.mark.django_db


def test_a_day_kpi_announces_as_published_queues_the_evaluation_of_that_day():
    # Connected by AlertsConfig.ready() as Django starts: nothing here connects it.
    with mock.patch("alerts.receivers.evaluate_day") as evaluate_day:
        day_published.send(sender=RollupDay, day=DAY, run=None)

    evaluate_day.delay.assert_called_once_with("2026-11-24")
