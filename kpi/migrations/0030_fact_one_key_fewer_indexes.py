"""The fact table keeps fewer indexes (issue 21: every index is paid for on every fact written).

1. One key (date, unit, COALESCE(staff, 0), metric) instead of two partial ones (outlet facts, staff
   facts): one index to keep, one arbiter for facts_ingest's upsert, and it serves the (date, metric)
   index's reads, which goes.
2. batch_id loses its index, so an update of a fact (value, batch, updated_at) changes no indexed column
   and PostgreSQL can make it a HOT update (no index touched); IngestBatch deletion unlinks its facts
   within the batch's dates (kpi.models.IngestBatchQuerySet) instead of on_delete=SET_NULL.
3. PostgreSQL: the fact table's fillfactor (FACT_FILLFACTOR): room on each page for the new versions of
   its updated facts, which a HOT update must put on the same page. Applies to pages written from now on.
"""

import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models


FACT_FILLFACTOR = 80


def fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE kpi_fact SET (fillfactor = {FACT_FILLFACTOR})")


def fillfactor_reset(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE kpi_fact RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ('branches', '0001_initial'),
        ('kpi', '0029_rollupstate_mirror_rows_indexed_by_run'),
        ('staff', '0005_names_in_chinese'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='fact',
            constraint=models.UniqueConstraint(models.F('date'), models.F('unit'), django.db.models.functions.comparison.Coalesce(models.F('staff'), models.Value(0)), models.F('metric'), name='fact_unique_key'),
        ),
        migrations.RemoveConstraint(
            model_name='fact',
            name='fact_unique_unit_day',
        ),
        migrations.RemoveConstraint(
            model_name='fact',
            name='fact_unique_staff_day',
        ),
        migrations.RemoveIndex(
            model_name='fact',
            name='kpi_fact_date_0553a9_idx',
        ),
        migrations.AlterField(
            model_name='fact',
            name='batch',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='facts', to='kpi.ingestbatch', verbose_name='ingest batch'),
        ),
        migrations.RunPython(fillfactor, fillfactor_reset, elidable=False),
    ]
