from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kpi.models import RollupRun
from kpi.services import rollup
from lib.periods import days_between, parse_date


class Command(BaseCommand):
    help = (
        "Roll facts up into scorecards: one day (--date), a range (--from/--to), or every pending day "
        "(stale after late facts, or not rolled up yet) with --pending. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="business date YYYY-MM-DD")
        parser.add_argument("--from", dest="first", help="first business date YYYY-MM-DD")
        parser.add_argument("--to", dest="last", help="last business date YYYY-MM-DD")
        parser.add_argument("--pending", action="store_true", help="every stale or new day up to the latest fact")

    def handle(self, *args, date=None, first=None, last=None, pending=False, **options):
        days = self._days(date, first, last, pending)
        if not days:
            self.stdout.write("Nothing to roll up.")
            return
        with tqdm(total=len(days), unit="day", disable=None, file=self.stderr) as bar:
            for day in days:
                bar.set_description(str(day))
                run = rollup.rollup_day(day=day)
                bar.update(1)
                if run.status != RollupRun.Status.PUBLISHED:
                    self.stdout.write(f"{day}: {run.get_status_display()} ({run.message})")
                    continue
                self.stdout.write(
                    f"{day}: published run {run.pk} ({run.scorecards} scorecards, {run.lines} lines"
                    f"{', from the day before' if run.chained else ', rebuilt from the start of the year'})"
                )

    def _days(self, date, first, last, pending) -> list[datetime.date]:
        chosen = [bool(date), bool(first or last), pending]
        if sum(chosen) != 1:
            raise CommandError("Give exactly one of --date D, --from A --to B, or --pending.")
        try:
            if date:
                return [parse_date(date)]
            if first or last:
                if not (first and last):
                    raise CommandError("--from and --to go together.")
                start, end = parse_date(first), parse_date(last)
                if end < start:
                    raise CommandError(f"--to {end} is before --from {start}.")
                return days_between(start, end)
        except ValueError as exc:
            raise CommandError(str(exc))
        return rollup.pending_days()
