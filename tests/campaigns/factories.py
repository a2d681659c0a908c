"""Factories of the campaigns (issue 20)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from campaigns.models import BonusRule, Campaign, CampaignMetric, Theme


class CampaignFactory(DjangoModelFactory):
    """A 他行揽储 campaign from 2026-11-20 to 2026-12-10 (across the month end); `unit` is required."""

    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"campaign_{n}")
    name_zh = factory.Sequence(lambda n: f"他行揽储 {n}")
    name_en = factory.Sequence(lambda n: f"Other-bank deposits {n}")
    theme = Theme.OTHER_BANK_DEPOSITS
    start = datetime.date(2026, 11, 20)
    end = datetime.date(2026, 12, 10)
    gift_budget = Decimal("0")


def focus(campaign: Campaign, metric, factor: str, rule: str = BonusRule.PER_UNIT) -> CampaignMetric:
    from kpi.models import Metric

    if isinstance(metric, str):
        metric = Metric.objects.get(code=metric)
    return CampaignMetric.objects.create(campaign=campaign, metric=metric, rule=rule, factor=Decimal(factor))
