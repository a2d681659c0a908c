"""The default star scheme of DOMAIN.md §6, in force from January 2000, i.e. for every month until HQ adds
a scheme. (The KPI metrics that count each tier are made by the tiering itself, for the tiers of the
scheme it applies: customers.services.tiering.tier_metrics_ensure.)"""

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


def install(apps, schema_editor):
    TierScheme = apps.get_model("customers", "TierScheme")
    Tier = apps.get_model("customers", "Tier")
    scheme, created = TierScheme.objects.get_or_create(
        effective_month=datetime.date(2000, 1, 1), defaults={"name": "星级客户（默认）"}
    )
    if created:
        for rank, (code, zh, en, threshold, premium) in enumerate(STAR_SCHEME, start=1):
            Tier.objects.create(
                scheme=scheme, code=code, name_zh=zh, name_en=en, rank=rank, min_aum=threshold, is_premium=premium
            )


def remove(apps, schema_editor):
    apps.get_model("customers", "TierScheme").objects.filter(effective_month=datetime.date(2000, 1, 1)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_customers_tiers"),
    ]

    operations = [migrations.RunPython(install, remove)]
