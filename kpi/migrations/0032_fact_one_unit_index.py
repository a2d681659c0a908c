"""The fact table's two read indexes by unit and by metric, (unit, date) and (metric, unit, date), become
one, (unit, metric, date) (issue 21: every index is paid for on every fact written, and an update that
cannot be HOT inserts into each). The reads that led by the metric without a unit went by a date or by
their units anyway, through fact_unique_key or this index (kpi.models.Fact; the plans:
bench/ingest.py --history-days 40 --analyze). The same on PostgreSQL and SQLite.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('branches', '0001_initial'),
        ('kpi', '0031_scorecard_fillfactor'),
        ('staff', '0005_names_in_chinese'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='fact',
            name='kpi_fact_metric__408a7f_idx',
        ),
        migrations.RemoveIndex(
            model_name='fact',
            name='fact_unit_date',
        ),
        migrations.AddIndex(
            model_name='fact',
            index=models.Index(fields=['unit', 'metric', 'date'], name='fact_unit_metric_date'),
        ),
    ]
