"""The staff whose running totals each part of a fanned-out day wrote (issue 21): where a part of a later
day finds its holders' (kpi.services.fanout._SlotsHolding) instead of reading every part's table. Parts done
before have none, and their runs are read whole as before."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('kpi', '0036_scorecardline_no_primary_key'),
    ]

    operations = [
        migrations.AddField(
            model_name='rolluppart',
            name='staff_ids',
            field=models.JSONField(blank=True, null=True, verbose_name='staff'),
        ),
    ]
