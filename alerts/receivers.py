"""How alerts listens to the apps below it (connected in AlertsConfig.ready(), never imported by them)."""

from __future__ import annotations

import datetime

from alerts.tasks import evaluate_day


def evaluate_published_day(sender, *, day: datetime.date, **kwargs) -> None:
    """kpi.signals.day_published: evaluate the alert rules against the day just published, in a worker.

    The signal is sent once the publication has committed, so the task is queued at once: the worker
    finds the new scorecards."""
    evaluate_day.delay(day.isoformat())
