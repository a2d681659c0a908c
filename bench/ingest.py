"""Ingest benchmark: facts per second through the real CSV path, against a bare PostgreSQL COPY.

    .venv/bin/python bench/ingest.py [--rows 500000] [--outlets 1000] [--staff-per-outlet 3] [--chunk 50000]

Builds a synthetic network in a scratch PostgreSQL database (`bankops_bench_ingest`, or $BENCH_DATABASE,
on the server of $DATABASE_URL, default postgres://postgres@127.0.0.1:5432/; dropped and created again each run), writes
a CSV of N facts (date,unit,staff,metric,value: every outlet's base metrics and every staff member's
staff metrics, day after day until N rows) and then times:

1. the service path: read_csv_columns (as `import_csv facts FILE` reads it: column-wise, pandas' C
   reader) then facts_ingest, into an empty fact table. facts_ingest is called on chunks of --chunk rows
   (default 50,000, the API's limit per request; --chunk 0 sends the whole file as one batch, as
   import_csv does). Every row is checked (units, staff, assignment on the date, metric rules,
   decimals: the plain rows a column at a time, kpi.services.facts._plain_facts) and written: the facts
   of a day the table holds none of COPYed straight in, the others through a staging table and one
   INSERT … ON CONFLICT (kpi.services.facts._write_upsert);
2. a second file with every value changed (updates), then that file again (nothing changes);
3. a plain `COPY … FROM STDIN (FORMAT csv, HEADER)` of the first file into a bare table with the same
   five columns and no index, constraint or check (the floor no ingest can beat), and into a table with
   the same columns and the fact's unique key (date, unit, staff, metric). Issue 21's goals: the service
   path at ≥ 0.5 of the keyed COPY and ≥ 0.25 of the plain one. The machine's load (os.getloadavg) is
   printed before and after: on a shared 2-core machine every figure moves with it;
   then the ceilings: the file read and every check of facts_ingest with nothing written (its write
   replaced by a stop), plus only the write of four ways of storing the facts (the fact table as it is;
   day partitions, a day COPYed bare, its indexes built after and the table attached, a design not built;
   the keyed table; the bare table): the best ratio each way of storing could reach, whatever else it
   did, against the two goals;
4. the plans of the reads of the fact table (every query on Fact in the project: the rollup's, alerts',
   freshness, the facts API's filters, decomposition, campaigns, the ledger, referrals and outreach, pay
   sheets, the PROTECT checks before a unit, staff member or metric is deleted): the index each uses
   (EXPLAIN; with --analyze, EXPLAIN ANALYZE run twice and the second time shown). --history-days N first
   copies the first day's facts to N earlier days, with lower ids and the table laid out in id order as a
   table filled day after day is, then analyses every table: the plans a table with a history gets in
   service. To compare an index change on the same facts: a run with --history-days 40, then
   `manage.py migrate kpi <before>` against the scratch database and `--plans-only` (no load), and back.

The rollup that facts_ingest queues after each batch goes to an in-memory broker nobody consumes: this
bench times ingest, not the rollup (bench/rollup.py does that).

Latest (5 December 2026, 08:57, --chunk 0, load 1.4–1.6): new facts 3.24 s (0.34 of a keyed COPY, 0.11
of a plain one), updates 6.60 s (0.17, 0.05), unchanged 2.33 s (0.47, 0.15); read and checks alone 0.72 s;
the ceilings of new facts 0.38 / 0.12 (the fact table as it is), 0.60 / 0.19 (day partitions), 0.60 / 0.20
(the key alone), 1.02 / 0.33 (no index at all).

Last runs (500,000 facts, 3 December 2026, 20:39–21:02, README "### Ingest"), the fact table's four
indexes (migration 0032) side by side with the five before, 4 runs each, load 2.8–4.9 on 2 cores: batches
of 50,000 new facts 7.1–16.2 s (0.18–0.24 of a keyed COPY, 0.04–0.07 of a plain one; before 11.4–16.0 s),
updates 11.5–21.6 s (0.14–0.17, 0.04; before 15.5–20.3 s), unchanged 4.0–6.9 s (0.38–0.55, 0.10–0.13);
one batch (--chunk 0, 3 runs each): new 7.9–8.7 s (0.25–0.47, 0.06–0.10; before 6.4–10.1 s), updates
15.0–18.3 s (0.12–0.27, 0.03–0.05; before 10.9–17.9 s). Plain COPY 0.46–0.88 s, keyed COPY 1.71–4.06 s.
Issue 21's goal (≥ 0.5 of the keyed COPY, ≥ 0.25 of the plain one) is not met. After the figures, the
plans of every read on the fact table.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCRATCH = os.environ.get("BENCH_DATABASE", "bankops_bench_ingest")


def scratch_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{SCRATCH}", "", ""))


def recreate_database(base: str) -> None:
    import psycopg2

    parts = urlsplit(base)
    connection = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{SCRATCH}"')
    connection.close()


def build_network(outlets: int, staff_per_outlet: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Units and staff through the real CSV import services. Returns outlet codes and (staff, outlet)."""
    from branches.services import units_import
    from lib.csvimport import CsvRow
    from staff.services import staff_import

    areas, formats = ("urban", "county", "township"), ("full", "light", "smart")
    branches = max(1, outlets // 250)
    sub_branches = max(1, outlets // 10)
    rows = [CsvRow(2, {"code": "HQ", "name_zh": "总行", "kind": "hq"})]
    rows += [
        CsvRow(0, {"code": f"B{b:02d}", "parent": "HQ", "name_zh": f"分行{b}", "kind": "branch"})
        for b in range(branches)
    ]
    rows += [
        CsvRow(0, {"code": f"S{s:04d}", "parent": f"B{s % branches:02d}", "name_zh": f"支行{s}", "kind": "sub_branch"})
        for s in range(sub_branches)
    ]
    outlet_codes = [f"O{o:05d}" for o in range(outlets)]
    rows += [
        CsvRow(0, {"code": code, "parent": f"S{o % sub_branches:04d}", "name_zh": f"网点{o}", "kind": "outlet",
                   "area": areas[o % 3], "format": formats[o // 3 % 3]})
        for o, code in enumerate(outlet_codes)
    ]  # fmt: skip
    units_import(rows=rows)

    posts = ("teller", "customer_manager", "lobby_manager", "wealth_manager")
    pairs = [(f"P{o:05d}{k}", code) for o, code in enumerate(outlet_codes) for k in range(staff_per_outlet)]
    staff_import(
        rows=[
            CsvRow(0, {"code": staff, "name": f"员工{staff}", "post": posts[i % len(posts)], "unit": outlet,
                       "start": "2026-01-01"})
            for i, (staff, outlet) in enumerate(pairs)
        ]
    )  # fmt: skip
    return outlet_codes, pairs


def write_csv(
    path: Path, rows: int, outlet_codes: list[str], pairs: list[tuple[str, str]], bump: int = 0
) -> tuple[int, int]:
    """N facts from 2026-11-01 on, a whole day at a time (the last day cut short). Values are varied
    decimals; balances are in 万元 with two decimals. Returns (rows, days)."""
    from kpi.models import Metric

    # Points (分) take facts from the points ledger only (facts_ingest refuses them from a file).
    base = Metric.objects.filter(aggregation__in=["sum", "last"]).exclude(unit="分").order_by("code")
    # A balance in 万元 has decimals; one that counts (户, 人 …) is whole.
    kinds = {code: "last" if kind == "last" and unit == "万元" else "whole" for code, kind, unit in
             base.values_list("code", "aggregation", "unit")}  # fmt: skip
    outlet_metrics = [
        (code, kinds[code]) for code in base.filter(level__in=["outlet", "both"]).values_list("code", flat=True)
    ]
    staff_metrics = [
        (code, kinds[code]) for code in base.filter(level__in=["staff", "both"]).values_list("code", flat=True)
    ]
    written, day = 0, datetime.date(2026, 11, 1)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("date,unit,staff,metric,value\n")
        while written < rows:
            lines = []
            for o, outlet in enumerate(outlet_codes):
                for m, (code, kind) in enumerate(outlet_metrics):
                    value = (
                        f"{(o * 37 + m * 101 + day.day * 13 + bump) % 90000 + 1000}.{(o + m) % 100:02d}"
                        if kind == "last"
                        else str((o + m + day.day + bump) % 60)
                    )
                    lines.append(f"{day},{outlet},,{code},{value}\n")
            for s, (staff, outlet) in enumerate(pairs):
                for m, (code, kind) in enumerate(staff_metrics):
                    value = (
                        f"{(s * 7 + m * 11 + bump) % 900 + 50}" if kind == "last" else str((s + m + day.day + bump) % 8)
                    )
                    lines.append(f"{day},{outlet},{staff},{code},{value}\n")
            lines = lines[: rows - written]
            out.writelines(lines)
            written += len(lines)
            day += datetime.timedelta(days=1)
    return written, (day - datetime.date(2026, 11, 1)).days  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--outlets", type=int, default=1000)
    parser.add_argument("--staff-per-outlet", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=50_000, help="facts per facts_ingest call; 0 = one batch")
    parser.add_argument(
        "--history-days",
        type=int,
        default=0,
        help="before the plans are shown, copy the first day's facts to this many earlier days (a table with a "
        "history, as the reads meet it in service; 0: the plans of the loaded table as it is)",
    )
    parser.add_argument(
        "--analyze", action="store_true", help="EXPLAIN ANALYZE each read (run twice, the second shown) for its time"
    )
    parser.add_argument(
        "--plans-only",
        action="store_true",
        help="load nothing: show the plans on the scratch database a run left, as it is (to compare an index "
        "change on the same facts: migrate it back or forth with manage.py, then run this)",
    )
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith("postgres"):
        sys.exit("bench/ingest.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    if not args.plans_only:
        recreate_database(base)
    os.environ["DATABASE_URL"] = scratch_url(base)
    # DEBUG off, so Django does not keep every SQL statement in memory while it is being timed.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-ingest-scratch-database-only")
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankops.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from bankops.celery import app as celery_app
    from kpi.models import Fact, IngestBatch
    from kpi.services.facts import FACT_COLUMNS, facts_ingest
    from lib.csvimport import read_csv_columns

    celery_app.conf.task_always_eager = False  # queue the rollup to memory://; nobody runs it
    logging.getLogger("kombu").setLevel(logging.ERROR)  # memory:// has no host, and kombu says so

    if args.plans_only:
        print(f"{SCRATCH} as a run left it; machine load {load()}")
        show_plans(
            history_days=args.history_days, batch=IngestBatch.objects.order_by("pk").last(), analyze=args.analyze
        )
        return
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    outlet_codes, pairs = build_network(args.outlets, args.staff_per_outlet)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "facts.csv"
        rows, days = write_csv(path, args.rows, outlet_codes, pairs)
        size_mb = path.stat().st_size / 2**20
        print(
            f"scratch database {SCRATCH}: {len(outlet_codes):,} outlets, {len(pairs):,} staff; "
            f"{rows:,} facts over {days} days in a {size_mb:.1f} MB CSV; setup {time.perf_counter() - started:.0f}s"
        )
        changed = Path(directory) / "facts_changed.csv"
        write_csv(changed, args.rows, outlet_codes, pairs, bump=1)  # every value different
        chunk = args.chunk or rows
        count = -(-rows // chunk)
        print(f"service path: read_csv_columns, then facts_ingest in batches of {chunk:,} facts ({count} batches)")
        print(f"machine load before timing (os.getloadavg, 1/5/15 min): {load()}")

        def ingest(source_path: Path) -> tuple[float, float, list[IngestBatch]]:
            began = time.perf_counter()
            csv_rows = read_csv_columns(source_path, columns=FACT_COLUMNS)
            read = time.perf_counter() - began
            batches = [
                facts_ingest(
                    rows=csv_rows.iloc[i : i + chunk], source=IngestBatch.Source.CSV, label=f"bench {i // chunk}"
                )
                for i in range(0, len(csv_rows), chunk)
            ]
            return read, time.perf_counter() - began, batches

        read, service, batches = ingest(path)
        created = sum(batch.created for batch in batches)
        assert created == rows == Fact.objects.count(), (created, rows)
        print(f"  new facts:  {service:7.2f}s  {rows / service:10,.0f} facts/s", end="  ")
        print(f"(read_csv {read:.2f}s; {created:,} created)")

        read_changed, update, batches = ingest(changed)
        updated = sum(batch.updated for batch in batches)
        assert updated == rows, updated
        print(f"  updates:    {update:7.2f}s  {rows / update:10,.0f} facts/s", end="  ")
        print(f"(read_csv {read_changed:.2f}s; {updated:,} updated)")

        read_again, again, batches = ingest(changed)
        unchanged = sum(batch.unchanged for batch in batches)
        assert unchanged == rows, unchanged
        print(f"  same again: {again:7.2f}s  {rows / again:10,.0f} facts/s", end="  ")
        print(f"(read_csv {read_again:.2f}s; {unchanged:,} unchanged)")
        # After the three passes, so that the first (new facts) meets the code as cold as it always did.
        read_checks = checks_only(path, read_csv_columns, FACT_COLUMNS, chunk)

        columns = "date date, unit text, staff text, metric text, value numeric(20, 4)"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE bench_fact_copy ({columns})")
            # The fact table's columns and its unique key (date, unit, staff, metric), an empty staff
            # counting as one value (as the fact table's key, fact_unique_key, has it).
            cursor.execute(
                f"CREATE TABLE bench_fact_keyed ({columns}, "
                "CONSTRAINT bench_fact_keyed_key UNIQUE NULLS NOT DISTINCT (date, unit, staff, metric))"
            )

            def copy(table: str) -> float:
                began = time.perf_counter()
                with transaction.atomic(), path.open("r", encoding="utf-8") as source:
                    cursor.cursor.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER)", source)
                took = time.perf_counter() - began
                cursor.execute(f"SELECT count(*) FROM {table}")
                assert cursor.fetchone()[0] == rows
                return took

            copy_bare = copy("bench_fact_copy")
            copy_keyed = copy("bench_fact_keyed")
            copy_indexed = copy_as_written(cursor, rows)
            partitioned = copy_into_day_partitions(cursor, rows)
        print(f"plain COPY:   {copy_bare:7.2f}s  {rows / copy_bare:10,.0f} rows/s  (bare table, no index or check)")
        print(
            f"keyed COPY:   {copy_keyed:7.2f}s  {rows / copy_keyed:10,.0f} rows/s  (the fact's columns and unique key)"
        )
        print(
            f"indexed COPY: {copy_indexed:7.2f}s  {rows / copy_indexed:10,.0f} rows/s  (the facts as written, ids and "
            "all, into a copy of the fact table with its four indexes: no check, no code looked up)"
        )
        print(
            f"day partitions: {partitioned:5.2f}s  {rows / partitioned:10,.0f} rows/s  (the same facts COPYed a day "
            "at a time into a bare table, its three indexes then built in one sorted pass each and the table "
            "attached to a parent partitioned by day: a design not built, measured for its write alone)"
        )
        print(
            f"read and checks: {read_checks:4.2f}s  (read_csv_columns and facts_ingest up to its write, "
            "nothing written)"
        )
    print(f"machine load after timing: {load()}")
    show_plans(history_days=args.history_days, batch=batches[-1], analyze=args.analyze)
    print()
    for what, took in (("new facts", service), ("updates", update), ("unchanged", again)):
        print(
            f"facts_ingest, {what:9}: {rows / took:9,.0f} facts/s = {copy_keyed / took:.2f} of a keyed COPY "
            f"(goal ≥ 0.5), {copy_bare / took:.2f} of a plain COPY (goal ≥ 0.25), "
            f"{copy_indexed / took:.2f} of an indexed COPY"
        )
    # What a design could reach at best: the file read and checked as today, then nothing but its write.
    print("ceilings of new facts (read and checks as today, then only the write, nothing else):")
    for what, write in (
        ("into the fact table as it is (the indexed COPY)", copy_indexed),
        ("into day partitions, indexes built after", partitioned),
        ("into a table with the unique key only (the keyed COPY)", copy_keyed),
        ("into a bare table with no index at all (the plain COPY)", copy_bare),
    ):
        best = read_checks + write
        print(
            f"  {what:56} {best:5.2f}s = {copy_keyed / best:.2f} of a keyed COPY, "
            f"{copy_bare / best:.2f} of a plain COPY"
        )


class _Stop(Exception):
    """Raised in place of facts_ingest's write, to time what comes before it."""


def checks_only(path: Path, read_csv_columns, columns, chunk: int) -> float:
    """The file read and every check of facts_ingest, with nothing written (its write replaced by a stop):
    what any way of storing the facts adds its write to."""
    from unittest import mock

    from kpi.models import IngestBatch
    from kpi.services import facts

    def stop(*args, **kwargs):
        raise _Stop

    began = time.perf_counter()
    csv_rows = read_csv_columns(path, columns=columns)
    with mock.patch.object(facts, "_write_upsert", stop):
        for i in range(0, len(csv_rows), chunk):
            with contextlib.suppress(_Stop):
                facts.facts_ingest(rows=csv_rows.iloc[i : i + chunk], source=IngestBatch.Source.CSV, label="checks")
    return time.perf_counter() - began


def copy_into_day_partitions(cursor, rows: int) -> float:
    """The write of a design not built: facts partitioned by day, a day's first load COPYed into a bare
    table, its indexes (the fact's key, (unit, metric, date), (staff, date)) built after in one sorted pass
    each, then the table attached to its parent (a CHECK of the day first, so ATTACH need not scan it), as
    scorecard lines are written (kpi/partitions.py). The stored facts, a day at a time, in one transaction."""
    from django.db import transaction

    columns = "date, unit_id, staff_id, metric_id, value, batch_id, updated_at"
    cursor.execute("CREATE TABLE bench_fact_days (LIKE kpi_fact INCLUDING DEFAULTS) PARTITION BY RANGE (date)")
    # Ids drawn as the fact table's identity draws them (a sequence, one value at a time).
    cursor.execute("CREATE SEQUENCE bench_fact_days_id")
    cursor.execute("SELECT DISTINCT date FROM kpi_fact ORDER BY date")
    days = [day for (day,) in cursor.fetchall()]
    with contextlib.ExitStack() as files:
        texts = []
        for day in days:
            text = files.enter_context(tempfile.TemporaryFile())
            query = f"COPY (SELECT {columns} FROM kpi_fact WHERE date = %s ORDER BY id) TO STDOUT"
            cursor.cursor.copy_expert(cursor.cursor.mogrify(query, [day]).decode(), text)
            text.seek(0)
            texts.append((day, text))
        began = time.perf_counter()
        with transaction.atomic():
            for day, text in texts:
                table, after = f"bench_fact_d{day:%Y%m%d}", day + datetime.timedelta(days=1)
                cursor.execute(
                    f"CREATE TABLE {table} (LIKE kpi_fact INCLUDING DEFAULTS, "
                    f"CHECK (date >= '{day}' AND date < '{after}')) WITH (fillfactor = 80)"
                )
                cursor.execute(f"ALTER TABLE {table} ALTER id SET DEFAULT nextval('bench_fact_days_id')")
                cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", text)
                cursor.execute(f"CREATE UNIQUE INDEX ON {table} (date, unit_id, COALESCE(staff_id, 0), metric_id)")
                cursor.execute(f"CREATE INDEX ON {table} (unit_id, metric_id, date)")
                cursor.execute(f"CREATE INDEX ON {table} (staff_id, date) WHERE staff_id IS NOT NULL")
                cursor.execute(
                    f"ALTER TABLE bench_fact_days ATTACH PARTITION {table} FOR VALUES FROM ('{day}') TO ('{after}')"
                )
        took = time.perf_counter() - began
    cursor.execute("SELECT count(*) FROM bench_fact_days")
    assert cursor.fetchone()[0] == rows
    return took


def copy_as_written(cursor, rows: int) -> float:
    """The floor of a write into the fact table as it is: the stored facts (ids, as facts_ingest writes
    them) COPYed out, then timed COPYing them into a copy of the fact table with its indexes (the primary
    key, fact_unique_key, fact_unit_metric_date, fact_staff_date) and its fillfactor: what the four
    indexes the reads need cost a write, with no check and no code to look up."""
    from django.db import transaction

    columns = "date, unit_id, staff_id, metric_id, value, batch_id, updated_at"
    cursor.execute("CREATE TABLE bench_fact_indexed (LIKE kpi_fact INCLUDING ALL) WITH (fillfactor = 80)")
    with tempfile.TemporaryFile() as text:
        cursor.cursor.copy_expert(f"COPY (SELECT {columns} FROM kpi_fact ORDER BY id) TO STDOUT", text)
        text.seek(0)
        began = time.perf_counter()
        with transaction.atomic():
            cursor.cursor.copy_expert(f"COPY bench_fact_indexed ({columns}) FROM STDIN", text)
        took = time.perf_counter() - began
    cursor.execute("SELECT count(*) FROM bench_fact_indexed")
    assert cursor.fetchone()[0] == rows
    return took


def show_plans(*, history_days: int, batch, analyze: bool = False) -> None:
    """Each index the fact table keeps, and the reads it is kept for (kpi.models.Fact names them): the
    index PostgreSQL's plan uses for each read (EXPLAIN, on the table the bench loaded, with
    `history_days` earlier days copied from its first day)."""
    import re

    from django.db import connection
    from django.db.models import Max, Min, Q, Sum

    from branches.models import OrgUnit, UnitKind
    from kpi.models import Fact, Metric
    from kpi.selectors.freshness import outlets_expected
    from staff.models import StaffMember

    with connection.cursor() as cursor:
        if history_days:
            began = time.perf_counter()
            # Ids below the loaded facts', older days lower, and the table then laid out in id order: as a
            # table filled day after day is, so that a read that walks the primary key (an API page) meets
            # the history before the latest days, as it would in service.
            cursor.execute(
                "INSERT INTO kpi_fact (id, date, unit_id, staff_id, metric_id, value, batch_id, updated_at) "
                "SELECT f.id - back * (SELECT max(id) FROM kpi_fact), f.date - back, unit_id, staff_id, metric_id, "
                "value, NULL, updated_at "
                "FROM kpi_fact f, generate_series(1, %s) AS back WHERE f.date = (SELECT min(date) FROM kpi_fact)",
                [history_days],
            )
            copied = cursor.rowcount
            cursor.execute("CLUSTER kpi_fact USING kpi_fact_pkey")
            print(
                f"history: {copied:,} facts on {history_days} earlier days, the table laid out in id order, "
                f"in {time.perf_counter() - began:.0f}s"
            )
        # Every table, not only the facts: a read joins the units (the API's scope), and the planner's
        # choice between walking the fact's primary key and probing an index per unit turned on the units'
        # row count (114 guessed for a table never analysed, 1,105 in it), as autovacuum has it in service.
        cursor.execute("ANALYZE")
    span = Fact.objects.aggregate(first=Min("date"), last=Max("date"))
    day = span["last"]
    habit = [day - datetime.timedelta(weeks=week) for week in range(1, 5)]
    outlet = OrgUnit.objects.filter(kind=UnitKind.OUTLET).order_by("code").first()
    sub_branch = outlet.parent
    branch = sub_branch.parent
    branch_outlets = OrgUnit.objects.filter(kind=UnitKind.OUTLET, path__startswith=branch.path)
    metrics = list(Metric.objects.filter(aggregation="sum", level__in=["outlet", "both"]).order_by("code")[:2])
    stocks = list(Metric.objects.filter(aggregation="last").values_list("pk", flat=True))
    staff = list(StaffMember.objects.order_by("code").values_list("pk", flat=True)[:40])
    member = StaffMember.objects.order_by("code").first()
    branch_staff = list(
        StaffMember.objects.filter(facts__unit__path__startswith=branch.path, facts__date=day)
        .values_list("pk", flat=True)
        .distinct()
    )
    everything = Q(unit__in=OrgUnit.objects.all())  # the facts API's visible facts for an HQ user (staff.access)
    week = {"date__gte": day - datetime.timedelta(days=6), "date__lte": day}
    reads = [
        ("the rollup's facts of a day (date = D)", Fact.objects.filter(date=day)),
        ("the rollup's window (date BETWEEN D-6 AND D)", Fact.objects.filter(**week)),
        (
            "the rollup's carried balances (metric IN stocks, date <, latest per key)",
            Fact.objects.filter(metric_id__in=stocks, date__lt=day, date__gte=span["first"])
            .values("unit_id", "staff_id", "metric_id")
            .annotate(latest=Max("date")),
        ),
        (
            "a fanned-out part's facts of a day (date = D, a branch's outlets and staff)",
            Fact.objects.filter(
                Q(staff_id__in=branch_staff) | Q(staff_id=None, unit__in=branch_outlets.values("pk")), date=day
            ),
        ),
        (
            "alerts' missing data (date IN the day and its habit weeks, metric IN)",
            Fact.objects.filter(date__in=[day, *habit], metric__in=metrics).values_list("unit_id", "date").distinct(),
        ),
        (
            "alerts' missing data, a rule without a metric (date IN)",
            Fact.objects.filter(date__in=[day, *habit]).values_list("unit_id", "date").distinct(),
        ),
        (
            "freshness: outlets expected and their habit days (outlets_expected)",
            outlets_expected(day=day, outlets=OrgUnit.objects.filter(path__startswith=branch.path)),
        ),
        ("facts API ?batch= (Fact.objects.of_batch, a page)", Fact.objects.of_batch(batch).order_by("pk")[:101]),
        (
            "facts API ?date_from=&date_to= (a page)",
            Fact.objects.filter(everything, date__gte=day, date__lte=day).order_by("pk")[:101],
        ),
        (
            "facts API ?metric= (an HQ user, a page)",
            Fact.objects.filter(everything, metric=metrics[0]).order_by("pk")[:101],
        ),
        (
            "facts API ?metric=&unit= (a page)",
            Fact.objects.filter(everything, metric=metrics[0], unit=outlet).order_by("pk")[:101],
        ),
        ("facts API ?unit= (a page)", Fact.objects.filter(everything, unit=outlet).order_by("pk")[:101]),
        (
            "facts API ?under= a sub-branch (a page)",
            Fact.objects.filter(everything, unit__path__startswith=sub_branch.path).order_by("pk")[:101],
        ),
        ("facts API ?staff= (a page)", Fact.objects.filter(everything, staff=member).order_by("pk")[:101]),
        (
            "decomposition's outlet facts of a metric under a sub-branch",
            Fact.objects.filter(metric=metrics[0], staff=None, unit__path__startswith=sub_branch.path),
        ),
        (
            "decomposition's outlet facts of a metric under a branch, a week",
            Fact.objects.filter(metric=metrics[0], staff=None, unit__path__startswith=branch.path, **week),
        ),
        (
            "campaigns' facts of their outlets (metric IN, unit IN a branch's, date BETWEEN)",
            Fact.objects.filter(metric__in=metrics, unit__in=branch_outlets, **week)
            .values("metric_id")
            .annotate(total=Sum("value")),
        ),
        (
            "ledger's facts of its entries (date IN, unit IN, metric IN, staff IN)",
            Fact.objects.filter(date__in=[day], unit_id__in=[outlet.pk], metric__in=metrics, staff_id__in=staff[:3]),
        ),
        (
            "referrals' and outreach's facts of their days (date IN, metric IN)",
            Fact.objects.filter(date__in=[day, day - datetime.timedelta(days=1)], metric__in=metrics),
        ),
        ("PROTECT's check before an outlet is deleted (unit_id IN)", Fact.objects.filter(unit__in=[outlet])),
        ("PROTECT's check before a staff member is deleted (staff_id IN)", Fact.objects.filter(staff__in=[member])),
        ("PROTECT's check before a metric is deleted (metric_id IN)", Fact.objects.filter(metric__in=metrics[:1])),
        (
            "pay sheets' late facts (staff_id IN, date BETWEEN)",
            Fact.objects.filter(staff_id__in=staff, date__gte=span["first"], date__lte=day),
        ),
    ]
    rows = Fact.objects.count()
    print(f"\nplans on the fact table ({rows:,} facts, {span['first']} to {day}): the index each read uses")
    for what, queryset in reads:
        if analyze:
            queryset.explain(analyze=True)  # once to warm the cache: the second run is the one shown
        plan = queryset.explain(analyze=analyze)
        used = sorted(
            set(re.findall(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan) (?:Backward )?(?:using|on) (\S+)", plan))
        )
        scans = sorted(set(re.findall(r"Seq Scan on (\S+)", plan)))
        shown = ", ".join(used) or "no index"
        if scans:
            shown += f" (seq scan of {', '.join(scans)})"
        took = re.search(r"Execution Time: ([0-9.]+) ms", plan)
        if took:
            shown += f"  {float(took.group(1)):,.1f} ms"
        print(f"  {what:80} {shown}")


def load() -> str:
    return " ".join(f"{figure:.2f}" for figure in os.getloadavg())


if __name__ == "__main__":
    main()
