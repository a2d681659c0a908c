"""factory_boy factories for early warning and follow-through (alerts/models.py).

The rule evaluation fills Alert rows from the rollup; tests of the reading side, the pages and the API
build them directly. Metrics come from the standard catalog: `metric("satisfaction_rate")`.

    rule = AlertRuleFactory(kind=RuleKind.THRESHOLD, metric=metric("avg_wait_minutes"), threshold=10)
    alert = AlertFactory(rule=rule, unit=network["GZ0101"], deadline=datetime.date(2026, 11, 20))
    review = WeeklyReviewFactory(unit=network["GZ0101"])
    plan = ImprovementPlanFactory(unit=network["GZ0101"], period="2026-11")
    MeasureFactory(plan=plan, progress=40)
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from alerts.models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertStatus,
    Comparison,
    ImprovementPlan,
    Measure,
    ReviewStatus,
    RuleKind,
    WeeklyReview,
)
from kpi.models import Metric

# The business day the alert tests are written around (a Tuesday), and the Monday of its week.
ALERT_DAY = datetime.date(2026, 11, 24)
REVIEW_WEEK = datetime.date(2026, 11, 23)


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


class AlertRuleFactory(DjangoModelFactory):
    """A threshold rule by default: the day's average wait above 10 minutes, for outlets."""

    class Meta:
        model = AlertRule

    name = factory.Sequence(lambda n: f"平均等待超过10分钟 #{n}")
    kind = RuleKind.THRESHOLD
    metric = factory.LazyFunction(lambda: metric("avg_wait_minutes"))
    unit_kind = "outlet"
    period = "day"
    comparison = Comparison.ABOVE
    threshold = Decimal("10")
    follow_up_days = 7


class AlertFactory(DjangoModelFactory):
    """An open alert of `unit` (required), first seen on ALERT_DAY, with the rule's metric."""

    class Meta:
        model = Alert

    rule = factory.SubFactory(AlertRuleFactory)
    metric = factory.LazyAttribute(lambda alert: alert.rule.metric)
    status = AlertStatus.OPEN
    opened_on = ALERT_DAY
    last_seen_on = factory.LazyAttribute(lambda alert: alert.opened_on)
    value = Decimal("12.5")
    detail = "平均等待时间 12.5 分钟，高于 10 分钟"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs.get("unit") is None:
            raise ValueError("AlertFactory: pass unit=… (the outlet or unit the alert is about)")
        return super()._create(model_class, *args, **kwargs)


class AlertEventFactory(DjangoModelFactory):
    class Meta:
        model = AlertEvent

    comment = "已电话联系网点负责人"


class WeeklyReviewFactory(DjangoModelFactory):
    """A review to fill in for the week of REVIEW_WEEK; `unit` (an outlet) is required."""

    class Meta:
        model = WeeklyReview

    week_start = REVIEW_WEEK
    status = ReviewStatus.TO_FILL
    missed = factory.LazyFunction(
        lambda: [
            {"metric": "mobile_banking_signups", "target": "50.0000", "actual": "38.0000", "attainment": "0.760000"}
        ]
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs.get("unit") is None:
            raise ValueError("WeeklyReviewFactory: pass unit=… (the outlet that missed its weekly target)")
        return super()._create(model_class, *args, **kwargs)


class ImprovementPlanFactory(DjangoModelFactory):
    """一点一策 for November 2026; `unit` (an outlet) is required."""

    class Meta:
        model = ImprovementPlan

    period = "2026-11"
    title = "提升手机银行签约"
    diagnosis = "大堂引导不足，客户等待时间长"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs.get("unit") is None:
            raise ValueError("ImprovementPlanFactory: pass unit=… (the outlet of the plan)")
        return super()._create(model_class, *args, **kwargs)


class MeasureFactory(DjangoModelFactory):
    class Meta:
        model = Measure

    plan = factory.SubFactory(ImprovementPlanFactory)
    description = factory.Sequence(lambda n: f"措施 {n}：厅堂每日晨会演练营销话术")
    due = datetime.date(2026, 11, 30)
    progress = 0
