from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from alerts.models import ACTIVE_STATUSES, Alert, WeeklyReview
from alerts.services.evaluation import alerts_evaluate
from alerts.services.reviews import weekly_reviews_create
from demo import customers as demo_customers
from demo import facts as demo_facts
from demo import network as demo_network
from demo import scorecard_templates as demo_templates
from lib.periods import PeriodKind, parse_date, period_of


class Command(BaseCommand):
    help = (
        "Fill the database with the demo network (HQ, 3 branches, sub-branches, outlets, staff, peer "
        "groups), the demo logins, then about 120 days of facts and the targets of their periods, customers "
        "with three months of AUM snapshots tiered month by month, all rolled up. Safe to run again: the same "
        "seed changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--outlets",
            type=int,
            default=demo_network.DEFAULT_OUTLETS,
            help=f"number of outlets, about ten per sub-branch (default {demo_network.DEFAULT_OUTLETS})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo_network.DEFAULT_SEED,
            help=f"random seed (default {demo_network.DEFAULT_SEED})",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=demo_facts.DEFAULT_DAYS,
            help=f"days of facts, ending with --end (default {demo_facts.DEFAULT_DAYS})",
        )
        parser.add_argument(
            "--end", type=_date, default=None, help="last day of facts, YYYY-MM-DD (default: yesterday)"
        )
        parser.add_argument(
            "--rollup-days",
            type=int,
            default=demo_facts.DEFAULT_ROLLUP_DAYS,
            dest="rollup_days",
            help=f"days rolled up into scorecards, ending with --end (default {demo_facts.DEFAULT_ROLLUP_DAYS})",
        )
        parser.add_argument("--no-facts", action="store_true", dest="no_facts", help="the network and the logins only")

    def handle(
        self,
        *args,
        outlets: int,
        seed: int,
        days: int,
        end: datetime.date | None,
        no_facts: bool,
        rollup_days: int,
        **options,
    ) -> None:
        if outlets < 1:
            raise CommandError(f"--outlets must be at least 1 (got {outlets})")
        if days < 1:
            raise CommandError(f"--days must be at least 1 (got {days})")
        steps = [*demo_network.NETWORK_STEPS, "personas"]
        # tqdm writes to the real stderr (Django's OutputWrapper would end every redraw with a newline)
        # and switches itself off when that is not a terminal (disable=None).
        with tqdm(total=len(steps), desc="seed_demo", unit="step", file=sys.stderr, disable=None) as bar:

            def advance(step: str) -> None:
                bar.set_postfix_str(step, refresh=False)
                bar.update()

            seeded = demo_network.seed_network(outlets=outlets, seed=seed, progress=advance)
            logins = demo_network.personas_ensure(plan=seeded.plan)
            advance("personas")

        # Before the facts: the rollup that ends seed_facts scores the seeded days by these templates.
        templates = demo_templates.seed_templates()
        customers: list[demo_customers.SeededCustomers] = []

        def tier_customers(window) -> None:
            # After the facts and before the rollup, in the same transaction: the tiering writes tier
            # counts on each month's last day, which the rollup must see.
            customers.append(demo_customers.seed_customers(seed=seed, end=window.end, bar=_bar))

        facts = (
            None
            if no_facts
            else demo_facts.seed_facts(
                seed=seed, end=end, days=days, bar=_bar, rollup_days=rollup_days, before_rollup=tier_customers
            )
        )

        alerts = _alerts_seed(facts.rolled_up) if facts is not None else None

        self.stdout.write(demo_network.format_summary(demo_network.network_counts(), seeded=seeded))
        self.stdout.write(str(templates))
        if facts is not None:
            self.stdout.write(str(facts))
        for seeded_customers in customers:
            self.stdout.write(str(seeded_customers))
        if alerts is not None:
            self.stdout.write(alerts)
        self.stdout.write("")
        self.stdout.write(demo_network.format_logins_table(logins))


def _alerts_seed(days: list[datetime.date]) -> str:
    """The demo's alerts and Monday review: the rules evaluated for every rolled-up day in date order (a
    no-op for a day whose rollup already had it evaluated, as it does on commit without a broker), then
    the review items of the last week whose Sunday was rolled up (the one the next Monday meeting takes)."""
    with _bar("alerts", len(days), "day") as advance:
        for day in days:
            alerts_evaluate(day=day)
            advance(1)
    sundays = [day for day in days if day.weekday() == 6]
    if sundays:
        weekly_reviews_create(week_start=period_of(PeriodKind.WEEK, sundays[-1]).start)
    active = Alert.objects.filter(status__in=ACTIVE_STATUSES).count()
    return f"Alerts: {active} active, {Alert.objects.count()} in all; weekly reviews: {WeeklyReview.objects.count()}"


def _date(text: str) -> datetime.date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


@contextmanager
def _bar(description: str, total: int, unit: str) -> Iterator[Callable[[int], None]]:
    with tqdm(total=total, desc=description, unit=unit, file=sys.stderr, disable=None) as bar:
        yield bar.update
