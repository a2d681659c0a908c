"""Scores and ranks (DOMAIN.md §5) through the rollup, figures worked out by hand.

Every case is rolled up as of 2026-11-15: month time progress 15/30 = 0.5.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kpi.models import Fact, LineKind, Metric, Scorecard, ScorecardLine, ScorecardTemplate, Target, TemplateLine
from kpi.services import rollup
from tests.factories import AssignmentFactory, OrgUnitFactory, StaffMemberFactory, post

D = datetime.date
DAY = D(2026, 11, 15)
pytestmark = pytest.mark.django_db


@pytest.fixture
def sub_branch():
    hq = OrgUnitFactory.head_office(code="HQ")
    return OrgUnitFactory.sub_branch_of(hq, code="SB1")


def outlets(sub_branch, *codes, area="urban"):
    return [OrgUnitFactory.outlet_of(sub_branch, code=code, area=area) for code in codes]


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


def fact(unit, code, value, staff=None, day=DAY):
    Fact.objects.create(date=day, unit=unit, staff=staff, metric=metric(code), value=Decimal(str(value)))


def month_target(code, value, unit=None, staff=None):
    Target.objects.create(
        unit=unit, staff=staff, metric=metric(code), period_kind="month", period_start=D(2026, 11, 1),
        period_end=D(2026, 11, 30), period="2026-11", value=Decimal(str(value)),
    )  # fmt: skip


def template(code="T-URBAN", *, subject="outlet", effective=None, area="", lines=(), posts=()):
    made = ScorecardTemplate.objects.create(
        code=code, name_zh=code, subject=subject, effective_from=effective or D(2026, 1, 1), area=area
    )
    for order, (metric_code, kind, options) in enumerate(lines):
        TemplateLine.objects.create(template=made, metric=metric(metric_code), kind=kind, sort_order=order, **options)
    for post_code in posts:
        made.posts.add(post(post_code))
    return made


def card(unit=None, staff=None, day=DAY, period="month") -> Scorecard:
    return Scorecard.objects.published().get(date=day, period=period, unit=unit, staff=staff)


def line_of(scorecard: Scorecard, code: str) -> ScorecardLine:
    return scorecard.lines.get(metric__code=code)


def roll(day=DAY):
    rollup.rollup_day(day=day)


class TestLineScores:
    def test_a_weighted_line_scores_its_pace_clamped_between_floor_and_cap(self, sub_branch):
        below, at_pace, above = outlets(sub_branch, "A", "B", "C")
        template(lines=[("customers_served", LineKind.WEIGHTED, {"weight": 40})])
        # Target 300: pace needs 150 by mid-month. 120 → 0.8; 150 → 1.0; 240 → 1.6, capped at 1.2.
        for outlet, served in ((below, 120), (at_pace, 150), (above, 240)):
            month_target("customers_served", 300, unit=outlet)
            fact(outlet, "customers_served", served)
        roll()
        assert line_of(card(below), "customers_served").score == Decimal("32")  # 40 × 0.8
        assert line_of(card(at_pace), "customers_served").score == Decimal("40")  # 40 × 1.0
        assert line_of(card(above), "customers_served").score == Decimal("48")  # 40 × 1.2 (cap)
        assert card(above).total_score == Decimal("48")

    def test_a_floor_raises_a_weak_line_to_its_minimum(self, sub_branch):
        (weak,) = outlets(sub_branch, "A")
        template(lines=[("customers_served", LineKind.WEIGHTED, {"weight": 50, "floor": Decimal("0.6")})])
        month_target("customers_served", 300, unit=weak)
        fact(weak, "customers_served", 30)  # pace 30 / 150 = 0.2 → floor 0.6 → 30 points
        roll()
        assert line_of(card(weak), "customers_served").score == Decimal("30")

    def test_a_points_line_counts_units_up_to_its_maximum(self, sub_branch):
        few, many = outlets(sub_branch, "A", "B")
        template(
            lines=[
                ("customer_visits", LineKind.POINTS, {"points_per_unit": Decimal("0.5"), "max_points": 10}),
            ]
        )
        fact(few, "customer_visits", 12)  # 12 × 0.5 = 6
        fact(many, "customer_visits", 30)  # 15, capped at 10
        roll()
        assert line_of(card(few), "customer_visits").score == Decimal("6")
        assert line_of(card(many), "customer_visits").score == Decimal("10")

    def test_a_veto_zeroes_the_score_and_says_why(self, sub_branch):
        clean, risky = outlets(sub_branch, "A", "B")
        template(
            lines=[
                ("customers_served", LineKind.WEIGHTED, {"weight": 100}),
                ("risk_events", LineKind.VETO, {"allowed_value": 0, "veto_reason": "发生内控风险事件"}),
            ]
        )
        for outlet in (clean, risky):
            month_target("customers_served", 300, unit=outlet)
            fact(outlet, "customers_served", 150)
            fact(outlet, "risk_events", 0)
        Fact.objects.filter(unit=risky, metric__code="risk_events").update(value=1)
        roll()
        assert (card(clean).total_score, card(clean).vetoed) == (Decimal("100"), False)
        vetoed = card(risky)
        assert (vetoed.total_score, vetoed.vetoed, vetoed.veto_reason) == (Decimal("0"), True, "发生内控风险事件")

    def test_a_card_vetoed_by_several_lines_gives_each_distinct_reason_once_sorted(self, sub_branch):
        clean, one, both = outlets(sub_branch, "A", "B", "C")
        template(
            lines=[
                ("customers_served", LineKind.WEIGHTED, {"weight": 100}),
                ("risk_events", LineKind.VETO, {"allowed_value": 0, "veto_reason": "发生内控风险事件"}),
                ("complaints", LineKind.VETO, {"allowed_value": 2, "veto_reason": "客户投诉超限"}),
                ("npl_balance", LineKind.VETO, {"allowed_value": 50, "veto_reason": "发生内控风险事件"}),
            ]
        )
        for outlet in (clean, one, both):
            month_target("customers_served", 300, unit=outlet)
            fact(outlet, "customers_served", 150)
        # B: 3 complaints > 2. C: a risk event > 0, 3 complaints > 2, and a bad loan balance of 60 > 50,
        # whose reason is the risk event's again.
        fact(one, "complaints", 3)
        fact(both, "complaints", 3)
        fact(both, "risk_events", 1)
        fact(both, "npl_balance", 60)
        roll()
        assert (card(clean).total_score, card(clean).vetoed, card(clean).veto_reason) == (Decimal("100"), False, "")
        assert (card(one).total_score, card(one).veto_reason) == (Decimal("0"), "客户投诉超限")
        # Sorted as text: 发 (U+53D1) before 客 (U+5BA2); the risk event's reason once.
        assert (card(both).total_score, card(both).veto_reason) == (Decimal("0"), "发生内控风险事件; 客户投诉超限")
        assert (card(clean).rank, card(one).rank, card(both).rank) == (1, 2, 2)

    def test_a_line_uses_its_own_status_thresholds(self, sub_branch):
        (outlet,) = outlets(sub_branch, "A")
        template(
            lines=[
                (
                    "customers_served",
                    LineKind.WEIGHTED,
                    {"weight": 100, "green_at": Decimal("0.8"), "amber_at": Decimal("0.6")},
                )
            ]
        )
        month_target("customers_served", 300, unit=outlet)
        fact(outlet, "customers_served", 130)  # pace 130 / 150 = 0.867: red by default, green here
        roll()
        assert line_of(card(outlet), "customers_served").status == "green"


class TestRanks:
    def test_ties_rank_one_two_two_four_inside_the_peer_group_and_the_network(self, sub_branch):
        a, b, c, d = outlets(sub_branch, "A", "B", "C", "D")
        other_sub_branch = OrgUnitFactory.sub_branch_of(sub_branch.parent, code="SB2")
        (e,) = outlets(other_sub_branch, "E")
        template(lines=[("customers_served", LineKind.WEIGHTED, {"weight": 100})])
        # Paces 1.1, 1.0, 1.0, 0.5 in SB1 and 1.2 in SB2 → scores 110, 100, 100, 50 and 120.
        for outlet, served in ((a, 165), (b, 150), (c, 150), (d, 75), (e, 180)):
            month_target("customers_served", 300, unit=outlet)
            fact(outlet, "customers_served", served)
        roll()
        assert [(card(o).rank, card(o).rank_of) for o in (a, b, c, d)] == [(1, 4), (2, 4), (2, 4), (4, 4)]
        assert (card(e).rank, card(e).rank_of) == (1, 1)
        assert [card(o).network_rank for o in (e, a, b, c, d)] == [1, 2, 3, 3, 5]
        assert card(a).network_rank_of == 5
        assert [(line_of(card(o), "customers_served").rank) for o in (a, b, c, d)] == [1, 2, 2, 4]

    def test_staff_rank_inside_their_outlet_by_the_template_of_their_post(self, sub_branch):
        a, b = outlets(sub_branch, "A", "B")
        template(
            "T-TELLER", subject="staff", posts=["teller"],
            lines=[("mobile_banking_signups", LineKind.POINTS, {"points_per_unit": 1})],
        )  # fmt: skip
        tellers = []
        for outlet, signups in ((a, 5), (a, 9), (b, 7)):
            teller = StaffMemberFactory()
            AssignmentFactory(staff=teller, unit=outlet, post="teller", start=D(2026, 1, 1))
            fact(outlet, "mobile_banking_signups", signups, staff=teller)
            tellers.append(teller)
        roll()
        ranks = [(card(staff=t).total_score, card(staff=t).rank, card(staff=t).network_rank) for t in tellers]
        # Inside A: 9 before 5; across the network: 9, 7, 5.
        assert ranks == [(Decimal("5"), 2, 3), (Decimal("9"), 1, 1), (Decimal("7"), 1, 2)]


class TestVersions:
    def test_a_new_template_version_leaves_earlier_scores_untouched(self, sub_branch):
        (outlet,) = outlets(sub_branch, "A")
        template(lines=[("customers_served", LineKind.WEIGHTED, {"weight": 100})])
        month_target("customers_served", 300, unit=outlet)
        fact(outlet, "customers_served", 150, day=D(2026, 11, 15))
        fact(outlet, "customers_served", 10, day=D(2026, 11, 16))
        roll(D(2026, 11, 15))
        # From 16 November the same template code weighs the line 50.
        template(effective=D(2026, 11, 16), lines=[("customers_served", LineKind.WEIGHTED, {"weight": 50})])
        roll(D(2026, 11, 16))
        roll(D(2026, 11, 15))  # rerunning the earlier day still uses the version then in force
        assert card(outlet, day=D(2026, 11, 15)).total_score == Decimal("100")
        # 16 Nov: 160 of 300 at 16/30 → pace 1.0 → 50 × 1.0.
        assert card(outlet, day=D(2026, 11, 16)).total_score == Decimal("50")

    def test_an_outlet_takes_the_most_specific_template(self, sub_branch):
        (urban,) = outlets(sub_branch, "A", area="urban")
        (township,) = outlets(sub_branch, "B", area="township")
        everyone = template("T-ALL", lines=[("customers_served", LineKind.POINTS, {"points_per_unit": 1})])
        urban_only = template(
            "T-URBAN", area="urban", lines=[("customers_served", LineKind.POINTS, {"points_per_unit": 2})]
        )
        fact(urban, "customers_served", 10)
        fact(township, "customers_served", 10)
        roll()
        assert (card(urban).template_id, card(urban).total_score) == (urban_only.pk, Decimal("20"))
        assert (card(township).template_id, card(township).total_score) == (everyone.pk, Decimal("10"))


def day_target(code, value, unit, day=DAY):
    Target.objects.create(
        unit=unit, metric=metric(code), period_kind="day", period_start=day, period_end=day,
        period=day.isoformat(), value=Decimal(str(value)),
    )  # fmt: skip


class TestDays:
    """A day is scored only when one of its weighted lines has a target of the day (DOMAIN.md §5 and
    issue 14: "the day view either has daily targets or does not pretend to score")."""

    LINES = [
        ("customers_served", LineKind.WEIGHTED, {"weight": 20, "cap": Decimal("1.2")}),
        ("mobile_banking_signups", LineKind.POINTS, {"points_per_unit": 2, "max_points": 5}),
        ("complaints", LineKind.POINTS, {"points_per_unit": -2}),
        ("risk_events", LineKind.VETO, {"allowed_value": 0, "veto_reason": "发生内控风险事件"}),
    ]

    def test_a_day_with_a_daily_target_is_scored_like_any_period(self, sub_branch):
        (outlet,) = outlets(sub_branch, "A")
        template(lines=self.LINES)
        day_target("customers_served", 20, outlet)
        fact(outlet, "customers_served", 30)  # the whole day is gone: pace = attainment = 30 / 20 = 1.5
        fact(outlet, "mobile_banking_signups", 3)
        fact(outlet, "complaints", 0)
        roll()
        day = card(outlet, period="day")
        assert line_of(day, "customers_served").score == Decimal("24")  # 20 × clamp(1.5, 0, 1.2)
        assert line_of(day, "mobile_banking_signups").score == Decimal("5")  # 3 × 2 = 6, max 5
        assert line_of(day, "complaints").score == Decimal("0")
        assert (day.total_score, day.rank, day.rank_of) == (Decimal("29"), 1, 1)

    def test_a_day_without_a_daily_target_has_no_score_no_rank_but_keeps_its_veto(self, sub_branch):
        quiet, risky = outlets(sub_branch, "A", "B")
        template(lines=self.LINES)
        for outlet in (quiet, risky):
            month_target("customers_served", 300, unit=outlet)
            fact(outlet, "customers_served", 150)
            fact(outlet, "mobile_banking_signups", 3)
            fact(outlet, "complaints", 1)
        fact(risky, "risk_events", 1)
        roll()
        for outlet in (quiet, risky):
            day = card(outlet, period="day")
            # Once: complaints −2 and sign-ups 5 made a day score of 3 (or 0 when vetoed), ranked 1 of 2.
            assert (day.total_score, day.rank, day.rank_of, day.network_rank) == (None, None, None, None)
            assert [line.score for line in day.lines.all()] == [None] * day.lines.count()
            assert day.template_id is not None
        assert (card(risky, period="day").vetoed, card(risky, period="day").veto_reason) == (True, "发生内控风险事件")
        # The month is scored as before: 20 × 1.0 + 5 − 2 = 23; the risky outlet's veto makes it 0.
        assert (card(quiet).total_score, card(quiet).rank) == (Decimal("23"), 1)
        assert (card(risky).total_score, card(risky).rank) == (Decimal("0"), 2)
