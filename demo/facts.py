"""Demo facts and targets behind `manage.py seed_demo`: a network that has been trading for months.

After `seed_network` has written the units and the staff, `seed_facts` gives every active outlet about
120 days of daily facts ending yesterday, targets for the years, quarters, months and weeks of that
window (and of today), and rolls the days up, so `make run` opens on a living scorecard.

How the figures are made:

- Every outlet has a profile drawn from `random.Random(f"{seed}:outlet:{code}")`: its size by area and
  format (an urban full-service outlet holds 30,000–80,000 万元 of deposits, a township light one
  3,000–10,000), its customers per weekday, its rates (referrals, sign-ups, satisfaction, waiting) and
  a performance factor per metric around 1.0 (0.7–1.3): this year's actual ÷ its plan.
- Targets come from each outlet's own history, as a bank sets them (去年同期 × (1 + 增长)): for a flow or
  a net change, what the outlet brought in the same month a year before (its plan then at its form of
  that year, HISTORY_FORM) raised by the growth asked of it for the metric (5–15 %); for a level
  (satisfaction, waiting time, referral rates, NPL ratio), last year's level a little improved. So an
  outlet's attainment is about its performance factor: most outlets 70–130 %, a few red, a few far
  ahead. Units above outlets hold the sums of their outlets' targets and HQ's policy for the levels.
- Premium customers (三星及以上) are counted from the demo's customers (demo.customers.premium_book): the
  same people the tier pages show, reported on weekdays and on every month's last day.
- Every figure of a day comes from `random.Random(f"{seed}:{code}:{day}")` and smooth functions of the
  date, never from the day before. So a day's facts do not depend on where the window starts: seeding
  again tomorrow adds one day and changes none of the others, and the rollup has one day to do.
- Balances (`last` metrics) are reported on weekdays only and carry over the weekend.
- The year before the window is known in outline, so that year-to-date figures are whole: the outlets'
  flows as one total per stretch of days (each inside one month, dated on its last day), their
  balances every Friday, and balances on the last weekday before each period the window starts in (the
  year-end balance, 年末余额), so net changes (较年初, 较月初) have their opening value.
- Flows follow a weekday pattern (Monday and Friday busiest); full-service and smart outlets open at the
  weekend with about half the customers, light outlets are closed. Loans, merchants, visits and deposits
  won from other banks happen on business days (demo.calendar: not on public holidays, and on the
  make-up working days).
- Staff facts: the staff assigned to an outlet on a day get their part of its flows by post (tellers the
  counter referrals, lobby managers the lobby referrals, wealth managers wealth and insurance sales …),
  and the relationship managers their premium customers. Part of every flow is attributed to no
  one, so an outlet's own fact is never less than the sum of its staff's.

Everything is written through the services real data goes through (targets_import, facts_ingest with
source "demo"), so the demo passes the same validation; they are keyed upserts, so a second run with the
same seed writes nothing and leaves the rollup nothing to do.
"""

from __future__ import annotations

import datetime
import itertools
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from branches.models import Area, OrgUnit, OutletFormat, UnitKind, UnitStatus
from demo import calendar as demo_calendar
from kpi.models import IngestBatch, MonthClose, RollupDay
from kpi.services.facts import facts_ingest
from kpi.services.rollup import pending_days, rollup_day, rollup_first_date
from kpi.services.targets import targets_import
from lib.csvimport import CsvRow, ImportResult
from lib.periods import Period, PeriodKind, days_between, period_of
from staff.models import Assignment

DEFAULT_DAYS = 120
# Scorecards for the last six weeks: this month and the last (closing a month, trends, movement).
DEFAULT_ROLLUP_DAYS = 45
# How the batches of daily facts are labelled (a later run finds where the daily facts began by it).
DAILY_LABEL = "seed_demo days"
# Days of facts per facts_ingest batch: about 50,000 rows for the 120-outlet network.
CHUNK_DAYS = 10
# The plan's year zero: profile sizes are balances on this day; balances grow from it (and shrink
# before it) by the outlet's growth rate.
EPOCH = datetime.date(2026, 1, 1)

# A progress bar: called with (description, total, unit), yields a function that advances it by n.
Bar = Callable[[str, int, str], AbstractContextManager[Callable[[int], None]]]


@contextmanager
def no_bar(description: str, total: int, unit: str) -> Iterator[Callable[[int], None]]:
    yield lambda n=1: None


# -- the bank's rhythm -------------------------------------------------------------------------------

# Customers by weekday (Monday first) relative to an ordinary weekday.
WEEKDAY_TRAFFIC = (1.15, 1.0, 0.95, 0.95, 1.1, 0.55, 0.45)
# Flows by month: 开门红 in the first quarter, the Spring Festival in February, golden week in October,
# a push before the half-year and the year end.
FLOW_SEASON = (1.08, 0.9, 1.05, 1.0, 0.97, 1.03, 0.97, 0.97, 1.03, 0.94, 1.0, 1.06)
# Where in the year deposits and premium customers grow (shares of the year's growth, by month).
STOCK_SEASON = (1.4, 0.8, 1.3, 0.8, 0.9, 1.1, 0.9, 0.9, 1.1, 0.9, 0.9, 1.0)
# Flows grow a little year on year.
FLOW_TREND = 0.04

# (deposit balance in 万元 at EPOCH, customers on an ordinary weekday), each a range, by area and format.
SIZES: dict[tuple[str, str], tuple[tuple[float, float], tuple[float, float]]] = {
    (Area.URBAN, OutletFormat.FULL): ((30_000, 80_000), (180, 320)),
    (Area.URBAN, OutletFormat.LIGHT): ((8_000, 20_000), (70, 130)),
    (Area.URBAN, OutletFormat.SMART): ((10_000, 25_000), (60, 110)),
    (Area.COUNTY, OutletFormat.FULL): ((15_000, 40_000), (120, 220)),
    (Area.COUNTY, OutletFormat.LIGHT): ((5_000, 12_000), (50, 90)),
    (Area.COUNTY, OutletFormat.SMART): ((6_000, 15_000), (40, 80)),
    (Area.TOWNSHIP, OutletFormat.FULL): ((8_000, 20_000), (70, 140)),
    (Area.TOWNSHIP, OutletFormat.LIGHT): ((3_000, 10_000), (30, 70)),
    (Area.TOWNSHIP, OutletFormat.SMART): ((3_000, 9_000), (25, 60)),
}
# Individuals hold most deposits out in the townships; the city has the companies.
PERSONAL_SHARE = {Area.URBAN: (0.55, 0.75), Area.COUNTY: (0.68, 0.82), Area.TOWNSHIP: (0.8, 0.92)}
MERCHANTS_PER_WEEKDAY = {Area.URBAN: 0.4, Area.COUNTY: 0.25, Area.TOWNSHIP: 0.15}

# Level targets of the units above outlets: what HQ asks of every unit (an outlet's own come from its
# history: _level_target).
HQ_POLICY = {
    "satisfaction_rate": 88,
    "avg_wait_minutes": 10,
    "npl_ratio": 1.8,
    "lobby_referral_rate": 10,
    "counter_referral_rate": 5,
}

# Cumulative metrics with outlet targets (the amount to reach by the end of the period).
OUTLET_CUMULATIVE = (
    "deposit_growth",
    "loan_disbursed",
    "mobile_banking_signups",
    "sms_banking_signups",
    "online_banking_signups",
    "new_merchants",
    "customer_visits",
    "other_bank_deposits_won",
    "insurance_premium",
    "wealth_sales",
    "premium_customers_growth",
)

# Who is credited with a flow: (share of the outlet's flow attributed to someone, weight by post).
ATTRIBUTION: dict[str, tuple[float, dict[str, float]]] = {
    "mobile_banking_signups": (0.75, {"teller": 1.0, "lobby_manager": 1.5, "service_specialist": 1.2}),
    "lobby_referrals": (0.85, {"lobby_manager": 3.0, "service_specialist": 1.0}),
    "counter_referrals": (0.9, {"teller": 1.0}),
    "other_bank_deposits_won": (
        0.85,
        {"customer_manager": 1.0, "market_manager": 0.8, "wealth_manager": 0.8, "outlet_head": 1.0},
    ),
    "insurance_premium": (0.8, {"wealth_manager": 1.0}),
    "wealth_sales": (0.85, {"wealth_manager": 1.0}),
}
# Customer visits per weekday, by post (an outlet's total is its staff's visits and a few by no one).
VISITS_PER_WEEKDAY = {"customer_manager": 3.0, "market_manager": 4.0, "outlet_head": 1.0, "retail_supervisor": 0.8}
UNATTRIBUTED_VISITS = 0.5
# Premium customers an outlet plans to add in a year, at least (premium_yearly_growth).
PREMIUM_MIN_YEARLY = 12
# The share of premium customers (三星及以上) whose growth target goes to named managers, and how it is
# shared out between them (their customers are demo.customers'; this shares the outlet's target).
PREMIUM_BOOK = (0.75, {"wealth_manager": 1.5, "customer_manager": 1.0})
# A teller lent to a second outlet works there part of the time.
SECOND_OUTLET_WEIGHT = 0.4

# What each post is measured on in its monthly targets.
STAFF_TARGETS = {
    "teller": ("counter_referrals", "mobile_banking_signups"),
    "lobby_manager": ("lobby_referrals", "mobile_banking_signups"),
    "service_specialist": ("lobby_referrals", "mobile_banking_signups"),
    "customer_manager": ("customer_visits", "other_bank_deposits_won", "premium_customers_growth"),
    "market_manager": ("customer_visits", "other_bank_deposits_won"),
    "wealth_manager": ("wealth_sales", "insurance_premium", "other_bank_deposits_won", "premium_customers_growth"),
    "outlet_head": ("customer_visits", "other_bank_deposits_won"),
    "retail_supervisor": ("customer_visits",),
}

# Risk events are very rare: about two in the whole network over the window.
RISK_EVENTS_PER_OUTLET_DAY = 1 / 7000
COMPLAINTS_PER_CUSTOMER = 0.00006

TARGET_KINDS = (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)

# Last year, as targets see it: the outlet's form then (last year's actual ÷ its plan then: 2025 was a
# weaker year than 2026's plan), and the growth asked on top of it for each metric.
HISTORY_FORM = (0.93, 0.06, 0.8, 1.08)  # mean, deviation, lowest, highest
HISTORY_GROWTH = (0.05, 0.15)
# A level's target: last year's level, which was a little worse than this year's (×, mean and
# deviation), improved by a third of the growth asked.
LEVEL_HISTORY = (0.03, 0.03)
# Levels where lower is better: a shorter wait, fewer bad loans.
LOWER_LEVELS = frozenset({"avg_wait_minutes", "npl_ratio"})
OUTLET_LEVELS = ("satisfaction_rate", "avg_wait_minutes", "npl_ratio", "lobby_referral_rate", "counter_referral_rate")


# -- what is read from the database ------------------------------------------------------------------


@dataclass(frozen=True)
class OutletInfo:
    code: str
    area: str
    outlet_format: str
    is_benchmark: bool = False
    ancestors: tuple[str, ...] = ()  # codes of the units above it, HQ first
    opened_on: datetime.date | None = None
    closed_on: datetime.date | None = None

    def is_open_on(self, day: datetime.date) -> bool:
        return (self.opened_on is None or self.opened_on <= day) and (self.closed_on is None or day <= self.closed_on)


@dataclass(frozen=True)
class Posting:
    """A staff member's assignment to an outlet; `weight` is 1 at their own outlet, less at a second."""

    staff: str
    post: str
    unit: str
    start: datetime.date
    end: datetime.date | None
    weight: float = 1.0

    def on(self, day: datetime.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, period: Period) -> bool:
        return self.start <= period.end and (self.end is None or period.start <= self.end)


def network_read() -> tuple[list[OutletInfo], list[Posting]]:
    """The active outlets (code order) and the staff postings at them, as the generator needs them."""
    outlets = []
    for code, area, outlet_format, is_benchmark, path, opened_on, closed_on in (
        OrgUnit.objects.outlets()
        .filter(status=UnitStatus.ACTIVE)
        .order_by("code")
        .values_list("code", "area", "format", "is_benchmark", "path", "opened_on", "closed_on")
    ):
        ancestors = tuple(part for part in path.split("/") if part and part != code)
        outlets.append(
            OutletInfo(
                code=code,
                area=area or Area.URBAN,
                outlet_format=outlet_format or OutletFormat.FULL,
                is_benchmark=is_benchmark,
                ancestors=ancestors,
                opened_on=opened_on,
                closed_on=closed_on,
            )
        )
    active = {outlet.code for outlet in outlets}
    rows = (
        Assignment.objects.filter(unit__kind=UnitKind.OUTLET, unit__code__in=active)
        .order_by("staff__code", "start", "unit__code")
        .values_list("staff__code", "post__code", "unit__code", "start", "end")
    )
    postings = []
    first_outlet: dict[str, str] = {}
    for staff, post, unit, start, end in rows:
        # The outlet of a staff member's earliest assignment is their own; any other one is lent.
        own = first_outlet.setdefault(staff, unit)
        weight = 1.0 if unit == own else SECOND_OUTLET_WEIGHT
        postings.append(Posting(staff=staff, post=post, unit=unit, start=start, end=end, weight=weight))
    return outlets, postings


# -- outlet profiles ---------------------------------------------------------------------------------


@dataclass
class Profile:
    """What an outlet is like: its size, its rates, and how well it does against plan (per metric)."""

    info: OutletInfo
    deposits: float  # 万元 at EPOCH
    personal_share: float
    loans: float  # 万元 at EPOCH
    npl_ratio: float  # fraction of loans
    traffic: float  # customers on an ordinary weekday
    weekends: bool  # open at the weekend
    wait_minutes: float
    response_rate: float
    satisfaction: float  # fraction of responses that are positive
    lobby_rate: float
    counter_rate: float
    mobile_rate: float
    sms_rate: float
    online_rate: float
    deposit_growth: float  # planned growth per year, a fraction of `deposits`
    loan_growth: float
    premium_growth: float
    # metric code → actual ÷ plan.
    performance: dict[str, float] = field(default_factory=dict)
    phases: tuple[float, ...] = ()
    # metric code → (last year's form, the growth asked this year): see target_rows.
    history: dict[str, tuple[float, float]] = field(default_factory=dict)
    # Premium customers when the counts start (the customers' own count: demo.customers.premium_book);
    # their growth targets follow it.
    premium: float = 0.0

    def perf(self, metric: str) -> float:
        return self.performance.get(metric, 1.0)

    # Daily means of the flows (before the day's factor and the performance factor), in the metric's
    # unit. The plan of a period is the mean × the period's factor sum.
    def daily_plan(self, metric: str) -> float:
        personal = self.deposits * self.personal_share
        return {
            "mobile_banking_signups": self.traffic * self.mobile_rate,
            "sms_banking_signups": self.traffic * self.sms_rate,
            "online_banking_signups": self.traffic * self.online_rate,
            "lobby_referrals": self.traffic * self.lobby_rate,
            "counter_referrals": self.traffic * self.counter_rate,
            "wealth_sales": personal * 0.0015,
            "insurance_premium": personal * 0.0002,
            "loan_disbursed": self.loans * 0.0025,
            "other_bank_deposits_won": self.deposits * 0.0003,
            "new_merchants": MERCHANTS_PER_WEEKDAY[self.info.area],
        }[metric]


def profile_of(outlet: OutletInfo, *, seed: int) -> Profile:
    rng = random.Random(f"{seed}:outlet:{outlet.code}")
    (deposits_low, deposits_high), (traffic_low, traffic_high) = SIZES.get(
        (outlet.area, outlet.outlet_format), SIZES[Area.URBAN, OutletFormat.FULL]
    )
    # The overall form of the outlet, and each metric's around it: benchmarks do a little better.
    form = _clamp(rng.gauss(1.0, 0.13) + (0.08 if outlet.is_benchmark else 0.0), 0.72, 1.3)
    performance = {
        metric: _clamp(form * rng.gauss(1.0, 0.08), 0.65, 1.35) for metric in (*OUTLET_CUMULATIVE, "customers_served")
    }
    # Good outlets tend to serve better too: service levels lean on the outlet's form.
    lean = form - 1.0
    deposits = rng.uniform(deposits_low, deposits_high)
    personal_share = rng.uniform(*PERSONAL_SHARE.get(outlet.area, (0.6, 0.8)))
    return Profile(
        info=outlet,
        deposits=deposits,
        personal_share=personal_share,
        loans=deposits * rng.uniform(0.35, 0.75),
        npl_ratio=_clamp(rng.gauss(1.5, 0.45) - 2 * lean, 0.6, 2.8) / 100,
        traffic=rng.uniform(traffic_low, traffic_high),
        weekends=outlet.outlet_format != OutletFormat.LIGHT,
        wait_minutes=_clamp(rng.uniform(6, 14) - 6 * lean, 5, 15),
        response_rate=rng.uniform(0.35, 0.6),
        satisfaction=_clamp(rng.uniform(0.85, 0.97) + 0.05 * lean, 0.83, 0.985),
        lobby_rate=_clamp(rng.uniform(0.07, 0.125) + 0.04 * lean, 0.05, 0.14),
        counter_rate=_clamp(rng.uniform(0.03, 0.065) + 0.02 * lean, 0.025, 0.075),
        mobile_rate=rng.uniform(0.04, 0.08),
        sms_rate=rng.uniform(0.02, 0.04),
        online_rate=rng.uniform(0.005, 0.015),
        deposit_growth=rng.uniform(0.08, 0.12),
        loan_growth=rng.uniform(0.05, 0.1),
        premium_growth=rng.uniform(0.15, 0.3),
        performance=performance,
        phases=tuple(rng.uniform(0, 2 * math.pi) for _ in range(5)),
        history=_history_of(outlet, seed=seed),
    )


def _history_of(outlet: OutletInfo, *, seed: int) -> dict[str, tuple[float, float]]:
    """metric → (last year's form, the growth asked this year), from a generator of its own so the rest of
    the profile does not move with it."""
    rng = random.Random(f"{seed}:history:{outlet.code}")
    mean, deviation, lowest, highest = HISTORY_FORM
    history = {
        metric: (_clamp(rng.gauss(mean, deviation), lowest, highest), rng.uniform(*HISTORY_GROWTH))
        for metric in OUTLET_CUMULATIVE
    }
    shift, deviation = LEVEL_HISTORY
    for metric in OUTLET_LEVELS:
        worse = rng.gauss(shift, deviation)
        history[metric] = (1 + worse if metric in LOWER_LEVELS else 1 - worse, rng.uniform(*HISTORY_GROWTH))
    return history


# -- functions of the date ---------------------------------------------------------------------------


@cache
def _season_cumulative(year: int) -> tuple[dict[datetime.date, float], float]:
    """Day → share of the year's stock growth reached by the end of that day (0 before Jan 1, 1 on Dec 31)."""
    first = datetime.date(year, 1, 1)
    days = days_between(first, datetime.date(year, 12, 31))
    total = sum(STOCK_SEASON[day.month - 1] for day in days)
    reached, running = {}, 0.0
    for day in days:
        running += STOCK_SEASON[day.month - 1]
        reached[day] = running / total
    return reached, total


def stock_years(day: datetime.date) -> float:
    """Years of growth since EPOCH, where each year's growth is spread over its months by STOCK_SEASON."""
    reached, _total = _season_cumulative(day.year)
    return day.year - EPOCH.year + reached[day]


def _trend(day: datetime.date) -> float:
    return 1.0 + FLOW_TREND * (day - EPOCH).days / 365


def traffic_factor(day: datetime.date, *, weekends: bool) -> float:
    """Customers on `day` relative to an ordinary weekday at EPOCH (0 when the outlet is closed)."""
    weekday = day.weekday()
    if weekday >= 5 and not weekends:
        return 0.0
    return WEEKDAY_TRAFFIC[weekday] * FLOW_SEASON[day.month - 1] * _trend(day)


def business_factor(day: datetime.date) -> float:
    """Out-of-branch business (loans, visits, merchants): business days only, the demo calendar's
    (weekdays but holidays, and the make-up working days), as the metrics counted in business days pace."""
    if not demo_calendar.business_calendar().is_business_day(day):
        return 0.0
    return FLOW_SEASON[day.month - 1] * _trend(day)


@cache
def _factor_sum(kind: str, weekends: bool, start: datetime.date, end: datetime.date) -> float:
    """Σ of a day factor over start..end: "business", "traffic", or "busy" (Σ traffic², for waiting
    time, which grows with the crowd)."""
    days = days_between(start, end)
    if kind == "business":
        return sum(business_factor(day) for day in days)
    if kind == "busy":
        return sum(traffic_factor(day, weekends=weekends) ** 2 for day in days)
    return sum(traffic_factor(day, weekends=weekends) for day in days)


# Which day factor drives each flow.
BUSINESS_FLOWS = frozenset({"loan_disbursed", "other_bank_deposits_won", "new_merchants", "customer_visits"})


def _wave(profile: Profile, day: datetime.date, period: float, phase: int) -> float:
    return math.sin(2 * math.pi * (day - EPOCH).days / period + profile.phases[phase])


def deposits_on(profile: Profile, day: datetime.date) -> float:
    """The deposit balance, without the day's noise."""
    growth = profile.deposit_growth * profile.perf("deposit_growth")
    return profile.deposits * (1 + growth * stock_years(day))


# -- one outlet's day --------------------------------------------------------------------------------

Reported = tuple[str, str, str]  # a fact of an outlet's day: (staff code or "", metric code, value as text)


def outlet_day(
    profile: Profile, day: datetime.date, postings: list[Posting], *, seed: int, premium: PremiumCounts | None = None
) -> list[Reported]:
    """The facts of one outlet on one day: its own, then its staff's (`postings`: staff there that day).
    Premium customers come from `premium` (none without it): on weekdays with the balances, and on a
    month's last day whatever the weekday, the day the tiering counts them too."""
    rng = random.Random(f"{seed}:{profile.info.code}:{day.isoformat()}")
    facts: list[Reported] = []
    if day.weekday() < 5:
        facts.extend(_balances(profile, day, postings, rng, premium=premium))
    elif premium is not None and (day + datetime.timedelta(days=1)).day == 1:
        facts.extend(_premium_facts(profile, day, postings, premium))

    traffic = traffic_factor(day, weekends=profile.weekends)
    business = business_factor(day)
    staff: dict[str, Counter] = defaultdict(Counter)

    if traffic:
        served = _poisson(rng, profile.traffic * traffic * profile.perf("customers_served"))
        wait = served * profile.wait_minutes * _clamp(rng.gauss(traffic, 0.12), 0.6, 1.6)
        responses = _binomial(rng, served, profile.response_rate)
        positive = _binomial(rng, responses, _clamp(rng.gauss(profile.satisfaction, 0.015), 0.5, 1.0))
        facts += [
            ("", "customers_served", str(served)),
            ("", "wait_minutes_total", str(round(wait))),
            ("", "satisfaction_responses", str(responses)),
            ("", "satisfaction_positive", str(positive)),
        ]
        counts = {
            "lobby_referrals": _binomial(rng, served, profile.lobby_rate),
            "counter_referrals": _binomial(rng, served, profile.counter_rate),
            "mobile_banking_signups": _binomial(
                rng, served, min(1.0, profile.mobile_rate * profile.perf("mobile_banking_signups"))
            ),
            "sms_banking_signups": _binomial(
                rng, served, min(1.0, profile.sms_rate * profile.perf("sms_banking_signups"))
            ),
            "online_banking_signups": _binomial(
                rng, served, min(1.0, profile.online_rate * profile.perf("online_banking_signups"))
            ),
        }
        for metric, total in counts.items():
            facts.append(("", metric, str(total)))
            if metric in ATTRIBUTION:
                _credit_count(rng, metric, total, postings, staff, seed=seed)
        complaints = _poisson(rng, served * COMPLAINTS_PER_CUSTOMER * (2 - profile.perf("customers_served")))
        if complaints:
            facts.append(("", "complaints", str(complaints)))
        # Sales in the lobby, one by one: lumpy, and each credited to one manager or to no one.
        for metric, count, whole in (("wealth_sales", profile.traffic / 60, True), ("insurance_premium", 0.8, False)):
            mean = profile.daily_plan(metric) * traffic * profile.perf(metric)
            _sales(rng, metric, count * traffic, mean, whole, postings, staff, facts, seed=seed)

    if business:
        for metric, count in (("loan_disbursed", 1.2 if profile.weekends else 0.8), ("other_bank_deposits_won", 0.6)):
            mean = profile.daily_plan(metric) * business * profile.perf(metric)
            _sales(rng, metric, count * business, mean, True, postings, staff, facts, seed=seed)
        merchants = _poisson(rng, profile.daily_plan("new_merchants") * business * profile.perf("new_merchants"))
        if merchants:
            facts.append(("", "new_merchants", str(merchants)))
        visits = _poisson(rng, UNATTRIBUTED_VISITS * business)
        for posting in postings:
            per_day = VISITS_PER_WEEKDAY.get(posting.post)
            if per_day:
                form = _staff_form(posting.staff, seed=seed)
                made = _poisson(rng, per_day * business * posting.weight * form)
                staff[posting.staff]["customer_visits"] += made
                visits += made
        if visits:
            facts.append(("", "customer_visits", str(visits)))
        if rng.random() < RISK_EVENTS_PER_OUTLET_DAY:
            facts.append(("", "risk_events", "1"))

    for staff_code in sorted(staff):
        for metric, value in sorted(staff[staff_code].items()):
            if value:
                facts.append((staff_code, metric, _money(value) if metric in MONEY_FLOWS else str(value)))
    return facts


MONEY_FLOWS = frozenset({"wealth_sales", "insurance_premium", "loan_disbursed", "other_bank_deposits_won"})


def _balances(
    profile: Profile,
    day: datetime.date,
    postings: list[Posting],
    rng: random.Random,
    *,
    premium: PremiumCounts | None = None,
) -> list[Reported]:
    """The stocks of a weekday: deposits (personal + corporate = total), loans, NPLs, premium customers."""
    wobble = 0.002 * (0.6 * _wave(profile, day, 23, 0) + 0.4 * _wave(profile, day, 61, 1))
    total = Decimal(_money(deposits_on(profile, day) * (1 + wobble + rng.gauss(0, 0.0006))))
    corporate_share = (1 - profile.personal_share) * (1 + 0.03 * _wave(profile, day, 37, 2) + rng.gauss(0, 0.01))
    corporate = Decimal(_money(float(total) * corporate_share))
    loan_growth = profile.loan_growth * profile.perf("loan_disbursed")
    loans = profile.loans * (1 + loan_growth * stock_years(day)) * (1 + 0.001 * _wave(profile, day, 47, 3))
    loans *= 1 + rng.gauss(0, 0.0003)
    npl = loans * profile.npl_ratio * (1 + 0.05 * _wave(profile, day, 90, 4))
    facts: list[Reported] = [
        ("", "deposit_balance", str(total)),
        ("", "deposit_balance_personal", str(total - corporate)),
        ("", "deposit_balance_corporate", str(corporate)),
        ("", "loan_balance", _money(loans)),
        ("", "npl_balance", _money(npl)),
    ]
    if premium is not None:
        facts.extend(_premium_facts(profile, day, postings, premium))
    return facts


class PremiumCounts(Protocol):
    """Premium customers by outlet and day, and by relationship manager (demo.customers.PremiumBook)."""

    def outlet(self, code: str, day: datetime.date) -> int: ...

    def staff(self, code: str, day: datetime.date, present: list[Posting]) -> list[tuple[str, int]]: ...


def _premium_facts(
    profile: Profile, day: datetime.date, postings: list[Posting], premium: PremiumCounts
) -> list[Reported]:
    """The outlet's premium customers on `day`, and those of each relationship manager there that day."""
    code = profile.info.code
    facts: list[Reported] = [("", "premium_customers", str(premium.outlet(code, day)))]
    facts.extend((staff, "premium_customers", str(count)) for staff, count in premium.staff(code, day, postings))
    return facts


def _premium_book(postings: list[Posting]) -> list[tuple[str, float]]:
    """(staff code, share of the outlet's premium customers) for the managers who keep a book."""
    share, weights = PREMIUM_BOOK
    managers = [p for p in postings if p.post in weights and p.weight == 1.0]
    total = sum(weights[p.post] for p in managers)
    return [(p.staff, share * weights[p.post] / total) for p in managers] if total else []


def _credit_count(
    rng: random.Random, metric: str, total: int, postings: list[Posting], staff: dict[str, Counter], *, seed: int
) -> None:
    share, weights = ATTRIBUTION[metric]
    pool = [p for p in postings if p.post in weights]
    if not pool or not total:
        return
    credited = _binomial(rng, total, share)
    cumulative = _cumulative([weights[p.post] * p.weight * _staff_form(p.staff, seed=seed) for p in pool])
    for posting in rng.choices(pool, cum_weights=cumulative, k=credited):
        staff[posting.staff][metric] += 1


def _sales(
    rng: random.Random,
    metric: str,
    count: float,
    mean_total: float,
    whole: bool,
    postings: list[Posting],
    staff: dict[str, Counter],
    facts: list[Reported],
    *,
    seed: int,
) -> None:
    """A day's sales of a 万元 flow: a Poisson number of lognormal tickets whose total averages mean_total."""
    if count <= 0 or mean_total <= 0:
        return
    size = mean_total / count
    sigma = 0.7
    share, weights = ATTRIBUTION.get(metric, (0.0, {}))
    pool = [p for p in postings if p.post in weights]
    cumulative = _cumulative([weights[p.post] * p.weight * _staff_form(p.staff, seed=seed) for p in pool])
    total = Decimal(0)
    for _ in range(_poisson(rng, count)):
        ticket = rng.lognormvariate(math.log(size) - sigma**2 / 2, sigma)
        amount = Decimal(max(1, round(ticket))) if whole else Decimal(_money(max(0.1, ticket)))
        total += amount
        if pool and rng.random() < share:
            staff[rng.choices(pool, cum_weights=cumulative)[0].staff][metric] += amount
    if total:
        facts.append(("", metric, _money(total)))


@cache
def _staff_form(code: str, *, seed: int) -> float:
    """How well a staff member does against an equal share of their post's work (about 0.65–1.35)."""
    return _clamp(random.Random(f"{seed}:staff:{code}").gauss(1.0, 0.17), 0.65, 1.35)


# -- the window and its periods ----------------------------------------------------------------------


def window(*, end: datetime.date, days: int) -> Period:
    return Period(end - datetime.timedelta(days=days - 1), end, PeriodKind.DAY)


def opening_days(first: datetime.date) -> list[datetime.date]:
    """The last weekday before the start of each week, month, quarter and year that the daily facts
    start in (on `first`): the balances reported then open the net changes of those periods."""
    return sorted({_last_weekday_before(period_of(kind, first).start) for kind in TARGET_KINDS})


def history_segments(boundary: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """The days of the year before `boundary` (the first day with daily facts), cut at every month start
    and at the Monday of the boundary's week, so that each stretch lies inside one month, one quarter
    and one year, and the boundary's week holds only its own days."""
    first = datetime.date(boundary.year, 1, 1)
    if boundary <= first:
        return []
    monday = period_of(PeriodKind.WEEK, boundary).start
    cuts = sorted(
        {first, *(day for day in days_between(first, boundary) if day.day == 1), max(first, monday), boundary}
    )
    return [(start, following - datetime.timedelta(days=1)) for start, following in itertools.pairwise(cuts)]


def stock_history_days(boundary: datetime.date) -> tuple[list[datetime.date], list[datetime.date]]:
    """Days before the daily facts (which start on `boundary`) with balances, as (period ends, Fridays).

    Period ends: the last weekday of the previous year and of every month before, and the openings of
    the periods the boundary falls in (年末, 月末余额: they open the net changes, of staff books too).
    Fridays: the outlets' weekly balances in between, so that the year's daily average, which carries
    each balance forward, does not lag a month behind.

    They depend on the boundary alone, which stays put when the window moves on: a new balance before
    the published days would make every one of them stale."""
    first = datetime.date(boundary.year, 1, 1)
    ends = set(opening_days(boundary))
    for start, _end in [(first, None), *history_segments(boundary)]:
        if start.day == 1:
            ends.add(_last_weekday_before(start))
    ends = {day for day in ends if day < boundary}
    fridays = [day for day in days_between(first, boundary - datetime.timedelta(days=1)) if day.weekday() == 4]
    return sorted(ends), [day for day in fridays if day not in ends]


def _last_weekday_before(day: datetime.date) -> datetime.date:
    day -= datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


def target_periods(span: Period) -> dict[PeriodKind, list[Period]]:
    """The weeks, months, quarters and years of the window and of the day after it (today)."""
    after = span.end + datetime.timedelta(days=1)
    days = [*days_between(span.start, span.end), after]
    return {kind: sorted({period_of(kind, day) for day in days}) for kind in TARGET_KINDS}


# -- facts -------------------------------------------------------------------------------------------


def fact_rows(
    profiles: list[Profile],
    postings: list[Posting],
    days: list[datetime.date],
    *,
    seed: int,
    balances_only=False,
    premium: PremiumCounts | None = None,
) -> list[CsvRow]:
    """The facts of `days` for every outlet as rows of a facts file (FACT_COLUMNS), line numbers from 2."""
    by_unit: dict[str, list[Posting]] = defaultdict(list)
    for posting in postings:
        by_unit[posting.unit].append(posting)
    rows: list[CsvRow] = []
    for day in days:
        iso = day.isoformat()
        for profile in profiles:
            outlet = profile.info
            if not outlet.is_open_on(day):
                continue
            present = [p for p in by_unit[outlet.code] if p.on(day)]
            if balances_only:
                if day.weekday() >= 5:
                    continue
                rng = random.Random(f"{seed}:{outlet.code}:{iso}")
                facts = _balances(profile, day, present, rng, premium=premium)
            else:
                facts = outlet_day(profile, day, present, seed=seed, premium=premium)
            for staff_code, metric, value in facts:
                rows.append(
                    CsvRow(
                        line=len(rows) + 2,
                        values={
                            "date": iso,
                            "unit": outlet.code,
                            "staff": staff_code,
                            "metric": metric,
                            "value": value,
                        },
                    )
                )
    return rows


def history_rows(
    profiles: list[Profile],
    postings: list[Posting],
    boundary: datetime.date,
    *,
    seed: int,
    premium: PremiumCounts | None = None,
) -> list[CsvRow]:
    """What the demo knows of the year before its daily facts start (`boundary`): the outlets' flows as
    one total per stretch of history_segments (dated on its last day; outlets only, staff targets are
    monthly), and balances on the days of stock_history_days (staff books at period ends only).
    Without them the year's figures would start in the middle of the year."""
    by_unit: dict[str, list[Posting]] = defaultdict(list)
    for posting in postings:
        by_unit[posting.unit].append(posting)
    period_ends, fridays = stock_history_days(boundary)
    rows = [
        *fact_rows(profiles, postings, period_ends, seed=seed, balances_only=True, premium=premium),
        *fact_rows(profiles, [], fridays, seed=seed, balances_only=True, premium=premium),
    ]
    for start, end in history_segments(boundary):
        iso = end.isoformat()
        for profile in profiles:
            outlet = profile.info
            if not (outlet.is_open_on(start) and outlet.is_open_on(end)):
                continue
            present = [p for p in by_unit[outlet.code] if p.on(end)]
            for metric, value in segment_flows(profile, start, end, present, seed=seed):
                values = {"date": iso, "unit": outlet.code, "staff": "", "metric": metric, "value": value}
                rows.append(CsvRow(line=0, values=values))
    # Line numbers as in one file with a header, so a rejected row says where it is.
    return [CsvRow(line=line, values=row.values) for line, row in enumerate(rows, start=2)]


def segment_flows(
    profile: Profile, start: datetime.date, end: datetime.date, postings: list[Posting], *, seed: int
) -> list[tuple[str, str]]:
    """An outlet's flows over start..end as totals: what its days would add up to, with a little noise."""
    rng = random.Random(f"{seed}:{profile.info.code}:{start.isoformat()}:{end.isoformat()}")
    traffic = _factor_sum("traffic", profile.weekends, start, end)
    busy = _factor_sum("busy", profile.weekends, start, end)
    business = _factor_sum("business", False, start, end)

    def about(value: float) -> float:
        return max(0.0, value * rng.gauss(1.0, 0.02))

    flows: list[tuple[str, str]] = []
    if traffic:
        crowd = profile.traffic * profile.perf("customers_served")
        served = round(about(crowd * traffic))
        responses = round(served * profile.response_rate)
        flows += [
            ("customers_served", str(served)),
            ("wait_minutes_total", str(round(about(crowd * profile.wait_minutes * busy)))),
            ("satisfaction_responses", str(responses)),
            ("satisfaction_positive", str(round(about(responses * profile.satisfaction)) if responses else 0)),
            ("lobby_referrals", str(round(about(served * profile.lobby_rate)))),
            ("counter_referrals", str(round(about(served * profile.counter_rate)))),
        ]
        for metric, rate in (
            ("mobile_banking_signups", profile.mobile_rate),
            ("sms_banking_signups", profile.sms_rate),
            ("online_banking_signups", profile.online_rate),
        ):
            flows.append((metric, str(round(about(served * rate * profile.perf(metric))))))
        complaints = _poisson(rng, served * COMPLAINTS_PER_CUSTOMER * (2 - profile.perf("customers_served")))
        if complaints:
            flows.append(("complaints", str(complaints)))
        for metric in ("wealth_sales", "insurance_premium"):
            flows.append((metric, _money(about(profile.daily_plan(metric) * traffic * profile.perf(metric)))))
    if business:
        for metric in ("loan_disbursed", "other_bank_deposits_won"):
            flows.append((metric, _money(about(profile.daily_plan(metric) * business * profile.perf(metric)))))
        merchants = _poisson(rng, profile.daily_plan("new_merchants") * business * profile.perf("new_merchants"))
        flows.append(("new_merchants", str(merchants)))
        quota = UNATTRIBUTED_VISITS + sum(
            VISITS_PER_WEEKDAY.get(p.post, 0) * p.weight * _staff_form(p.staff, seed=seed) for p in postings
        )
        flows.append(("customer_visits", str(round(about(quota * business)))))
    return [(metric, value) for metric, value in flows if value not in ("0", "0.00")]


# -- targets -----------------------------------------------------------------------------------------


def target_rows(profiles: list[Profile], postings: list[Posting], span: Period) -> list[CsvRow]:
    """Targets (TARGET_COLUMNS) of every outlet, every unit above them and every staff member.

    1. Per outlet and year: each cumulative metric's target month by month from the outlet's history
       (_target_plan: the same month a year before × (1 + growth)), the year's whole split over the
       months in proportion, in whole units by largest remainders, so the months add up to the year
       exactly; a quarter is the sum of its months and a week the month of its Thursday × 7 / days in
       that month. Levels: last year's level a little improved (_level_target), and the planned daily
       average of deposits (the year's opening balance grown at the planned rate).
    2. Units above outlets: the sums of their outlets' cumulative targets (and daily averages, which
       add up); HQ's policy for the rates.
    3. Staff: a month's target per metric of their post: their share of their outlet's target among the
       staff of that post (visits: the post's daily quota).
    """
    periods = target_periods(span)
    rows: list[tuple[str, str, str, str, str]] = []  # (period, unit, staff, metric, target)
    above: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)  # (unit, metric, period) → sum
    years = sorted({period.start.year for kinds in periods.values() for period in kinds})
    by_unit: dict[str, list[Posting]] = defaultdict(list)
    for posting in postings:
        by_unit[posting.unit].append(posting)

    for profile in profiles:
        outlet = profile.info
        monthly: dict[str, dict[tuple[int, int], Decimal]] = {}
        for metric in OUTLET_CUMULATIVE:
            monthly[metric] = {}
            for year in years:
                months = [period_of(PeriodKind.MONTH, datetime.date(year, month, 1)) for month in range(1, 13)]
                plans = [_target_plan(profile, metric, month, by_unit[outlet.code]) for month in months]
                values = _split_whole(sum(plans), plans)
                if metric == "premium_customers_growth":
                    # At least one a month, so that every month has a target (the year is their sum).
                    values = [max(Decimal(1), value) for value in values]
                for month, value in zip(months, values, strict=True):
                    monthly[metric][year, month.start.month] = value
        for kind_periods in periods.values():
            for period in kind_periods:
                for metric in OUTLET_CUMULATIVE:
                    value = _cumulative_target(monthly[metric], period)
                    rows.append((period.code, outlet.code, "", metric, str(value)))
                    for unit in outlet.ancestors:
                        above[unit, metric, period.code] += value
                average = Decimal(round(_planned_average(profile, period)))
                rows.append((period.code, outlet.code, "", "deposit_daily_avg", str(average)))
                for unit in outlet.ancestors:
                    above[unit, "deposit_daily_avg", period.code] += average
                rows.extend(
                    (period.code, outlet.code, "", metric, _level_target(profile, metric, period))
                    for metric in OUTLET_LEVELS
                )

    units_above = sorted({unit for profile in profiles for unit in profile.info.ancestors})
    for unit in units_above:
        for kind_periods in periods.values():
            for period in kind_periods:
                for metric in (*OUTLET_CUMULATIVE, "deposit_daily_avg"):
                    rows.append((period.code, unit, "", metric, str(above[unit, metric, period.code])))
                rows.extend((period.code, unit, "", metric, str(value)) for metric, value in HQ_POLICY.items())

    rows.extend(_staff_targets(profiles, by_unit, periods[PeriodKind.MONTH]))
    return [
        CsvRow(line=line, values={"period": period, "unit": unit, "staff": staff, "metric": metric, "target": value})
        for line, (period, unit, staff, metric, value) in enumerate(rows, start=2)
    ]


def _plan(profile: Profile, metric: str, period: Period, postings: list[Posting]) -> float:
    """The amount of a cumulative metric an outlet is planned to bring in `period`."""
    if metric == "deposit_growth":
        return profile.deposits * profile.deposit_growth * _stock_share(period)
    if metric == "premium_customers_growth":
        return premium_yearly_growth(profile.premium_growth, profile.premium) * _stock_share(period)
    if metric == "customer_visits":
        business = _factor_sum("business", False, period.start, period.end)
        quota = UNATTRIBUTED_VISITS + sum(
            VISITS_PER_WEEKDAY.get(p.post, 0) * p.weight for p in postings if p.overlaps(period)
        )
        return quota * business
    kind = "business" if metric in BUSINESS_FLOWS else "traffic"
    return profile.daily_plan(metric) * _factor_sum(kind, profile.weekends, period.start, period.end)


def premium_yearly_growth(rate: float, start: float) -> float:
    """The premium customers an outlet plans to add in a year: its rate × its count (the customers': see
    demo.customers.premium_book), at least one a month (PREMIUM_MIN_YEARLY: a township outlet's dozen
    premium customers would otherwise plan two a year, and most months would have no target at all)."""
    return max(PREMIUM_MIN_YEARLY, rate * start)


def _year_before(period: Period) -> Period:
    """The same month, quarter or year a year earlier (the period 去年同期 compares with)."""
    start = period.start
    return period_of(period.kind, start.replace(year=start.year - 1, day=min(start.day, 28)))


def _target_plan(profile: Profile, metric: str, period: Period, postings: list[Posting]) -> float:
    """去年同期 × (1 + 增长): what the outlet brought in the same period a year before (its plan then, at
    its form of that year) raised by the growth asked of it for the metric."""
    form, growth = profile.history.get(metric, (1.0, 0.0))
    return _plan(profile, metric, _year_before(period), postings) * form * (1 + growth)


def _level_target(profile: Profile, metric: str, period: Period) -> str:
    """A level to reach and hold: the outlet's level of last year, improved by a third of the growth
    asked (a shorter wait, fewer bad loans, more satisfied customers, more referrals)."""
    worse, growth = profile.history.get(metric, (1.0, 0.0))
    if metric == "satisfaction_rate":
        last_year = 100 * profile.satisfaction * worse
        return f"{min(99.0, last_year * (1 + growth / 3)):.1f}"
    if metric == "avg_wait_minutes":
        crowd = _factor_sum("busy", profile.weekends, period.start, period.end)
        served = _factor_sum("traffic", profile.weekends, period.start, period.end)
        expected = profile.wait_minutes * (crowd / served if served else 1.0)
        return f"{expected * worse * (1 - growth / 3):.1f}"
    if metric == "npl_ratio":
        return f"{100 * profile.npl_ratio * worse * (1 - growth / 3):.2f}"
    rate = {"lobby_referral_rate": profile.lobby_rate, "counter_referral_rate": profile.counter_rate}[metric]
    return f"{100 * rate * worse * (1 + growth / 3):.1f}"


def _stock_share(period: Period) -> float:
    """The share of a year's stock growth planned for `period` (a month, quarter or year)."""
    reached, _total = _season_cumulative(period.start.year)
    before = reached.get(period.start - datetime.timedelta(days=1), 0.0)
    return reached[period.end] - before


def _cumulative_target(months: dict[tuple[int, int], Decimal], period: Period) -> Decimal:
    if period.kind == PeriodKind.YEAR:
        return sum((months[period.start.year, month] for month in range(1, 13)), Decimal(0))
    if period.kind == PeriodKind.QUARTER:
        first = period.start.month
        return sum((months[period.start.year, month] for month in range(first, first + 3)), Decimal(0))
    if period.kind == PeriodKind.MONTH:
        return months[period.start.year, period.start.month]
    # A week: its month's target (the month of its Thursday, as ISO weeks are) pro rata.
    thursday = period.start + datetime.timedelta(days=3)
    month = period_of(PeriodKind.MONTH, thursday)
    value = months[thursday.year, thursday.month] * 7 / month.days
    return max(Decimal(1), value.quantize(Decimal(1))) if value > 0 else Decimal(0)


def _planned_average(profile: Profile, period: Period) -> float:
    """The planned daily average of deposits: where the outlet stood at the start of the year, grown at
    the planned rate since."""
    year_start = datetime.date(period.start.year, 1, 1)
    opening = deposits_on(profile, year_start - datetime.timedelta(days=1))
    start_years = stock_years(year_start - datetime.timedelta(days=1))
    days = days_between(period.start, period.end)
    planned = sum(
        opening + profile.deposits * profile.deposit_growth * (stock_years(day) - start_years) for day in days
    )
    return planned / len(days)


def _staff_targets(
    profiles: list[Profile], by_unit: dict[str, list[Posting]], months: list[Period]
) -> list[tuple[str, str, str, str, str]]:
    """Monthly targets per staff member and metric of their post, summed over the outlets they serve."""
    totals: dict[tuple[str, str, str], float] = defaultdict(float)  # (month, staff, metric) → plan
    home: dict[str, str] = {}
    for profile in profiles:
        outlet = profile.info
        for month in months:
            present = [p for p in by_unit[outlet.code] if p.overlaps(month)]
            premium_plan = _target_plan(profile, "premium_customers_growth", month, present)
            book = dict(_premium_book(present))
            for posting in present:
                if posting.weight == 1.0:
                    home.setdefault(posting.staff, outlet.code)
                for metric in STAFF_TARGETS.get(posting.post, ()):
                    if metric == "customer_visits":
                        business = _factor_sum("business", False, month.start, month.end)
                        plan = VISITS_PER_WEEKDAY[posting.post] * posting.weight * business
                    elif metric == "premium_customers_growth":
                        plan = premium_plan * book.get(posting.staff, 0.0)
                    else:
                        share, weights = ATTRIBUTION[metric]
                        pool = sum(weights[p.post] * p.weight for p in present if p.post in weights)
                        outlet_target = _target_plan(profile, metric, month, present)
                        plan = outlet_target * share * weights[posting.post] * posting.weight / pool
                    totals[month.code, posting.staff, metric] += plan
    rows = []
    for (period, staff_code, metric), plan in sorted(totals.items()):
        unit = home.get(staff_code, "")
        rows.append((period, unit, staff_code, metric, _nice(plan, money=metric in MONEY_FLOWS)))
    return rows


def _split_whole(total: float, parts: list[float]) -> list[Decimal]:
    """`total` rounded to a whole number, split in proportion to `parts`, each whole, by largest
    remainders: every part its whole share, then one more to the parts with the largest fractions (the
    larger part first on a tie) until the parts add up to the whole exactly. A small whole (eight
    premium customers a year) so lands one a month on the months that weigh most, not all on one."""
    whole = round(total)
    weight = sum(parts)
    if not weight:
        return [Decimal(0)] * len(parts)
    shares = [whole * part / weight for part in parts]
    split = [math.floor(share) for share in shares]
    by_fraction = sorted(
        range(len(parts)), key=lambda index: (shares[index] - split[index], parts[index]), reverse=True
    )
    for index in by_fraction[: whole - sum(split)]:
        split[index] += 1
    return [Decimal(value) for value in split]


def _nice(value: float, *, money: bool) -> str:
    """A target as a person would set it: whole 户/人 (at least 1), 万元 whole from 100 on."""
    if value <= 0:
        return "0"
    if money:
        return str(round(value)) if value >= 100 else f"{value:.2f}"
    return str(max(1, round(value)))


# -- writing it --------------------------------------------------------------------------------------


@dataclass
class SeededFacts:
    window: Period
    facts: ImportResult
    batches: int
    targets: ImportResult
    rolled_up: list[datetime.date]
    # Earlier days of the rolled-up part left for later (seed_demo --recent-first; see rollup_rest).
    left: list[datetime.date] = field(default_factory=list)

    def __str__(self) -> str:
        rolled = (
            f"{len(self.rolled_up)} days ({self.rolled_up[0]} – {self.rolled_up[-1]})" if self.rolled_up else "nothing"
        )
        if self.left:
            rolled += f"; {len(self.left)} earlier days ({self.left[0]} – {self.left[-1]}) left for later"
        return "\n".join(
            [
                f"Facts {self.window.start} – {self.window.end}: {self.facts} in {self.batches} batches",
                f"Targets: {self.targets}",
                f"Rolled up: {rolled}",
            ]
        )


def seed_facts(
    *,
    seed: int,
    end: datetime.date | None = None,
    days: int = DEFAULT_DAYS,
    bar: Bar = no_bar,
    rollup: bool = True,
    rollup_days: int = DEFAULT_ROLLUP_DAYS,
    recent_days: int | None = None,
    before_rollup: Callable[[Period, PremiumCounts], object] | None = None,
) -> SeededFacts:
    """Targets, then facts, then the rollup, for the `days` days ending `end` (default: yesterday).

    1. Read the active outlets and the staff postings; draw each outlet's profile.
    2. Import the targets (targets_import): before the facts, so the first rollup already sees them.
    3. Ingest the facts through facts_ingest (source "demo"): first what is known of the year before
       the daily facts start (history_rows), then the window CHUNK_DAYS days at a time.
    4. Roll up the pending days through `end` (unless `rollup` is false): the last `rollup_days` of the
       window, and any day a change made stale. The first of them rebuilds its running totals from the
       facts since 1 January in memory; earlier days get no scorecards of their own. That keeps
       `make run` to about a minute of rollup instead of three, and the demo database small. With
       `recent_days` only the most recent that many of them now, and the earlier ones are left to
       rollup_rest (`make run` serves the demo while they roll up): a day's figures do not depend on
       the order the days are rolled up in, as each rebuilds its running totals when the day before is
       not published.

    Seeding again on a later day moves the window on, but the history must not: a total covering days
    that an earlier run filled day by day would count them twice. So the history ends where the first
    daily batch of any earlier run began, if that is earlier than this window.

    `rollup=False` (tests of the facts alone) leaves the days to the next rollup_pending, which would
    start from the first fact, the history's, as nothing is published yet.

    Premium customers are counted from the demo's customers (demo.customers.premium_book, made first:
    their growth targets start from the count), from the first day of the history on.

    `before_rollup(window, premium)` runs between steps 3 and 4, in the same transaction: seed_demo
    tiers the demo customers there (demo.customers.seed_customers, with the same `premium` book, so
    the tiering counts what the facts report), whose month-end facts the rollup must see.

    One transaction: a run stopped half-way leaves the database as it was. It also keeps facts_ingest's
    own rollup (queued when its transaction commits, and run in-process without a broker) until after
    step 4, when it finds nothing left to do.
    """
    end = end or timezone.localdate() - datetime.timedelta(days=1)
    if days < 1:
        raise ValueError("the demo needs at least one day of facts")
    span = window(end=end, days=days)
    outlets, postings = network_read()
    profiles = [profile_of(outlet, seed=seed) for outlet in outlets]
    boundary = min(span.start, daily_facts_start() or span.start)
    period_ends, fridays = stock_history_days(boundary)
    # Imported here: demo.customers builds on this module.
    from demo.customers import premium_book

    with bar("premium customers", len(outlets), "outlet") as advance:
        first_day = min([*period_ends, *fridays, span.start])
        premium = premium_book(seed=seed, first_day=first_day, last_day=span.end, outlets=outlets, postings=postings)
        advance(len(outlets))
    for profile in profiles:
        profile.premium = premium.start_of(profile.info.code)

    with transaction.atomic():
        planned = target_rows(profiles, postings, span)
        with bar("targets", len(planned), "target") as advance:
            targets = targets_import(rows=planned)
            advance(len(planned))

        facts = ImportResult()
        batches = 0

        def ingest(rows: list[CsvRow], label: str) -> None:
            nonlocal batches
            if rows:
                batch = facts_ingest(rows=rows, source=IngestBatch.Source.DEMO, label=label)
                facts.created += batch.created
                facts.updated += batch.updated
                facts.unchanged += batch.unchanged
                batches += 1

        history = history_rows(profiles, postings, boundary, seed=seed, premium=premium)
        with bar("history", len(history), "fact") as advance:
            ingest(history, f"seed_demo history before {boundary}")
            advance(len(history))
        window_days = days_between(span.start, span.end)
        with bar("facts", len(window_days), "day") as advance:
            for start in range(0, len(window_days), CHUNK_DAYS):
                part = window_days[start : start + CHUNK_DAYS]
                rows = fact_rows(profiles, postings, part, seed=seed, premium=premium)
                ingest(rows, f"{DAILY_LABEL} {part[0]} – {part[-1]}")
                advance(len(part))

        if before_rollup is not None:
            before_rollup(span, premium)

        due = rollup_due(span=span, rollup_days=rollup_days) if rollup else []
        left, now = (due[:-recent_days], due[-recent_days:]) if recent_days and len(due) > recent_days else ([], due)
        with bar("rollup", len(now), "day") as advance:
            for day in now:
                rollup_day(day=day)
                advance(1)
    return SeededFacts(window=span, facts=facts, batches=batches, targets=targets, rolled_up=now, left=left)


def rollup_due(*, span: Period, rollup_days: int) -> list[datetime.date]:
    """The days to roll up, in date order: the pending ones (new or stale) of the rolled-up part (the
    window's last `rollup_days`), those before it only if an earlier rollup published them (then a
    change there made them stale and they are redone), and the days of the part never published (a run
    with `recent_days` left them for later), within the rollup's bounds (ROLLUP_FIRST_DATE, yesterday,
    open months)."""
    known = set(RollupDay.objects.values_list("date", flat=True))
    first = rolled_up_from(span=span, rollup_days=rollup_days)
    due = {day for day in pending_days(through=span.end) if day >= first or day in known}
    published = set(
        RollupDay.objects.published().filter(date__gte=first, date__lte=span.end).values_list("date", flat=True)
    )
    closed = set(MonthClose.objects.closed().values_list("month", flat=True))
    last = min(span.end, timezone.localdate() - datetime.timedelta(days=1))
    gaps = {
        day
        for day in days_between(max(first, rollup_first_date()), last)
        if day not in published and day.replace(day=1) not in closed
    }
    return sorted(due | gaps)


def rolled_up_from(*, span: Period, rollup_days: int) -> datetime.date:
    """The first day of the window that gets scorecards of its own: the window's last `rollup_days`."""
    return max(span.start, span.end - datetime.timedelta(days=max(rollup_days, 1) - 1))


def rollup_rest(*, end: datetime.date, days: int, rollup_days: int, bar: Bar = no_bar) -> list[datetime.date]:
    """Roll up what seed_facts left (its `recent_days`), and any day due since, in date order; each day
    is published on its own, so a run stopped half-way keeps what it did and the next one goes on."""
    due = rollup_due(span=window(end=end, days=days), rollup_days=rollup_days)
    with bar("rollup", len(due), "day") as advance:
        for day in due:
            rollup_day(day=day)
            advance(1)
    return due


def daily_facts_start() -> datetime.date | None:
    """The first day of the daily demo facts an earlier seed_demo wrote, if any."""
    batches = IngestBatch.objects.filter(source=IngestBatch.Source.DEMO, label__startswith=DAILY_LABEL)
    return batches.aggregate(first=Min("first_date"))["first"]


# -- helpers -----------------------------------------------------------------------------------------


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _cumulative(weights: list[float]) -> list[float]:
    running, out = 0.0, []
    for weight in weights:
        running += weight
        out.append(running)
    return out


def _money(value: float | Decimal) -> str:
    return f"{float(value):.2f}"


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 40:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _binomial(rng: random.Random, trials: int, chance: float) -> int:
    if trials <= 0 or chance <= 0:
        return 0
    if trials > 40:
        mean = trials * chance
        return int(_clamp(round(rng.gauss(mean, math.sqrt(mean * (1 - chance)))), 0, trials))
    return sum(rng.random() < chance for _ in range(trials))
