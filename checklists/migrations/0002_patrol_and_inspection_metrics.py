"""Declares the metrics the checklists feed (through kpi.services.facts.facts_ingest, source `checks`):
the patrol's items checked and passed and its missed rounds, the pass rate (巡检合格率, a ratio of the two
sums: a missed round counts with all its items as checked and not in order, see checklists.services),
and the inspections' vetoes (检查否决), which a scorecard template's veto line (allowed value 0) turns
into 一票否决. Existing codes are left as HQ edited them."""

from django.db import migrations

# code, zh, en, unit, aggregation, direction, category, (numerator, denominator)
METRICS = [
    ("patrol_items_checked", "巡检检查项数", "Patrol items checked", "件", "sum", "higher", "service", None),
    ("patrol_items_passed", "巡检合格项数", "Patrol items in order", "件", "sum", "higher", "service", None),
    ("patrols_missed", "巡检漏检次数", "Patrol rounds missed", "件", "sum", "lower", "service", None),
    (
        "patrol_pass_rate", "巡检合格率", "Patrol pass rate", "%", "ratio", "higher", "service",
        ("patrol_items_passed", "patrol_items_checked"),
    ),
    ("inspection_vetoes", "检查否决事项", "Inspection vetoes", "件", "sum", "lower", "compliance", None),
]  # fmt: skip


def declare(apps, schema_editor):
    Metric = apps.get_model("kpi", "Metric")
    by_code = {}
    for order, (code, zh, en, unit, kind, direction, category, _parts) in enumerate(METRICS):
        by_code[code], _created = Metric.objects.get_or_create(
            code=code,
            defaults={
                "name_zh": zh, "name_en": en, "unit": unit, "aggregation": kind, "direction": direction,
                "level": "outlet", "category": category, "sort_order": 900 + order * 10,
            },
        )  # fmt: skip
    for code, *_rest, parts in METRICS:
        metric = by_code[code]
        if parts and metric.numerator_id is None:
            metric.numerator, metric.denominator = by_code[parts[0]], by_code[parts[1]]
            metric.save(update_fields=["numerator", "denominator"])


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0001_patrols_and_inspections"),
        ("kpi", "0026_checklists_source"),
    ]
    operations = [migrations.RunPython(declare, migrations.RunPython.noop)]
