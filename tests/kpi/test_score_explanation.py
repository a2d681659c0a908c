"""Why a scorecard scores what it does (kpi.selectors.score_explanation), on the figures of
tests/kpi/explanation_data.py worked by hand, and the scale of a template on its own."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpi.models import LineKind, Scorecard, TemplateLine
from kpi.selectors.score_explanation import ScoreScale, score_explanation
from kpi.selectors.scorecards import scorecard_get
from tests.kpi import explanation_data
from tests.kpi.explanation_data import DAY, VETO_WORDS

explained = explanation_data.shared_explained  # the fixture, made once for the module
shared_explanation = explanation_data.shared_explanation  # what `explained` reads: made once for the module

pytestmark = pytest.mark.django_db


def _card(unit, period="month") -> Scorecard:
    return scorecard_get(date=DAY, period=period, unit=unit)


def _by_metric(explanation) -> dict:
    return {line_score.line.metric.code: line_score for line_score in explanation.lines.values()}


def test_a_weighted_line_is_its_weight_times_its_pace_held_under_the_cap(explained):
    explanation = score_explanation(scorecard=_card(explained["GZ0101"]))
    served = _by_metric(explanation)["customers_served"]

    # 225 of 300 by mid-month: attainment 75 %, pace 150 %, held at the cap of 120 %: 20 × 1.2 = 24.
    assert (served.kind, served.rule.weight, served.rule.cap, served.rule.floor) == (
        LineKind.WEIGHTED,
        Decimal("20"),
        Decimal("1.2"),
        Decimal("0"),
    )
    assert served.line.pace_attainment == Decimal("1.5")
    assert (served.clamped, served.capped, served.floored) == (Decimal("1.2"), True, False)
    assert served.score == Decimal("24")


def test_a_weighted_line_below_its_floor_counts_at_the_floor(explained):
    wealth = _by_metric(score_explanation(scorecard=_card(explained["GZ0101"])))["wealth_sales"]

    # 100 of 1,000 by mid-month: pace 20 %, raised to the floor of 50 %: 80 × 0.5 = 40.
    assert (wealth.line.pace_attainment, wealth.clamped, wealth.floored) == (Decimal("0.2"), Decimal("0.5"), True)
    assert wealth.score == Decimal("40")


def test_a_points_line_is_units_times_points_up_to_its_maximum(explained):
    lines = _by_metric(score_explanation(scorecard=_card(explained["GZ0101"])))

    signups, complaints = lines["mobile_banking_signups"], lines["complaints"]
    # 3 sign-ups × 2 = 6, above the maximum of 5.
    assert (signups.raw_points, signups.at_maximum, signups.score) == (Decimal("6"), True, Decimal("5"))
    # 1 complaint × −2, no maximum: a deduction.
    assert (complaints.raw_points, complaints.at_maximum, complaints.score) == (Decimal("-2"), False, Decimal("-2"))


def test_the_total_is_the_sum_of_the_lines_out_of_100_plus_bonus(explained):
    explanation = score_explanation(scorecard=_card(explained["GZ0101"]))

    assert explanation.scorecard.total_score == Decimal("67")  # 24 + 40 + 5 − 2
    assert explanation.scale == ScoreScale(
        full=Decimal("100"), bonus=Decimal("9"), maximum=Decimal("109"), deducts=True
    )
    assert (explanation.template.code, explanation.template.effective_from) == (
        "T-URBAN",
        explanation_data.D(2026, 7, 1),
    )
    assert explanation.shows_score
    assert explanation.fired_vetoes == []


def test_a_fired_veto_names_its_metric_its_figure_and_the_allowed_value(explained):
    explanation = score_explanation(scorecard=_card(explained["GZ0102"]))

    (veto,) = explanation.fired_vetoes
    assert (veto.metric.code, veto.actual, veto.rule.allowed_value, veto.rule.veto_reason) == (
        "risk_events",
        Decimal("1"),
        Decimal("0"),
        VETO_WORDS,
    )
    assert (explanation.scorecard.vetoed, explanation.scorecard.total_score) == (True, Decimal("0"))


def test_a_day_without_a_daily_target_is_not_scored(explained):
    explanation = score_explanation(scorecard=_card(explained["GZ0101"], period="day"))

    assert explanation.unscored_day
    assert not explanation.shows_score
    assert explanation.scorecard.total_score is None
    assert explanation.scorecard.rank is None


def test_a_scorecard_without_a_template_explains_nothing_and_asks_nothing(explained, django_assert_num_queries):
    card = _card(explained["GZ0101"])
    Scorecard.objects.filter(pk=card.pk).update(template=None)
    card = _card(explained["GZ0101"])

    with django_assert_num_queries(0):
        explanation = score_explanation(scorecard=card)
    assert (explanation.template, explanation.scale, explanation.lines) == (None, None, {})
    assert not explanation.unscored_day


def test_the_rules_of_every_line_come_in_one_query(explained, django_assert_num_queries):
    card = _card(explained["GZ0101"])

    with django_assert_num_queries(1):
        explanation = score_explanation(scorecard=card)
        codes = sorted(line_score.rule.metric.code for line_score in explanation.lines.values())
        name = explanation.template.name
    assert codes == ["complaints", "customers_served", "mobile_banking_signups", "risk_events", "wealth_sales"]
    assert name == "城区网点考核方案"


# -- a template's scale on its own -------------------------------------------------------------------


def _rule(kind, **options) -> TemplateLine:
    return TemplateLine(kind=kind, **options)


def test_a_teller_template_of_points_only_is_out_of_its_maxima():
    scale = ScoreScale.of(
        [
            _rule(LineKind.POINTS, points_per_unit=Decimal(1), max_points=Decimal(60)),
            _rule(LineKind.POINTS, points_per_unit=Decimal("0.5"), max_points=Decimal(40)),
        ]
    )

    assert scale == ScoreScale(full=Decimal(100), bonus=Decimal(0), maximum=Decimal(100), deducts=False)


def test_points_without_a_maximum_leave_the_total_without_one():
    scale = ScoreScale.of(
        [
            _rule(LineKind.WEIGHTED, weight=Decimal(100), cap=Decimal("1.2"), floor=Decimal(0)),
            _rule(LineKind.POINTS, points_per_unit=Decimal(1), max_points=None),
        ]
    )

    assert (scale.full, scale.bonus, scale.maximum) == (Decimal(100), Decimal(20), None)
