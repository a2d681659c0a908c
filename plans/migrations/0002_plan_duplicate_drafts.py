"""Before a unit may have only one draft plan for a period (0003, plan_one_draft_per_unit_period): the
drafts the Monday meeting's prefill and the new-plan form made twice for one unit and period.

Of each unit and period's drafts, the one with the most proposals stays (the one changed last, when they
tie); another is deleted only when every proposal of it is also the kept draft's, unit, staff member,
metric, period and value alike (an empty draft, the same week prefilled twice the same day), so nothing
anyone proposed is lost. Drafts that differ stop the migration with their ids: publish or delete (admin →
Target plans) all but one of them, and migrate again. A published plan is never touched: a draft beside
it is how its targets are revised.

Its own migration, so that the deletes are committed before 0003 builds the unique index (PostgreSQL
builds no index on a table with deferred foreign-key checks pending in the same transaction).
"""

from django.db import migrations
from django.db.models import Count

CELL_KEY = ("unit_id", "staff_id", "metric_id", "period_kind", "period_start", "value")


def duplicate_drafts_deleted(apps, schema_editor):
    Plan = apps.get_model("plans", "Plan")
    PlanCell = apps.get_model("plans", "PlanCell")
    groups = (
        Plan.objects.filter(status="draft")
        .values("unit_id", "period_kind", "period_start")
        .annotate(drafts=Count("pk"))
        .filter(drafts__gt=1)
    )
    differing = []
    for group in groups:
        drafts = list(
            Plan.objects.filter(
                status="draft",
                unit_id=group["unit_id"],
                period_kind=group["period_kind"],
                period_start=group["period_start"],
            )
        )
        proposals = {
            draft.pk: set(PlanCell.objects.filter(plan=draft, value__isnull=False).values_list(*CELL_KEY))
            for draft in drafts
        }
        kept, *others = sorted(
            drafts, key=lambda draft: (len(proposals[draft.pk]), draft.updated_at, draft.pk), reverse=True
        )
        for other in others:
            if proposals[other.pk] <= proposals[kept.pk]:
                other.delete()
            else:
                differing.append(f"{kept.unit.code} {kept.period}: plans {kept.pk} and {other.pk}")
    if differing:
        raise RuntimeError(
            "Draft target plans of one unit and period propose different targets ("
            + "; ".join(differing)
            + "). Publish or delete (admin → Target plans) all but one draft of each, then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_target_plans")]

    operations = [migrations.RunPython(duplicate_drafts_deleted, migrations.RunPython.noop)]
