"""Which months the tiering may run for: shared by the command, the admin and the Celery tasks, so each
door refuses the same months with the same words."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Snapshot
from customers.services.tiering import month_end, month_start


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = month_start(month_end(month) + datetime.timedelta(days=1))
    return months


def tiering_month_problem(month: datetime.date) -> str | None:
    """Why the tiering of `month` should not run now, or None.

    A month that has not ended has no final snapshots, and a month without any snapshot would record
    every customer of the month before as lost: the tiering of such a month is refused rather than run.
    """
    month = month_start(month)
    if month_end(month) >= timezone.localdate():
        return _("%(month)s has not ended yet; its customers are tiered from the 1st of the next month.") % {
            "month": f"{month:%Y-%m}"
        }
    if not Snapshot.objects.filter(month=month).exists():
        return _("%(month)s has no AUM snapshots; import them first (import_csv customer_snapshots FILE).") % {
            "month": f"{month:%Y-%m}"
        }
    return None
