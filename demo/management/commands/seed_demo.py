from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from alerts import receivers as alerts_receivers
from alerts.models import ACTIVE_STATUSES, Alert, PeriodDone, WeeklyReview
from alerts.services.catch_up import alerts_evaluate_recorded
from alerts.services.reviews import weekly_reviews_create
from campaigns import receivers as campaigns_receivers
from demo import activity as demo_activity
from demo import calendar as demo_calendar
from demo import campaigns as demo_campaigns
from demo import checklists as demo_checklists
from demo import credit as demo_credit
from demo import customers as demo_customers
from demo import facts as demo_facts
from demo import ledger as demo_ledger
from demo import meetings as demo_meetings
from demo import network as demo_network
from demo import notes as demo_notes
from demo import outreach as demo_outreach
from demo import pay as demo_pay
from demo import plans as demo_plans
from demo import push as demo_push
from demo import registers as demo_registers
from demo import scorecard_templates as demo_templates
from demo import territories as demo_territories
from demo.progress import StepReporter
from demo.stamp import stamp_complete, stamp_find, stamp_record, stamps_forget
from kpi.models import RollupDay
from kpi.signals import day_published
from lib.periods import PeriodKind, days_between, parse_date, period_of
from notify import receivers as notify_receivers

# What `--recent-first` rolls up before the command returns: a week, so the scorecard, the week view
# and the bulletin's day-on-day movement are there when the server starts.
RECENT_DAYS = 7
ALERTS_RECEIVER = "alerts.evaluate_published_day"
PUSH_RECEIVER = "notify.push_published_day"
CAMPAIGNS_RECEIVER = "campaigns.refresh_running"


class Command(BaseCommand):
    help = (
        "Fill the database with the demo network (HQ, 3 branches, sub-branches, outlets, staff, peer "
        "groups), the demo logins, then about 120 days of facts and the targets of their periods, customers "
        "with three months of AUM snapshots tiered month by month, all rolled up, and the alerts. Safe to "
        "run again: the same options and the same generator find the demo seeded and write nothing "
        "(--force goes through it all again, which changes nothing either). Progress goes to stderr: bars "
        "on a terminal, a line per step otherwise."
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
        parser.add_argument(
            "--recent-first",
            action="store_true",
            dest="recent_first",
            help=f"roll up only the last {RECENT_DAYS} days now; leave the earlier days and the alerts to "
            "--rest (make run serves the demo while they run)",
        )
        parser.add_argument(
            "--rest",
            action="store_true",
            help="only what --recent-first left: roll up the earlier days, then evaluate the alerts in date order",
        )
        parser.add_argument("--force", action="store_true", help="seed again even if the demo is already seeded")

    def handle(
        self,
        *args,
        outlets: int,
        seed: int,
        days: int,
        end: datetime.date | None,
        no_facts: bool,
        rollup_days: int,
        recent_first: bool = False,
        rest: bool = False,
        force: bool = False,
        **options,
    ) -> None:
        if outlets < 1:
            raise CommandError(f"--outlets must be at least 1 (got {outlets})")
        if days < 1:
            raise CommandError(f"--days must be at least 1 (got {days})")
        end = end or timezone.localdate() - datetime.timedelta(days=1)
        fingerprinted = {
            "outlets": outlets,
            "seed": seed,
            "days": days,
            "end": end,
            "rollup_days": rollup_days,
            "no_facts": no_facts,
        }
        self.progress = StepReporter(self.stderr, terminal=sys.stderr.isatty(), prefix="seed_demo" + " --rest" * rest)
        if rest:
            stamp = stamp_find(fingerprinted)
            if stamp is not None and stamp.complete and not force:
                self.stdout.write("seed_demo --rest: the demo is complete, nothing left to do.")
            elif not no_facts:
                self.stdout.write(self._rest(fingerprinted))
            return

        stamp = None if force else stamp_find(fingerprinted)
        if stamp is not None:
            self.stdout.write(
                f"The demo is already seeded with these options ({_describe(fingerprinted)}): nothing to write "
                "(--force goes through it again)."
            )
            if not stamp.complete and not recent_first:
                self.stdout.write(self._rest(fingerprinted))
        else:
            self._seed(fingerprinted, recent_first=recent_first)
        self.stdout.write("")
        self.stdout.write(demo_network.format_logins_table(demo_network.demo_logins()))

    def _seed(self, options: dict, *, recent_first: bool) -> None:
        # Until this run is through, no stamp says the demo is whole (a run stopped half-way seeds again).
        stamps_forget()
        steps = [*demo_network.NETWORK_STEPS, "personas"]
        # The replicas of the benchmarks complete their transformation on rolled-up days, so the benchmark
        # page has a month before and a month after with figures.
        span = demo_facts.window(end=options["end"], days=options["days"])
        transformed = (demo_facts.rolled_up_from(span=span, rollup_days=options["rollup_days"]), span.end)
        with self.progress.steps("network", len(steps)) as advance:
            seeded = demo_network.seed_network(
                outlets=options["outlets"],
                seed=options["seed"],
                progress=advance,
                replicas_transformed=None if options["no_facts"] else transformed,
            )
            demo_network.personas_ensure(plan=seeded.plan)
            advance("personas")

        # Before the facts: the rollup that ends seed_facts scores the seeded days by these templates, and
        # paces the metrics counted in business days on this calendar.
        # The ledger's metric and items first: every staff template scores 台账积分.
        ledger_catalog = demo_ledger.seed_ledger_catalog()
        checklists_catalog = demo_checklists.seed_checklists_catalog()
        templates = demo_templates.seed_templates()
        calendar = demo_calendar.seed_calendar()
        customers: list[demo_customers.SeededCustomers] = []
        ledger: list[demo_ledger.SeededLedger] = []
        checklists: list[demo_checklists.SeededChecklists] = []
        outreach: list[demo_outreach.SeededOutreach] = []

        credit: list[demo_credit.SeededCredit] = []
        territories: list[demo_territories.SeededTerritories] = []

        def tier_customers(window, premium) -> None:
            # After the facts and before the rollup, in the same transaction: the tiering writes tier
            # counts on each month's last day, which the rollup must see; its premium customers are those
            # the facts report (the same book).
            customers.append(
                demo_customers.seed_customers(seed=options["seed"], end=window.end, bar=self.progress.bar, book=premium)
            )
            # The ledger's weeks of entries, approved and written as facts before the rollup scores them.
            ledger.append(demo_ledger.seed_ledger(plan=seeded.plan, end=window.end, seed=options["seed"]))
            # Territories, prospects and referrals (issue 18): the referral facts before the rollup scores them.
            territories.append(
                demo_territories.seed_territories(plan=seeded.plan, end=window.end, seed=options["seed"])
            )
            # A week of lobby patrols and two inspections (巡检, 检查): their facts and deductions before the rollup.
            checklists.append(demo_checklists.seed_checklists(plan=seeded.plan, end=window.end, seed=options["seed"]))
            # The call and visit lists of the tiered customers and ten days of their work, as facts too.
            with self.progress.bar("outreach lists", 1, "step") as advance:
                outreach.append(demo_outreach.seed_outreach(plan=seeded.plan, end=window.end, seed=options["seed"]))
                advance(1)
            # The complaints register of the outlet head's outlet: its counts replace the pushed
            # `complaints` facts of the days it holds, before the rollup reads them (demo.registers).
            demo_registers.seed_complaints(plan=seeded.plan, end=window.end)
            # The credit sharing rules and the shared sales (分润): the rollup credits each their part.
            with self.progress.bar("credit sharing", 1, "step") as advance:
                credit.append(demo_credit.seed_credit(seed=options["seed"], window=window))
                advance(1)

        facts = activity = meetings = registers = None
        if not options["no_facts"]:
            # A month the demo closed would refuse its facts and targets seeded again: reopened, closed after.
            demo_pay.reopen_demo_months()
            with _alerts_after_the_rollups():
                facts = demo_facts.seed_facts(
                    seed=options["seed"],
                    end=options["end"],
                    days=options["days"],
                    bar=self.progress.bar,
                    rollup_days=options["rollup_days"],
                    recent_days=RECENT_DAYS if recent_first else None,
                    before_rollup=tier_customers,
                )
            # Contests, plans and the Monday review, off the days just rolled up (before the stamp: a
            # run stopped here seeds again).
            activity = _activity_seed(options, self.progress)
            meetings = _meetings_seed(options, self.progress)
            # The judged 营销话术 PK, the rollout in 固化 and the overdue reply's alert (demo.registers).
            with self.progress.steps("registers", 1) as advance:
                registers = demo_registers.seed_registers(plan=seeded.plan, end=options["end"], seed=options["seed"])
                advance("registers")
        year_plan = push = campaigns = None
        if facts is not None:
            with self.progress.steps("target plans", 2) as advance:
                year_plan = demo_plans.seed_year_plan(end=options["end"])
                advance("year")
                year_plan += "\n" + demo_plans.seed_week_plan(end=options["end"])
                advance("week")
            with self.progress.steps("push", 1) as advance:
                push = demo_push.seed_push(end=options["end"])
                advance("channels")
            # The campaigns and their gift ledger, scored from the facts just seeded.
            with self.progress.steps("campaigns", 1) as advance:
                campaigns = demo_campaigns.seed_campaigns(plan=seeded.plan, end=options["end"], seed=options["seed"])
                advance("campaigns")
        stamp_record(options, complete=facts is None)

        self.stdout.write(demo_network.format_summary(demo_network.network_counts(), seeded=seeded))
        self.stdout.write(ledger_catalog)
        self.stdout.write(checklists_catalog)
        self.stdout.write(str(templates))
        self.stdout.write(str(calendar))
        if not options["no_facts"]:
            self.stdout.write(demo_notes.seed_notes(plan=seeded.plan, end=options["end"]))
        if facts is not None:
            self.stdout.write(str(facts))
        for seeded_customers in customers:
            self.stdout.write(str(seeded_customers))
        for seeded_ledger in ledger:
            self.stdout.write(str(seeded_ledger))
        for seeded_checklists in checklists:
            self.stdout.write(str(seeded_checklists))
        for seeded_outreach in outreach:
            self.stdout.write(str(seeded_outreach))
        for seeded_credit in credit:
            self.stdout.write(str(seeded_credit))
        for seeded_territories in territories:
            self.stdout.write(str(seeded_territories))
        if year_plan:
            self.stdout.write(year_plan)
        if push:
            self.stdout.write(push)
        if campaigns:
            self.stdout.write(str(campaigns))
        if facts is None:
            return
        self.stdout.write(str(activity))
        self.stdout.write(str(meetings))
        self.stdout.write(str(registers))
        if recent_first:
            self.stdout.write(
                "The earlier days' scorecards and the alerts are left to `manage.py seed_demo --rest` "
                "(`make run` runs it in the background while it serves)."
            )
        else:
            self.stdout.write(self._rest(options, rolled_up=False))

    def _rest(self, options: dict, *, rolled_up: bool = True) -> str:
        """The days left to roll up, then the alerts of every rolled-up day not yet evaluated, in date
        order; the stamp is then complete. What it did, as a line or two."""
        with _alerts_after_the_rollups():
            rolled = demo_facts.rollup_rest(
                end=options["end"], days=options["days"], rollup_days=options["rollup_days"], bar=self.progress.bar
            )
        span = demo_facts.window(end=options["end"], days=options["days"])
        alerts = _alerts_seed(days_between(span.start, span.end), self.progress)
        # The Monday meeting's item linked to an open alert, now that the alerts are there.
        linked = demo_meetings.link_alert_items(end=options["end"])
        with self.progress.steps("pay", 1) as advance:
            pay = demo_pay.seed_pay(end=options["end"])
            advance("last month")
        stamp_complete(options)
        lines = [alerts, linked, str(pay)]
        if rolled_up:
            done = f"{len(rolled)} days ({rolled[0]} – {rolled[-1]})" if rolled else "nothing left"
            lines.insert(0, f"Rolled up: {done}")
        return "\n".join(lines)


@contextmanager
def _alerts_after_the_rollups() -> Iterator[None]:
    """Hold back alerts' evaluation of each day the demo publishes (kpi.signals.day_published): with
    --recent-first the last days are published before the earlier ones, and the rules (N days behind
    pace, …) must see the days in date order. _alerts_seed evaluates them afterwards, in order.

    The push (notify) is held back too: seeding the demo sends nothing to any channel (demo.push
    writes the demo's deliveries as records). So are the campaigns' scores: they are computed from the
    facts, which are all in before the rollups, once (demo.campaigns), not again after every day."""
    held = day_published.disconnect(dispatch_uid=ALERTS_RECEIVER)
    held_push = day_published.disconnect(dispatch_uid=PUSH_RECEIVER)
    held_campaigns = day_published.disconnect(dispatch_uid=CAMPAIGNS_RECEIVER)
    try:
        yield
    finally:
        if held:
            day_published.connect(alerts_receivers.evaluate_published_day, dispatch_uid=ALERTS_RECEIVER)
        if held_push:
            day_published.connect(notify_receivers.push_published_day, dispatch_uid=PUSH_RECEIVER)
        if held_campaigns:
            day_published.connect(campaigns_receivers.refresh_running_campaigns, dispatch_uid=CAMPAIGNS_RECEIVER)


def _alerts_seed(window: list[datetime.date], progress: StepReporter) -> str:
    """The demo's alerts and Monday review: the rules evaluated, in date order, for every published day of
    the window not yet evaluated for the run that published it (as the rollup's signal would have), then
    the review items of the last week whose Sunday was among them (the one the next Monday meeting
    takes)."""
    published = dict(
        RollupDay.objects.filter(date__in=window).exclude(published_run=None).values_list("date", "published_run")
    )
    done = dict(
        PeriodDone.objects.filter(job=PeriodDone.Job.EVALUATION, start__in=list(published)).values_list(
            "start", "run_id"
        )
    )
    days = sorted(day for day, run_id in published.items() if done.get(day) != run_id)
    with progress.bar("alerts", len(days), "day") as advance:
        for day in days:
            alerts_evaluate_recorded(day=day)
            advance(1)
    sundays = [day for day in days if day.weekday() == 6]
    if sundays:
        weekly_reviews_create(week_start=period_of(PeriodKind.WEEK, sundays[-1]).start)
    active = Alert.objects.filter(status__in=ACTIVE_STATUSES).count()
    return f"Alerts: {active} active, {Alert.objects.count()} in all; weekly reviews: {WeeklyReview.objects.count()}"


def _activity_seed(options: dict, progress: StepReporter) -> demo_activity.SeededActivity:
    """Contests, plans and the Monday review, off the days just rolled up (demo.activity)."""
    with progress.bar("activity", 1, "step") as advance:
        seeded = demo_activity.seed_activity(seed=options["seed"], end=options["end"])
        advance(1)
    return seeded


def _meetings_seed(options: dict, progress: StepReporter) -> demo_meetings.SeededMeetings:
    """The 晨会 sheets of the last days and the Monday meetings, off the days just rolled up (demo.meetings)."""
    with progress.bar("meetings", 1, "step") as advance:
        seeded = demo_meetings.seed_meetings(seed=options["seed"], end=options["end"])
        advance(1)
    return seeded


def _describe(options: dict) -> str:
    text = f"seed {options['seed']}, {options['outlets']} outlets"
    if options["no_facts"]:
        return f"{text}, no facts"
    return f"{text}, {options['days']} days to {options['end']}"


def _date(text: str) -> datetime.date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))
