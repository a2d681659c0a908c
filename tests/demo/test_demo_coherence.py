"""A demo that holds together (issue 14): a small seed_demo, and what its pages say of it agrees.

Twelve outlets, facts of the fourteen days from Friday 23 January to Thursday 5 February 2026, all rolled
up: January ends inside the window, so its month scorecards of 31 January are whole months, its
customers are tiered (November to January), and the replicas of the benchmark LY0101 (LY0108, LY0109)
complete their transformation in the first days of February, after a January on the scorecards.
"""

from __future__ import annotations

import datetime
import io
import statistics
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command

from alerts import selectors as alerts_reads
from alerts.models import ImprovementPlan, ReviewStatus, WeeklyReview
from branches.models import OrgUnit, UnitKind
from customers.models import CustomerMonth
from customers.selectors import tier_pyramid
from demo import activity as demo_activity
from kpi.models import Contest, Scorecard, ScorecardLine
from kpi.selectors.contests import benchmark_comparison, contests_visible
from staff.access import scope_for_user
from staff.models import User
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 2, 5)
JANUARY_END = datetime.date(2026, 1, 31)
JANUARY = datetime.date(2026, 1, 1)


@pytest.fixture(autouse=True)
def _keep_daily_scorecards(settings):
    settings.SCORECARD_RETENTION_DAYS = 100_000
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> str:
    """One seeded demo for the module (its tests only read it; tests/shared_data.py): seeding it costs
    about 15 s, once instead of once a test."""
    out = io.StringIO()
    with shared_data(django_db_blocker):
        with as_in_a_test(SCORECARD_RETENTION_DAYS=100_000):
            call_command("seed_demo", "--outlets=12", "--days=14", f"--end={END}", stdout=out, stderr=io.StringIO())
        yield out.getvalue()


def month_lines(day: datetime.date, metric: str) -> dict[str, ScorecardLine]:
    cards = Scorecard.objects.published(on=day).filter(period="month", staff=None)
    lines = ScorecardLine.objects.filter(scorecard__in=cards, metric__code=metric).select_related("scorecard__unit")
    return {line.scorecard.unit.code: line for line in lines}


def test_premium_customers_agree_on_the_scorecard_the_tier_page_and_the_overview_for_every_unit(demo):
    """LY0101 showed 4,889 premium customers on its scorecard and 22 on its tier page: now both count the
    same customers, for every outlet and every unit above (the overview's figure is the unit's)."""
    scorecard = month_lines(JANUARY_END, "premium_customers")
    tiered = Counter(
        CustomerMonth.objects.filter(month=JANUARY, tier_rank__gte=3).values_list("outlet__code", flat=True)
    )
    outlets = list(OrgUnit.objects.outlets())
    assert len(outlets) == 12

    for unit in OrgUnit.objects.all():
        pyramid = tier_pyramid(unit=unit, month=JANUARY)
        under = [outlet.code for outlet in outlets if outlet.path.startswith(unit.path)]
        if not under:
            continue  # a branch of the plan with no outlet in so small a network
        counted = sum(tiered[code] for code in under)
        assert scorecard[unit.code].actual == pyramid.premium == counted, unit.code
    # Dozens of premium customers an outlet, not thousands.
    assert all(10 <= scorecard[outlet.code].actual <= 150 for outlet in outlets)
    # December's count is last month's on the tier page, and the start of January's growth.
    growth = month_lines(JANUARY_END, "premium_customers_growth")
    for outlet in outlets:
        pyramid = tier_pyramid(unit=outlet, month=JANUARY)
        assert growth[outlet.code].actual == pyramid.premium - pyramid.premium_before, outlet.code


def test_targets_are_within_reach_the_median_attainment_of_every_metric_is_60_to_150_percent(demo):
    """Targets come from each outlet's own history (去年同期 × growth): a month's attainment is mostly
    70–130 %, with some outlets behind and some far ahead, for every metric with a target."""
    cards = Scorecard.objects.published(on=JANUARY_END).filter(period="month", staff=None, unit__kind=UnitKind.OUTLET)
    by_metric: dict[str, list[float]] = defaultdict(list)
    for code, attainment in (
        ScorecardLine.objects.filter(scorecard__in=cards)
        .exclude(target=None)
        .exclude(pace_attainment=None)
        .values_list("metric__code", "pace_attainment")
    ):
        by_metric[code].append(float(attainment))

    medians = {code: round(statistics.median(values), 2) for code, values in by_metric.items()}
    assert len(medians) >= 15
    assert {code: median for code, median in medians.items() if not 0.6 <= median <= 1.5} == {}
    everything = [value for values in by_metric.values() for value in values]
    assert sum(0.7 <= value <= 1.3 for value in everything) > 0.7 * len(everything)
    assert min(everything) < 0.9 and max(everything) > 1.1
    # The premium customers' growth target is a few customers a month, not forty.
    premium = month_lines(JANUARY_END, "premium_customers_growth")
    assert all(1 <= premium[outlet.code].target <= 5 for outlet in OrgUnit.objects.outlets())


def test_every_replica_has_a_month_before_its_transformation_and_a_month_after_with_figures(demo):
    hq_admin = User.objects.get(username="hq_admin")
    benchmarks = list(OrgUnit.objects.filter(is_benchmark=True))
    assert benchmarks

    for benchmark in benchmarks:
        comparison = benchmark_comparison(scope=scope_for_user(hq_admin), benchmark=benchmark)
        assert comparison.as_of == END
        assert comparison.replicas
        for replica in comparison.replicas:
            if replica.outlet.transformed_on is None:
                # Still rolling out (demo.registers: the outlet head's outlet, 导入 → 固化): no "before" yet.
                assert replica.before_date is None, replica.outlet.code
                assert replica.outlet.transformation == "rolling_out", replica.outlet.code
                continue
            assert JANUARY_END < replica.outlet.transformed_on <= END
            assert replica.before_date == JANUARY_END
            # Every metric has both figures, but events that a month may well not see (a complaint, a risk
            # event: no fact, no figure).
            missing = [row.metric.code for row in replica.rows if row.before is None or row.after is None]
            assert set(missing) <= {"complaints", "risk_events"}, replica.outlet.code
            assert len(replica.rows) - len(missing) >= 10
            # The month before is a whole January; the month after is February to date.
            average = next(row for row in replica.rows if row.metric.code == "deposit_daily_avg")
            assert average.before.actual > 0 and average.after.actual > 0


@pytest.mark.parametrize("persona", ["hq_admin", "auditor", "unit_manager", "outlet_head"])
def test_every_demo_login_finds_contests_plans_and_reviews_and_their_pages_open(demo, client, persona):
    user = User.objects.get(username=persona)
    scope = scope_for_user(user)
    client.force_login(user)

    contests = contests_visible(scope=scope)
    plans = alerts_reads.plans_visible(scope=scope)
    reviews = alerts_reads.reviews_visible(scope=scope)
    assert contests.exists() and plans.exists() and reviews.exists()
    for url in (
        "/contests/",
        f"/contests/{contests.first().pk}/",
        "/plans/",
        f"/plans/{plans.first().pk}/",
        "/reviews/",
        f"/reviews/{reviews.first().pk}/",
    ):
        assert client.get(url).status_code == 200, url


def test_the_outlet_heads_review_waits_for_them_and_the_unit_manager_has_answers_to_give(demo):
    outlet_head = User.objects.get(username="outlet_head")
    reviews = WeeklyReview.objects.filter(unit__path__startswith=User.objects.get(username="unit_manager").unit.path)
    week = reviews.order_by("-week_start").values_list("week_start", flat=True).first()
    assert week == datetime.date(2026, 1, 26)  # the week of Sunday 1 February, the last rolled up

    statuses = Counter(reviews.filter(week_start=week).values_list("status", flat=True))
    own = reviews.filter(week_start=week, unit=outlet_head.unit).first()
    assert own is None or own.status == ReviewStatus.TO_FILL
    assert statuses[ReviewStatus.SUBMITTED] >= 1 and statuses[ReviewStatus.ANSWERED] >= 1
    filled = reviews.exclude(status=ReviewStatus.TO_FILL).select_related("submitted_by", "unit")
    for review in filled:
        # Filled in by the head of the outlet, in figures: 手机银行签约完成 28 户，周目标 49 户 …
        assert review.submitted_by.unit == review.unit and review.submitted_by.role == "outlet_head"
        assert "周目标" in review.what_happened and review.why and review.remedy
    # Plans: the outlet head's own and the lowest month score of each sub-branch, each with three measures.
    plans = ImprovementPlan.objects.filter(period="2026-02").prefetch_related("measures")
    assert outlet_head.unit_id in {plan.unit_id for plan in plans}
    assert all(plan.measures.count() == 3 for plan in plans)
    assert (
        Contest.objects.filter(pairs__outlet_a=outlet_head.unit).exists()
        or Contest.objects.filter(pairs__outlet_b=outlet_head.unit).exists()
    )


def test_seeding_the_activity_again_writes_nothing(demo):
    counts = (Contest.objects.count(), ImprovementPlan.objects.count(), WeeklyReview.objects.count())
    statuses = list(WeeklyReview.objects.order_by("pk").values_list("status", "what_happened", "answer"))

    again = demo_activity.seed_activity(seed=2026, end=END)

    assert (again.contests, again.plans, again.reviews, again.submitted, again.answered) == (0, 0, 0, 0, 0)
    assert (Contest.objects.count(), ImprovementPlan.objects.count(), WeeklyReview.objects.count()) == counts
    assert list(WeeklyReview.objects.order_by("pk").values_list("status", "what_happened", "answer")) == statuses
