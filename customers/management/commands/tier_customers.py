from __future__ import annotations

import datetime
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from customers.services import tiering
from customers.services.runs import months_between, tiering_month_problem
from lib.periods import parse_month


class Command(BaseCommand):
    help = (
        "Tier the customers of a month (--month 2026-11) or of several (--from 2026-09 --to 2026-11, oldest "
        "first, since each month's migrations start from the month before): tiers by the scheme in force, "
        "migrations per outlet and relationship manager, and the tier counts as facts on the month's last "
        "day. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="the month, YYYY-MM")
        parser.add_argument("--from", dest="first", help="first month, YYYY-MM")
        parser.add_argument("--to", dest="last", help="last month, YYYY-MM")

    def handle(self, *args, month=None, first=None, last=None, **options):
        months = self._months(month, first, last)
        problems = [problem for day in months if (problem := tiering_month_problem(day))]
        if problems:
            raise CommandError(" ".join(problems))
        for day in months:
            # tqdm on the real stderr (Django's wrapper would end every redraw with a newline); it switches
            # itself off when that is not a terminal.
            with tqdm(total=100, desc=f"{day:%Y-%m}", unit="%", file=sys.stderr, disable=None) as bar:

                def progress(percent: int, message: str) -> None:
                    bar.set_postfix_str(message, refresh=False)
                    bar.update(max(0, percent - bar.n))

                try:
                    run = tiering.tiering_run(month=day, progress=progress)
                except ValueError as exc:  # no scheme in force, a scheme without tiers
                    raise CommandError(str(exc))
                bar.update(100 - bar.n)
            self.stdout.write(f"{day:%Y-%m}: {run.customers} customers tiered (run {run.pk})")

    def _months(self, month, first, last) -> list[datetime.date]:
        if bool(month) == bool(first or last):
            raise CommandError("Give either --month M or --from A --to B.")
        try:
            if month:
                return [parse_month(month, first_day=True)]
            if not (first and last):
                raise CommandError("--from and --to go together.")
            start, end = parse_month(first, first_day=True), parse_month(last, first_day=True)
        except ValueError as exc:
            raise CommandError(str(exc))
        if end < start:
            raise CommandError(f"--to {end:%Y-%m} is before --from {start:%Y-%m}.")
        return months_between(start, end)
