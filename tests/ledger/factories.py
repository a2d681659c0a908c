"""Factories of the points ledger: the ledger's points metric and its items (issue 16)."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from kpi.models import Aggregation, Level, MetricUnit
from ledger.models import ItemKind, LedgerItem
from tests.kpi.factories import MetricFactory


def points_metric(code: str = "ledger_points"):
    """台账积分: a staff `sum` metric counted in points (分), fed by the ledger only."""
    return MetricFactory(
        code=code,
        name_zh="台账积分",
        name_en="Ledger points",
        unit=MetricUnit.POINTS,
        aggregation=Aggregation.SUM,
        level=Level.STAFF,
        category="marketing",
    )


class LedgerItemFactory(DjangoModelFactory):
    """A reward item worth 2.5 points a unit toward 台账积分, needing approval, open to every post."""

    class Meta:
        model = LedgerItem
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"item_{n}")
    name_zh = factory.LazyAttribute(lambda item: f"台账项目 {item.code}")
    name_en = factory.LazyAttribute(lambda item: f"Ledger item {item.code}")
    kind = ItemKind.REWARD
    metric = factory.LazyFunction(points_metric)
    points_per_unit = Decimal("2.5")
    requires_approval = True


def card_item(**kwargs) -> LedgerItem:
    """信用卡开卡: 2.5 points a card, the customer number required, at most 5 a day."""
    return LedgerItemFactory(
        code="credit_card", name_zh="信用卡开卡", name_en="Credit card opened", unit_label="张",
        requires_customer=True, daily_cap=5, **kwargs,
    )  # fmt: skip


def leaflet_item(**kwargs) -> LedgerItem:
    """发放宣传单: 0.1 points a leaflet, a photo as evidence, counted without approval."""
    return LedgerItemFactory(
        code="leaflets", name_zh="发放宣传单", name_en="Leaflets handed out", unit_label="份",
        points_per_unit=Decimal("0.1"), requires_evidence=True, requires_approval=False, **kwargs,
    )  # fmt: skip


def discipline_item(**kwargs) -> LedgerItem:
    """劳动纪律扣分: 5 points off each time, needing no approval (the outlet head enters it)."""
    return LedgerItemFactory(
        code="discipline", name_zh="劳动纪律扣分", name_en="Work discipline deduction", kind=ItemKind.DEDUCTION,
        points_per_unit=Decimal(5), requires_approval=False, **kwargs,
    )  # fmt: skip
