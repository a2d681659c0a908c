"""Declares the outreach metrics (issue 18) in kpi's catalog, the way kpi's 0002_standard_catalog installs
the standard ones: base flows fed by outreach.services.facts (source `outreach`) and the rates computed
from them (DOMAIN.md §3: a ratio is numerator / denominator over the period, never a mean of days).
Existing codes are left as HQ edited them."""

from django.db import migrations

# code, zh, en, unit, aggregation, direction, level, category, (numerator, denominator) or None
CATALOG = [
    ("outreach_assigned", "名单分配客户数", "List customers assigned", "户", "sum", "higher", "both", "customers", None),
    ("outreach_contacted", "名单已联系客户数", "List customers contacted", "户", "sum", "higher", "both", "customers", None),
    ("outreach_converted", "名单已办理客户数", "List customers signed up", "户", "sum", "higher", "both", "customers", None),
    ("outreach_calls", "外呼次数", "Calls made", "件", "sum", "higher", "both", "customers", None),
    ("outreach_calls_reached", "外呼接通次数", "Calls reached", "件", "sum", "higher", "both", "customers", None),
    ("outreach_visits", "名单走访数", "List visits", "户", "sum", "higher", "both", "customers", None),
    ("outreach_staff", "名单经营人数", "Staff working lists", "人", "last", "higher", "both", "customers", None),
    ("outreach_coverage", "名单覆盖率", "List coverage", "%", "ratio", "higher", "both", "customers", ("outreach_contacted", "outreach_assigned")),
    ("outreach_contact_success", "外呼接通率", "Contact success", "%", "ratio", "higher", "both", "customers", ("outreach_calls_reached", "outreach_calls")),
    ("outreach_conversion", "名单转化率", "List conversion", "%", "ratio", "higher", "both", "customers", ("outreach_converted", "outreach_contacted")),
    ("outreach_visits_per_person", "人均走访数", "Visits per person", "户", "ratio", "higher", "both", "customers", ("outreach_visits", "outreach_staff")),
]
FIRST_ORDER = 900


def install_metrics(apps, schema_editor):
    Metric = apps.get_model("kpi", "Metric")
    by_code = {}
    for order, (code, zh, en, unit, kind, direction, level, category, parts) in enumerate(CATALOG):
        metric, _created = Metric.objects.get_or_create(
            code=code,
            defaults={
                "name_zh": zh, "name_en": en, "unit": unit, "aggregation": kind, "direction": direction,
                "level": level, "category": category, "sort_order": FIRST_ORDER + (order + 1) * 10,
            },
        )  # fmt: skip
        by_code[code] = metric
    for code, *_rest, parts in CATALOG:
        metric = by_code[code]
        if isinstance(parts, tuple) and metric.numerator_id is None:
            metric.numerator, metric.denominator = by_code[parts[0]], by_code[parts[1]]
            metric.save(update_fields=["numerator", "denominator"])


class Migration(migrations.Migration):
    dependencies = [("outreach", "0001_initial"), ("kpi", "0027_outreach_source")]
    operations = [migrations.RunPython(install_metrics, migrations.RunPython.noop)]
