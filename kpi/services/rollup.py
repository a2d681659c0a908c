"""The rollup: facts in, scorecards out (DOMAIN.md §3–4). See rollup_day()."""

from __future__ import annotations

import datetime

from django.utils import timezone

from kpi.models import RollupDay


def days_mark_stale(*, first_date: datetime.date) -> int:
    """A fact on `first_date` changed: every published day from then on must be recomputed.

    Every later day, not only those of the same periods, because a stock carries forward: a corrected
    balance on 31 December is also the opening balance of next year's net change. Returns the number of
    days marked; the next rollup (rollup_pending) recomputes them in order.
    """
    return RollupDay.objects.filter(date__gte=first_date, stale_since=None).update(stale_since=timezone.now())
