"""When a passed-by run's rows were removed (issue 21): kpi.retention.passed_by_discard finds the runs to
empty by this mark instead of asking whether each still has rows, an EXISTS that PostgreSQL planned as a
sequential scan of the running totals (the whole table read for a run already emptied, after every day
rolled up again). Runs emptied before this have no mark: the next nightly retention looks at each once,
finds nothing to delete, and marks it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kpi", "0032_fact_one_unit_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="rolluprun",
            name="discarded_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="rows removed"),
        ),
    ]
