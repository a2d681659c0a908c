"""factory_boy factories for the KPI side: metrics, facts, targets and rolled-up days.

The standard catalog (DOMAIN.md §8) comes from the data migration, so tests take its metrics with
`metric("customers_served")`; MetricFactory makes extra ones a test needs (say a staff-only metric,
which the catalog does not have).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from kpi.models import Aggregation, Fact, Level, Metric, MetricUnit, RollupDay, Target


def metric(code: str) -> Metric:
    """A metric of the standard catalog installed by kpi/migrations/0002_standard_catalog.py."""
    return Metric.objects.get(code=code)


class MetricFactory(DjangoModelFactory):
    """A `sum` metric counted in 件 for outlets; override what the test is about."""

    class Meta:
        model = Metric
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test_metric_{n}")
    name_zh = factory.LazyAttribute(lambda m: f"测试指标 {m.code}")
    name_en = factory.LazyAttribute(lambda m: f"Test metric {m.code}")
    unit = MetricUnit.ITEMS
    aggregation = Aggregation.SUM
    level = Level.OUTLET


class FactFactory(DjangoModelFactory):
    """An outlet's own fact (no staff) on 2026-11-24; `unit` and `metric` are required."""

    class Meta:
        model = Fact

    date = datetime.date(2026, 11, 24)
    staff = None
    value = Decimal("1")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs.get("unit") is None or kwargs.get("metric") is None:
            raise ValueError("FactFactory: pass unit=… and metric=…")
        if isinstance(kwargs["metric"], str):
            kwargs["metric"] = metric(kwargs["metric"])
        return super()._create(model_class, *args, **kwargs)


class RollupDayFactory(DjangoModelFactory):
    """A business day that has been rolled up and is not stale."""

    class Meta:
        model = RollupDay
        django_get_or_create = ("date",)

    date = datetime.date(2026, 11, 24)
    published_at = factory.LazyFunction(lambda: datetime.datetime(2026, 11, 25, 6, 0, tzinfo=datetime.UTC))
    stale_since = None


class TargetFactory(DjangoModelFactory):
    """A November 2026 target of a unit (give `unit=`) or a staff member (give `unit=None, staff=`)."""

    class Meta:
        model = Target

    metric = factory.LazyFunction(lambda: metric("deposit_balance"))
    period_kind = "month"
    period = "2026-11"
    period_start = datetime.date(2026, 11, 1)
    period_end = datetime.date(2026, 11, 30)
    value = Decimal("100")
