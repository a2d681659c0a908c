"""PostgreSQL: room on each page of the scorecards for one more version of each row (issue 21).

A fanned-out day writes its scorecards part by part, then ranks them across the network with one
UPDATE of every scored card (kpi.services.fanout.network_ranks). A page filled to the brim makes each of
those updates a new version on another page and an entry in each of the table's eight indexes; with half
of each page free the new version fits beside the old one and the update touches no index (HOT: the
ranks are in no index). Measured on 300,000 cards of a national bench day (222,600 ranked, load 4-5):
17.6 and 22.8 s at fillfactor 100, 2.2 and 3.1 s at 50, every update HOT; the table 64 MB against 57 MB
after the update. Applies to pages written from now on; SQLite has no such setting.
"""

from django.db import migrations

SCORECARD_FILLFACTOR = 50


def fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE kpi_scorecard SET (fillfactor = {SCORECARD_FILLFACTOR})")


def fillfactor_reset(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE kpi_scorecard RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("kpi", "0030_fact_one_key_fewer_indexes")]

    operations = [migrations.RunPython(fillfactor, fillfactor_reset, elidable=False)]
