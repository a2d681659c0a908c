"""The default star scheme of DOMAIN.md §6 (in force from January 2000, i.e. for every month until HQ adds
a scheme), and one KPI metric per tier for the tier counts the monthly tiering writes as facts."""

import datetime
from decimal import Decimal

from django.db import migrations

# code, Chinese, English, lower bound of the month's average daily AUM in 元, premium (三星及以上)
STAR_SCHEME = [
    ("star1", "一星客户", "1-star", Decimal("0"), False),
    ("star2", "二星客户", "2-star", Decimal("10000"), False),
    ("star3", "三星客户", "3-star", Decimal("50000"), True),
    ("star4", "四星客户", "4-star", Decimal("200000"), True),
    ("star5", "五星客户", "5-star", Decimal("1000000"), True),
    ("private", "私行客户", "Private banking", Decimal("6000000"), True),
]


def tier_metric_code(tier_code: str) -> str:
    return f"customers_{tier_code}"


def install(apps, schema_editor):
    TierScheme = apps.get_model("customers", "TierScheme")
    Tier = apps.get_model("customers", "Tier")
    Metric = apps.get_model("kpi", "Metric")
    scheme, created = TierScheme.objects.get_or_create(
        effective_month=datetime.date(2000, 1, 1), defaults={"name": "星级客户（默认）"}
    )
    if created:
        for rank, (code, zh, en, threshold, premium) in enumerate(STAR_SCHEME, start=1):
            Tier.objects.create(
                scheme=scheme, code=code, name_zh=zh, name_en=en, rank=rank, min_aum=threshold, is_premium=premium
            )
    after = Metric.objects.filter(code="premium_customers_growth").values_list("sort_order", flat=True).first() or 900
    for position, (code, zh, en, _threshold, _premium) in enumerate(STAR_SCHEME, start=1):
        Metric.objects.get_or_create(
            code=tier_metric_code(code),
            defaults={
                "name_zh": f"{zh}数",
                "name_en": f"{en} customers",
                "unit": "户",
                "aggregation": "last",
                "direction": "higher",
                "level": "both",
                "category": "customers",
                "sort_order": after + position,
                "description": "Customers of this tier at the month's end (客户分层), written by the monthly tiering.",
            },
        )


def remove(apps, schema_editor):
    apps.get_model("kpi", "Metric").objects.filter(code__in=[tier_metric_code(t[0]) for t in STAR_SCHEME]).delete()
    apps.get_model("customers", "TierScheme").objects.filter(effective_month=datetime.date(2000, 1, 1)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_customers_tiers"),
        ("kpi", "0002_standard_catalog"),
    ]

    operations = [migrations.RunPython(install, remove)]
