"""A unit has at most one draft plan for a period (plans.models.Plan; 0002 removed the duplicates)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("plans", "0002_plan_duplicate_drafts")]

    operations = [
        migrations.AddConstraint(
            model_name="plan",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "draft")),
                fields=("unit", "period_kind", "period_start"),
                name="plan_one_draft_per_unit_period",
            ),
        ),
    ]
