"""What kpi does itself once it has announced a day published (connected in KpiConfig.ready)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction

from kpi.tasks import scorecards_warm


def scorecards_warm_queue(sender=None, *, day: datetime.date, **kwargs) -> None:
    """kpi.signals.day_published: the day's month scorecards put in the API's cache by a worker
    (API_SCORECARD_WARM_CARDS of them; none when 0), once the publication has committed. Robust: a
    broker that is down is logged, never raised into the rollup."""
    if settings.API_SCORECARD_WARM_CARDS > 0:
        transaction.on_commit(lambda: scorecards_warm.delay(day.isoformat()), robust=True)
