from __future__ import annotations

import datetime
import io
import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command

from branches.models import OrgUnit, UnitKind
from demo import facts as demo_facts
from demo import network as demo_network
from kpi.models import Aggregation, Fact, Target
from lib.periods import PeriodKind, days_between, parse_period
from staff.models import Assignment

pytestmark = pytest.mark.django_db

# A Tuesday early in the year (the rollup's first day rebuilds its running totals from 1 January, so a
# January window keeps the tests quick): the ten days from Sunday 11 January hold three weekend days.
END = datetime.date(2026, 1, 20)
FIRST = datetime.date(2026, 1, 11)
STAFF_METRICS = {
    "mobile_banking_signups",
    "lobby_referrals",
    "counter_referrals",
    "customer_visits",
    "other_bank_deposits_won",
    "insurance_premium",
    "wealth_sales",
    "premium_customers",
}


@pytest.fixture(autouse=True)
def _keep_daily_scorecards(settings):
    """The window lies in January 2026, perhaps long before today: keep its days' scorecards."""
    settings.SCORECARD_RETENTION_DAYS = 100_000


def seed(*flags: str, **options) -> str:
    """seed_demo on a tiny network (four outlets, ten days to END) as the command line would run it."""
    out = io.StringIO()
    options = {"outlets": 4, "days": 10, "end": END.isoformat(), **options}
    arguments = [*(f"--{key}={value}" for key, value in options.items()), *flags]
    call_command("seed_demo", *arguments, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def seed_without_rollup(*, outlets: int = 4) -> demo_facts.SeededFacts:
    """The network, its facts and targets, not rolled up (the rollup costs most of a seed's time)."""
    demo_network.seed_network(outlets=outlets, seed=demo_network.DEFAULT_SEED)
    return demo_facts.seed_facts(seed=demo_network.DEFAULT_SEED, end=END, days=10, rollup=False)


def window_facts():
    return Fact.objects.filter(date__gte=FIRST, date__lte=END)


def test_facts_are_base_metrics_of_outlets_and_staff_facts_only_staff_metrics_of_assigned_staff():
    seed_without_rollup()

    assert window_facts().exists()
    assert set(Fact.objects.values_list("metric__aggregation", flat=True)) <= {Aggregation.SUM, Aggregation.LAST}
    assert set(Fact.objects.values_list("unit__kind", flat=True)) == {UnitKind.OUTLET}
    staff_facts = list(window_facts().exclude(staff=None).values_list("date", "unit_id", "staff_id", "metric__code"))
    assert staff_facts
    assert {metric for _day, _unit, _staff, metric in staff_facts} <= STAFF_METRICS
    postings = defaultdict(list)
    for staff_id, unit_id, start, end in Assignment.objects.values_list("staff_id", "unit_id", "start", "end"):
        postings[staff_id, unit_id].append((start, end))
    for day, unit_id, staff_id, _metric in staff_facts:
        assert any(start <= day and (end is None or day <= end) for start, end in postings[staff_id, unit_id])


def test_staff_facts_go_by_post_and_never_add_up_to_more_than_the_outlet():
    seed_without_rollup()

    posts = dict(Assignment.objects.values_list("staff__code", "post__code"))
    by_post = defaultdict(set)
    for staff_code, metric in window_facts().exclude(staff=None).values_list("staff__code", "metric__code"):
        by_post[metric].add(posts[staff_code])
    assert by_post["counter_referrals"] == {"teller"}
    assert by_post["lobby_referrals"] <= {"lobby_manager", "service_specialist"}
    assert by_post["wealth_sales"] == {"wealth_manager"}
    assert by_post["premium_customers"] <= {"wealth_manager", "customer_manager"}

    outlet_facts = window_facts().filter(staff=None).values_list("date", "unit_id", "metric__code", "value")
    outlet = {(day, unit, metric): value for day, unit, metric, value in outlet_facts}
    staff_sum = defaultdict(Decimal)
    for day, unit, metric, value in (
        window_facts().exclude(staff=None).values_list("date", "unit_id", "metric__code", "value")
    ):
        staff_sum[day, unit, metric] += value
    assert staff_sum
    for key, total in staff_sum.items():
        assert outlet[key] >= total, key


def test_balances_are_reported_on_weekdays_only_and_carry_over_the_weekend():
    seed_without_rollup()

    days = set(window_facts().filter(metric__aggregation=Aggregation.LAST).values_list("date", flat=True))
    assert days == {day for day in days_between(FIRST, END) if day.weekday() < 5}
    # Flows come in at the weekend too: full-service and smart outlets open on Saturday.
    assert window_facts().filter(metric__code="customers_served", date=datetime.date(2026, 1, 17)).exists()


def test_personal_and_corporate_deposits_add_up_to_the_total():
    seed_without_rollup()

    parts = defaultdict(dict)
    for day, unit, metric, value in Fact.objects.filter(
        metric__code__in=["deposit_balance", "deposit_balance_personal", "deposit_balance_corporate"]
    ).values_list("date", "unit_id", "metric__code", "value"):
        parts[day, unit][metric] = value
    assert parts
    for balances in parts.values():
        assert (
            balances["deposit_balance_personal"] + balances["deposit_balance_corporate"] == balances["deposit_balance"]
        )
        assert balances["deposit_balance_corporate"] > 0


def test_outlet_sizes_follow_area_and_format():
    seed_without_rollup(outlets=20)

    deposits = dict(
        Fact.objects.filter(date=END, metric__code="deposit_balance", staff=None).values_list("unit__code", "value")
    )
    sizes = {(outlet.area, outlet.format): deposits[outlet.code] for outlet in OrgUnit.objects.outlets()}
    assert sizes
    for (area, outlet_format), balance in sizes.items():
        if (area, outlet_format) == ("urban", "full"):
            assert 29_000 <= balance <= 82_000
        if (area, outlet_format) == ("township", "light"):
            assert 2_900 <= balance <= 10_300


def test_every_outlet_and_every_unit_above_one_has_targets_for_its_year_quarter_month_and_weeks():
    seed_without_rollup()

    periods = {"2026", "2026-Q1", "2026-01", "2026-W02", "2026-W03", "2026-W04"}
    outlets = list(OrgUnit.objects.outlets())
    units = {*outlets, *(unit for outlet in outlets for unit in outlet.ancestors())}
    assert {unit.kind for unit in units} == set(UnitKind.values)
    for unit in units:
        held = set(Target.objects.filter(unit=unit, metric__code="deposit_growth").values_list("period", flat=True))
        assert periods <= held, unit.code
        assert Target.objects.filter(unit=unit, period="2026-01", metric__code="satisfaction_rate").exists()


def test_units_above_outlets_hold_the_sums_of_their_outlets_cumulative_targets_and_hq_policy_for_rates():
    seed_without_rollup()

    outlets = Target.objects.filter(unit__kind=UnitKind.OUTLET, period="2026-01", metric__code="wealth_sales")
    hq = Target.objects.get(unit__code="HQ", period="2026-01", metric__code="wealth_sales")
    assert hq.value == sum(target.value for target in outlets)
    assert Target.objects.get(unit__code="HQ", period="2026-01", metric__code="avg_wait_minutes").value == 10


def test_a_week_target_is_its_month_pro_rata_and_the_periods_nest():
    seed_without_rollup()

    outlet = OrgUnit.objects.outlets().first()
    targets = dict(
        Target.objects.filter(unit=outlet, metric__code="mobile_banking_signups").values_list("period", "value")
    )
    january = targets["2026-01"]
    # 2026-W04 runs from 19 to 25 January: seven of January's 31 days.
    assert targets["2026-W04"] == round(january * 7 / 31)
    assert targets["2026"] > targets["2026-Q1"] > january > targets["2026-W04"] > 0


def test_the_months_of_a_year_add_up_to_the_year_exactly():
    outlet = demo_facts.OutletInfo(code="LY0101", area="urban", outlet_format="full", ancestors=("HQ", "LY", "LY01"))
    profile = demo_facts.profile_of(outlet, seed=1)
    span = demo_facts.window(end=datetime.date(2026, 12, 31), days=366)

    rows = [row.values for row in demo_facts.target_rows([profile], [], span)]

    for metric in demo_facts.OUTLET_CUMULATIVE:
        mine = {
            row["period"]: Decimal(row["target"]) for row in rows if row["unit"] == "LY0101" and row["metric"] == metric
        }
        months = [mine[f"2026-{month:02d}"] for month in range(1, 13)]
        assert sum(months) == mine["2026"], metric
        assert sum(months[9:]) == mine["2026-Q4"], metric


def test_staff_have_monthly_targets_for_the_metrics_of_their_post():
    seed_without_rollup()

    teller = Assignment.objects.filter(post__code="teller").first().staff
    wealth_manager = Assignment.objects.filter(post__code="wealth_manager").first().staff
    assert set(Target.objects.filter(staff=teller, period="2026-01").values_list("metric__code", flat=True)) == {
        "counter_referrals",
        "mobile_banking_signups",
    }
    assert "wealth_sales" in set(Target.objects.filter(staff=wealth_manager).values_list("metric__code", flat=True))
    assert set(Target.objects.exclude(staff=None).values_list("period_kind", flat=True)) == {PeriodKind.MONTH}


# What the tiny demo's rollup makes of its facts (its scorecards), and what a second run and a run two days
# later do, is tests/demo/test_demo_tiny.py's, whose tests share one seed of it.


def test_no_facts_seeds_the_network_only():
    seed("--no-facts")

    assert OrgUnit.objects.outlets().count() == 4
    assert not Fact.objects.exists()
    assert not Target.objects.exists()


def test_history_facts_are_outlet_totals_and_balances_before_the_window():
    seed_without_rollup()

    history = Fact.objects.filter(date__lt=FIRST)
    # Flows as totals of stretches: 1–4 January, then the days of the window's first week before it.
    served = set(history.filter(metric__code="customers_served").values_list("date", flat=True))
    assert served == {datetime.date(2026, 1, 4), datetime.date(2026, 1, 10)}
    first_days = history.get(date=datetime.date(2026, 1, 4), unit__code="LY0101", metric__code="customers_served")
    one_day = Fact.objects.get(date=END, unit__code="LY0101", metric__code="customers_served")
    assert 2 * one_day.value < first_days.value < 6 * one_day.value
    assert not history.exclude(staff=None).exclude(metric__code="premium_customers").exists()
    # The year-end balance of 2025 opens the year's net changes.
    assert history.filter(date=datetime.date(2025, 12, 31), metric__code="deposit_balance").count() == 4


def test_history_stretches_cover_the_year_before_the_window_each_inside_one_month():
    first = datetime.date(2026, 11, 15)  # a Sunday
    stretches = demo_facts.history_segments(first)

    assert stretches[0] == (datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    assert stretches[-1][1] == first - datetime.timedelta(days=1)
    for (_start, end), (following, _end) in itertools.pairwise(stretches):
        assert following == end + datetime.timedelta(days=1)
    for start, end in stretches:
        assert (start.year, start.month) == (end.year, end.month)
    # The window's first week (from Monday 9 November) holds only its own days.
    assert (datetime.date(2026, 11, 9), datetime.date(2026, 11, 14)) in stretches
    assert demo_facts.history_segments(datetime.date(2026, 1, 1)) == []


def test_opening_days_are_the_last_weekdays_before_the_periods_the_facts_start_in():
    # Sunday 15 November 2026: its week began on Monday the 9th, its month on the 1st, Q4 on 1 October.
    assert demo_facts.opening_days(datetime.date(2026, 11, 15)) == [
        datetime.date(2025, 12, 31),
        datetime.date(2026, 9, 30),
        datetime.date(2026, 10, 30),
        datetime.date(2026, 11, 6),
    ]


def test_the_same_seed_gives_the_same_profile_and_days():
    outlet = demo_facts.OutletInfo(code="LY0101", area="urban", outlet_format="full")
    first = demo_facts.profile_of(outlet, seed=7)
    again = demo_facts.profile_of(outlet, seed=7)
    other = demo_facts.profile_of(outlet, seed=8)

    assert first == again
    assert first.deposits != other.deposits
    assert demo_facts.outlet_day(first, END, [], seed=7) == demo_facts.outlet_day(again, END, [], seed=7)


def test_targets_are_for_the_periods_of_the_window_and_of_today():
    # Friday 27 – Sunday 29 November; today is Monday 30 November: a new week, still November.
    periods = demo_facts.target_periods(demo_facts.window(end=datetime.date(2026, 11, 29), days=3))

    assert [period.code for period in periods[PeriodKind.WEEK]] == ["2026-W48", "2026-W49"]
    assert [period.code for period in periods[PeriodKind.MONTH]] == ["2026-11"]
    assert periods[PeriodKind.YEAR] == [parse_period("2026")]
