"""How notify listens to kpi (connected in NotifyConfig.ready(), never imported by kpi)."""

from __future__ import annotations

import datetime

from django.db import transaction

from notify.tasks import push_day


def push_published_day(sender, *, day: datetime.date, **kwargs) -> None:
    """kpi.signals.day_published: push the day's summary to the channels, in a worker.

    Queued once the publication's transaction has committed (at once, when kpi sends the signal after
    its commit, as it does): the rollup never waits for a chat robot, and a channel that fails is the
    delivery's failure, not the rollup's. Robust: a broker that is down is logged, never raised into
    whoever committed."""
    transaction.on_commit(lambda: push_day.delay(day.isoformat()), robust=True)
