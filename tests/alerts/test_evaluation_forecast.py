"""The forecast rule, "will miss the month at this pace" (预计本月无法完成, issue 14), evaluated like the
other rules (alerts/services/evaluation.py) on hand-made published days.

2026-11-10 is day 10 of November's 30 (time progress 1/3); 2026-11-05 day 5 (1/6).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Alert, AlertRule, AlertStatus, RuleKind
from alerts.services.evaluation import alerts_evaluate
from kpi.models import Metric, TimeBasis
from tests.alerts.factories import AlertRuleFactory, metric
from tests.kpi.scorecard_factories import ScorecardFactory, ScorecardLineFactory, published_day

D = datetime.date
DAY = D(2026, 11, 10)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_the_rule_under_test(db):
    AlertRule.objects.update(is_active=False)


def forecast_rule(**overrides) -> AlertRule:
    fields = {
        "name": "手机银行签约预计本月无法完成",
        "kind": RuleKind.FORECAST_MISS,
        "metric": metric("mobile_banking_signups"),
        "period": "month",
        "comparison": "",
        "threshold": None,
    }
    return AlertRuleFactory(**{**fields, **overrides})


def published_month(units_figures, *, day=DAY):
    """One published day with a month line per unit: {unit: (actual, target[, last year to date])}."""
    run = published_day(day).published_run
    for unit, figures in units_figures.items():
        actual, target, *rest = figures
        card = ScorecardFactory(run=run, unit=unit, period="month")
        ScorecardLineFactory(
            scorecard=card,
            metric=metric("mobile_banking_signups"),
            actual=Decimal(str(actual)),
            target=Decimal(str(target)),
            last_year_actual=Decimal(str(rest[0])) if rest else None,
        )


class TestForecastMiss:
    def test_it_fires_for_300_after_10_of_30_days_against_1000(self, network):
        rule = forecast_rule()
        # GZ0101: 900 projected, 90 %. GZ0102: 300 / 10 × 30 = 900 of 800, on track.
        published_month({network["GZ0101"]: (300, 1000), network["GZ0102"]: (300, 800)})

        result = alerts_evaluate(day=DAY)

        (alert,) = Alert.objects.filter(rule=rule)
        assert (alert.unit, alert.status, alert.value) == (network["GZ0101"], AlertStatus.OPEN, Decimal("0.9"))
        # Written by the number rule: a count (户) whole, with its unit.
        assert "900 户" in alert.detail and "1,000 户" in alert.detail and "90.0%" in alert.detail
        assert "33.3%" in alert.detail  # the time progress
        assert result.opened == 1

    def test_a_metric_counted_in_business_days_is_forecast_on_business_days(self, network):
        Metric.objects.filter(code="mobile_banking_signups").update(time_basis=TimeBasis.BUSINESS)
        rule = forecast_rule()
        # Monday 16 November: 11 of November's 21 business days. 550 / 11 × 21 = 1,050 of 1,040: on track,
        # as the scorecard's forecast says (in calendar days, 550 / 16 × 30 = 1,031.25: 99.2 %, it fired).
        published_month({network["GZ0101"]: (550, 1040)}, day=D(2026, 11, 16))

        alerts_evaluate(day=D(2026, 11, 16))

        assert not Alert.objects.filter(rule=rule).exists()

    def test_it_does_not_fire_before_the_minimum_time_progress(self, network):
        rule = forecast_rule()
        # Day 5 of 30 (16.7 %, under 30 %): 50 → 300 projected of 1,000, but too early to say.
        published_month({network["GZ0101"]: (50, 1000)}, day=D(2026, 11, 5))

        alerts_evaluate(day=D(2026, 11, 5))
        assert not Alert.objects.filter(rule=rule).exists()

        AlertRule.objects.filter(pk=rule.pk).update(min_time_progress=Decimal("0.1"))
        alerts_evaluate(day=D(2026, 11, 5))
        assert Alert.objects.filter(rule=rule, unit=network["GZ0101"]).exists()

    def test_last_years_curve_can_keep_it_quiet(self, network):
        rule = forecast_rule()
        # Last year: 200 by 11-10, 800 by 11-30 (published then): 300 × 4 = 1,200 of 1,000.
        published_month({network["GZ0101"]: (800, 1000)}, day=D(2025, 11, 30))
        published_month({network["GZ0101"]: (300, 1000, 200)})

        alerts_evaluate(day=DAY)

        assert not Alert.objects.filter(rule=rule).exists()

    def test_a_threshold_below_1_leaves_a_margin(self, network):
        rule = forecast_rule(threshold=Decimal("0.85"))
        published_month({network["GZ0101"]: (300, 1000)})  # 90 %: above 85 %

        alerts_evaluate(day=DAY)

        assert not Alert.objects.filter(rule=rule).exists()

    def test_it_clears_when_the_pace_comes_back(self, network):
        rule = forecast_rule()
        published_month({network["GZ0101"]: (300, 1000)})
        alerts_evaluate(day=DAY)
        # The next day: 400 in 11 days → 1,090.9 projected.
        published_month({network["GZ0101"]: (400, 1000)}, day=D(2026, 11, 11))
        alerts_evaluate(day=D(2026, 11, 11))

        (alert,) = Alert.objects.filter(rule=rule)
        assert (alert.status, alert.cleared_on) == (AlertStatus.CLEARED, D(2026, 11, 11))

    def test_the_queries_do_not_grow_with_the_units(self, network):
        forecast_rule()
        published_month({network["GZ0101"]: (300, 1000, 100)})
        with CaptureQueriesContext(connection) as few:
            alerts_evaluate(day=DAY)
        Alert.objects.all().delete()
        published_month(
            {network[code]: (300, 1000, 100) for code in ("GZ0101", "GZ0102", "GZ0201", "SZ0101")},
            day=D(2026, 11, 12),
        )
        with CaptureQueriesContext(connection) as many:
            alerts_evaluate(day=D(2026, 11, 12))
        assert len(many) == len(few)


class TestTheRule:
    def test_the_default_rule_watches_mobile_banking_from_30_percent_of_the_month(self):
        rule = AlertRule.objects.get(name="手机银行签约预计本月无法完成")
        assert (rule.kind, rule.metric.code, rule.period, rule.min_time_progress, rule.unit_kind) == (
            RuleKind.FORECAST_MISS,
            "mobile_banking_signups",
            "month",
            Decimal("0.300"),
            "outlet",
        )

    def test_it_takes_an_amount_to_reach_over_a_longer_period_than_a_day(self):
        with pytest.raises(ValidationError) as raised:
            forecast_rule(metric=metric("deposit_balance")).clean()
        assert "metric" in raised.value.message_dict
        with pytest.raises(ValidationError) as raised:
            forecast_rule(period="day").clean()
        assert "period" in raised.value.message_dict
        forecast_rule(metric=metric("deposit_growth"), period="quarter").clean()
