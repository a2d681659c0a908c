from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from kpi.models import MonthClose
from kpi.services.closing import MonthCloseError, month_close, month_reopen
from lib.periods import PeriodKind, parse_month, period_of


class Command(BaseCommand):
    help = (
        "Close a month (its scorecards frozen as the basis of performance pay), or reopen it with --reopen. "
        "Closing needs the month to have ended and its last day to be rolled up. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="the month, as 2026-10")
        parser.add_argument("--reopen", action="store_true", help="reopen the month instead of closing it")
        parser.add_argument("--by", help="username recorded as having done it (an HQ administrator)")

    def handle(self, *args, month: str, reopen: bool = False, by: str | None = None, **options):
        try:
            period = period_of(PeriodKind.MONTH, parse_month(month))
        except ValueError as exc:
            raise CommandError(str(exc))
        user = None
        if by:
            user = get_user_model().objects.filter(username=by).first()
            if user is None:
                raise CommandError(f"No user '{by}'.")
        try:
            if reopen:
                if not MonthClose.objects.closed(period.start).exists():
                    self.stdout.write(f"{period.code} is not closed: nothing to do.")
                    return
                month_reopen(month=period.start, by=user)
                self.stdout.write(f"{period.code} reopened: its stale days are rolled up again.")
                return
            if MonthClose.objects.closed(period.start).exists():
                self.stdout.write(f"{period.code} is already closed: nothing to do.")
                return
            month_close(month=period.start, by=user)
        except (MonthCloseError, PermissionDenied) as refused:
            raise CommandError(str(refused))
        self.stdout.write(f"{period.code} closed.")
