"""The admin's delete confirmation stays quick with many dependants (lib.admin_delete): a row its
facts protect is refused naming the first twenty and counting the rest, without collecting them; a
delete that goes ahead lists twenty rows of each kind and counts the others, and still deletes them all."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest

from campaigns.models import Campaign, CampaignTarget
from kpi.models import Fact, Metric
from tests.campaigns.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_a_metric_its_facts_protect_is_refused_naming_twenty_and_counting_the_rest(
    hq_client, network, django_assert_max_num_queries
):
    metric = Metric.objects.get(code="customers_served")
    Fact.objects.bulk_create(
        Fact(date=datetime.date(2026, 11, 1) + datetime.timedelta(days=day), unit=network["GZ0101"], metric=metric,
             value=Decimal(day + 1))
        for day in range(25)
    )  # fmt: skip

    # The page's own queries (session, user, the metric, the admin's sidebar) and, per PROTECT relation
    # of a metric, a count and the first twenty: not one per fact.
    with django_assert_max_num_queries(40):
        response = hq_client.get(f"/admin/kpi/metric/{metric.pk}/delete/")

    assert response.status_code == 200
    text = _text(response)
    assert "无法删除 指标" in text
    # The first twenty facts, by id: 1 to 20 November, then a line for the other five.
    assert "业务数据: 2026-11-01 GZ0101 customers_served=1" in text
    assert "业务数据: 2026-11-20 GZ0101 customers_served=20" in text
    assert "2026-11-21" not in text
    assert "……另有 5 条业务数据" in text
    assert Metric.objects.filter(pk=metric.pk).exists()


def test_a_campaign_lists_twenty_targets_counts_them_all_and_deletes_them_all(hq_client, network):
    campaign = CampaignFactory(unit=network["GZ01"], code="deposits")
    outlets = [network["GZ0101"], network["GZ0102"]]
    metrics = list(Metric.objects.filter(level__in=["outlet", "both"]).order_by("pk")[:13])
    CampaignTarget.objects.bulk_create(
        CampaignTarget(campaign=campaign, unit=outlet, metric=metric, value=Decimal(10))
        for outlet in outlets
        for metric in metrics
    )  # 2 × 13 = 26 targets

    page = _text(hq_client.get(f"/admin/campaigns/campaign/{campaign.pk}/delete/"))

    assert "活动目标: 26" in page  # the summary counts every one
    assert page.count("活动目标: GZ010") == 20
    assert "……另有 6 条活动目标" in page

    response = hq_client.post(f"/admin/campaigns/campaign/{campaign.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Campaign.objects.exists()
    assert not CampaignTarget.objects.exists()
