"""Declares the referral metrics fed by the referral records (customers.services.referrals), as the
standard catalog declares its own (kpi 0002): existing codes are left as HQ edited them.

- referrals_made (转介数): referrals recorded, by the day of the referral; the referrer's and the outlet's.
- referral_deals (转介成交数): referrals that ended in a deal (成交), by the day of the deal; credited to
  the receiver, shared with the referrer by HQ's standing split rule for their posts where one exists.
- referral_conversion_rate (转介成交率) = referral_deals / referrals_made, in %, an outlet's rate: a
  month's rate is the month's deals over the month's referrals (DOMAIN.md §3, never a mean of days).
"""

from django.db import migrations

# code, zh, en, unit, aggregation, direction, level, category, (numerator, denominator)
METRICS = [
    ("referrals_made", "转介数", "Referrals", "人", "sum", "higher", "both", "marketing", None),
    ("referral_deals", "转介成交数", "Referral deals", "人", "sum", "higher", "both", "marketing", None),
    (
        "referral_conversion_rate", "转介成交率", "Referral conversion rate", "%", "ratio", "higher", "outlet",
        "marketing", ("referral_deals", "referrals_made"),
    ),
]  # fmt: skip


def install_metrics(apps, schema_editor):
    Metric = apps.get_model("kpi", "Metric")
    last = Metric.objects.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0
    by_code = {}
    for order, (code, zh, en, unit, kind, direction, level, category, _parts) in enumerate(METRICS):
        metric, _created = Metric.objects.get_or_create(
            code=code,
            defaults={
                "name_zh": zh, "name_en": en, "unit": unit, "aggregation": kind, "direction": direction,
                "level": level, "category": category, "sort_order": last + (order + 1) * 10,
            },
        )  # fmt: skip
        by_code[code] = metric
    for code, *_rest, parts in METRICS:
        metric = by_code[code]
        if parts and metric.numerator_id is None:
            metric.numerator, metric.denominator = by_code[parts[0]], by_code[parts[1]]
            metric.save(update_fields=["numerator", "denominator"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_prospects_and_referrals"),
        ("kpi", "0025_referral_source"),
    ]
    operations = [migrations.RunPython(install_metrics, migrations.RunPython.noop)]
