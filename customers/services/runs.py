"""Which months the tiering may run for: shared by the command, the admin and the Celery tasks, so each
door refuses the same months with the same words."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Snapshot
from customers.services.tiering import month_end, month_start

_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")


def parse_month(text: str) -> datetime.date:
    """'2026-11' (or '2026-11-01') → 2026-11-01; ValueError says what was expected."""
    match = _MONTH.match((text or "").strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(_("'%(text)s' is not a month (expected YYYY-MM, such as 2026-11)") % {"text": text})
    return datetime.date(int(match[1]), int(match[2]), 1)


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
