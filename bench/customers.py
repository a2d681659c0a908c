"""Customer tiering benchmark: snapshot rows tiered per second and peak memory, 2 million customers × 12 months.

    .venv/bin/python bench/customers.py [--customers 2000000] [--months 12] [--outlets 300] [--managers-per-outlet 8]

Builds a scratch PostgreSQL database (`bankops_bench_customers` on the server of $DATABASE_URL or
--database-url, default postgres://postgres@127.0.0.1:5432/; dropped and created again each run, dropped
at the end unless --keep): a network of outlets and relationship managers through the real import
services, then N customers and N × months snapshots written with COPY by a child process (so that the
data generator's memory does not count in the figures below). AUM is log-normal (median about 8,000 元,
a long tail to private banking, a few dormant and overdrawn accounts), moves month to month by a small
random walk with occasional jumps, and customers arrive and leave over the year (so a month holds about
97.5 % of the customers: 2 million × 12 months is about 23.4 million snapshots).

Then customers.services.tiering.tiering_run runs for every month in order, timed, and once more for the
last month (the "run it again" path: a month's rows replaced whole, every fact unchanged). For each run:
snapshot rows tiered per second, CustomerMonth and TierMigration rows written, facts written, where the
time went (from the run's progress reports) and the peak memory (max RSS) of this process, which does
nothing but the tiering. The rollup facts_ingest queues goes to an in-memory broker nobody consumes.

--reuse keeps the database of a previous --keep run and only empties what the tiering writes.

Figures on this machine (2 cores, 24 GiB, PostgreSQL 15 with its default settings, shared with other
work), 2026-11-25, with the defaults (2,000,000 customers, 300 outlets, 2,400 managers, 12 months):

    setup 192s: 2,000,000 customers, 23,383,011 snapshots (COPY; the loader child peaked at 950 MB)
    tiering 142s in all, 165,124 rows/s (11.8s a month; slowest 12.8s)
      a month: read 1.4s, compare 1.2s, write 8.5s (COPY of 1.95 million CustomerMonth rows), facts 0.8s;
      32,400-33,650 migration rows and 18,900 facts (300 outlets + 2,400 managers, 7 metrics each)
    run again: 16.1s, 121,538 rows/s (the month's rows deleted and written again, every fact unchanged)
    peak memory (max RSS of this process): 615 MB

Before the tiering was tuned (same machine, same kind of data, 22.5 million snapshots): 18.5s a month,
101,665 rows/s, run again 22.7s, peak 833 MB.
"""

from __future__ import annotations

import argparse
import datetime
import io
import logging
import os
import resource
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCRATCH = os.environ.get("BENCH_SCRATCH_DB", "bankops_bench_customers")
FIRST_MONTH = datetime.date(2026, 1, 1)


def scratch_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{SCRATCH}", "", ""))


def admin_connection(base: str, dbname: str = "postgres"):
    import psycopg2

    parts = urlsplit(base)
    return psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=dbname,
    )


def recreate_database(base: str, *, drop_only: bool = False) -> None:
    connection = admin_connection(base)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        if not drop_only:
            cursor.execute(f'CREATE DATABASE "{SCRATCH}"')
    connection.close()


def database_exists(base: str) -> bool:
    connection = admin_connection(base)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [SCRATCH])
        found = cursor.fetchone() is not None
    connection.close()
    return found


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def build_network(outlets: int, managers_per_outlet: int) -> tuple[list[int], dict[int, list[int]]]:
    """Units and relationship managers (客户经理) through the real import services. Returns the outlet
    ids and, per outlet id, the ids of the managers assigned to it."""
    from branches.models import OrgUnit
    from branches.services import units_import
    from lib.csvimport import CsvRow
    from staff.models import Assignment
    from staff.services import staff_import

    areas, formats = ("urban", "county", "township"), ("full", "light", "smart")
    branches = max(1, outlets // 100)
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
    rows += [
        CsvRow(0, {"code": f"O{o:05d}", "parent": f"S{o % sub_branches:04d}", "name_zh": f"网点{o}", "kind": "outlet",
                   "area": areas[o % 3], "format": formats[o // 3 % 3]})
        for o in range(outlets)
    ]  # fmt: skip
    units_import(rows=rows)
    staff_import(
        rows=[
            CsvRow(0, {"code": f"M{o:05d}{k}", "name": f"客户经理{o}-{k}", "post": "customer_manager",
                       "unit": f"O{o:05d}", "start": "2020-01-01"})
            for o in range(outlets)
            for k in range(managers_per_outlet)
        ]
    )  # fmt: skip
    outlet_ids = list(OrgUnit.objects.filter(kind="outlet").order_by("code").values_list("id", flat=True))
    managers: dict[int, list[int]] = {outlet_id: [] for outlet_id in outlet_ids}
    for staff_id, unit_id in Assignment.objects.order_by("staff__code").values_list("staff_id", "unit_id"):
        managers[unit_id].append(staff_id)
    return outlet_ids, managers


def load_customers(url: str, count: int, months: int, outlet_ids, managers, seed: int) -> None:
    """In a child process: N customers and their monthly snapshots, COPY'd in (one COPY per month)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    connection = admin_connection(url, SCRATCH)
    cursor = connection.cursor()

    def copy(table: str, frame: pd.DataFrame) -> None:
        buffer = io.BytesIO()
        frame.to_csv(buffer, index=False, header=False, float_format="%.2f", na_rep="", encoding="utf-8")
        buffer.seek(0)
        columns = ", ".join(f'"{column}"' for column in frame.columns)
        cursor.copy_expert(f"COPY \"{table}\" ({columns}) FROM STDIN WITH (FORMAT csv, NULL '')", buffer)

    # Customers: outlets of very different sizes (a few large urban outlets, many small ones); four in
    # five customers have a relationship manager of their outlet.
    started = time.perf_counter()
    weights = rng.lognormal(0.0, 0.8, len(outlet_ids))
    outlet_index = rng.choice(len(outlet_ids), size=count, p=weights / weights.sum())
    outlet_column = np.asarray(outlet_ids)[outlet_index]
    per_outlet = np.array([len(managers[outlet_id]) for outlet_id in outlet_ids])
    manager_table = np.full((len(outlet_ids), max(1, per_outlet.max())), -1, dtype=np.int64)
    for i, outlet_id in enumerate(outlet_ids):
        manager_table[i, : per_outlet[i]] = managers[outlet_id]
    slot = (rng.random(count) * np.maximum(per_outlet[outlet_index], 1)).astype(np.int64)
    manager_column = manager_table[outlet_index, slot].astype(float)
    manager_column[(rng.random(count) < 0.2) | (manager_column < 0)] = np.nan
    surnames = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"))
    given = np.array(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"))
    names = (
        pd.Series(surnames[rng.integers(0, len(surnames), count)])
        + pd.Series(given[rng.integers(0, len(given), count)])
        + np.where(rng.random(count) < 0.6, pd.Series(given[rng.integers(0, len(given), count)]), "")
    )
    ids = np.arange(1, count + 1)
    customers = pd.DataFrame(
        {
            "id": ids,
            "code": pd.Series(ids).map("C{:08d}".format),
            "name": names,
            "id_number": pd.Series(ids).map("4401061980{:08d}".format),
            "home_outlet_id": outlet_column,
            "relationship_manager_id": pd.array(manager_column, dtype="Int64"),
            "groups": rng.integers(0, 64, count) & rng.integers(0, 64, count),
        }
    )
    copy("customers_customer", customers)
    cursor.execute("SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), %s)", [count])
    connection.commit()
    del customers, names
    print(f"  {count:,} customers in {time.perf_counter() - started:.0f}s", flush=True)

    # Average daily AUM: log-normal around 8,000 元 (about 55 % 一星, 30 % 二星, 12 % 三星, 3 % 四星 and
    # above, a few hundred 私行 per million), 3 % dormant near zero, 0.2 % overdrawn.
    log_aum = np.log(8000.0) + 1.7 * rng.standard_normal(count)
    dormant = rng.random(count) < 0.03
    overdrawn = rng.random(count) < 0.002
    # 97 % are customers from the first month, 3 % arrive later; 0.2 % a month leave for good.
    joins = np.where(rng.random(count) < 0.97, 0, rng.integers(1, max(2, months), count))
    leaves = rng.geometric(0.002, count)  # months until the customer leaves the bank
    for m in range(months):
        began = time.perf_counter()
        month = add_months(FIRST_MONTH, m)
        if m:
            log_aum += 0.004 + 0.10 * rng.standard_normal(count)
            jumps = rng.random(count) < 0.04
            log_aum[jumps] += 0.8 * rng.standard_normal(int(jumps.sum()))
        present = (joins <= m) & (joins + leaves > m)
        avg = np.exp(log_aum[present])
        avg[dormant[present]] = rng.random(int(dormant[present].sum())) * 100
        avg[overdrawn[present]] = -rng.random(int(overdrawn[present].sum())) * 2000
        avg = np.round(avg, 2)
        end = np.maximum(avg * np.exp(0.04 * rng.standard_normal(len(avg))), 0)
        deposit_share = np.where(avg < 20000, 1.0, rng.beta(4, 2, len(avg)))
        rest = rng.dirichlet([3, 2, 1, 1], len(avg)) * (end * (1 - deposit_share))[:, None]
        snapshots = pd.DataFrame(
            {
                "customer_id": ids[present],
                "month": month.isoformat(),
                "deposits": end * deposit_share,
                "wealth": rest[:, 0],
                "funds": rest[:, 1],
                "insurance": rest[:, 2],
                "bonds": rest[:, 3],
                "aum_avg_daily": avg,
            }
        )
        copy("customers_snapshot", snapshots)
        connection.commit()
        print(f"  {month:%Y-%m}: {len(snapshots):,} snapshots in {time.perf_counter() - began:.0f}s", flush=True)
        del snapshots, rest, end, avg
    connection.autocommit = True
    began = time.perf_counter()
    cursor.execute("VACUUM ANALYZE customers_customer")
    cursor.execute("VACUUM ANALYZE customers_snapshot")
    print(f"  VACUUM ANALYZE in {time.perf_counter() - began:.0f}s", flush=True)
    connection.close()


def empty_tiering_output() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE customers_customermonth, customers_tiermigration, customers_tieringrun, kpi_fact, "
            "kpi_ingestbatch CASCADE"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=2_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--outlets", type=int, default=300)
    parser.add_argument("--managers-per-outlet", type=int, default=8)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--keep", action="store_true", help="keep the scratch database at the end")
    parser.add_argument("--reuse", action="store_true", help="reuse the database a --keep run left")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the timed runs to FILE")
    parser.add_argument(
        "--outreach", action="store_true", help="then build and assign call lists over every customer (issue 18)"
    )
    parser.add_argument(
        "--outreach-only", action="store_true", help="with --reuse: keep the tiering and time the lists only"
    )
    args = parser.parse_args()

    base = args.database_url or "postgres://postgres@127.0.0.1:5432/postgres"
    if not base.startswith("postgres"):
        sys.exit("bench/customers.py needs PostgreSQL: set DATABASE_URL=postgres://… or --database-url")
    reuse = args.reuse and database_exists(base)
    if not reuse:
        recreate_database(base)
    os.environ["DATABASE_URL"] = scratch_url(base)
    # DEBUG off, so Django does not keep every SQL statement in memory.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-customers-scratch-database-only")
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankops.settings")
    import django

    django.setup()
    import multiprocessing

    from django.core.management import call_command
    from django.db import connections

    from bankops.celery import app as celery_app
    from customers.models import Customer, CustomerMonth, Snapshot, TierMigration
    from customers.services.tiering import tiering_run
    from kpi.models import IngestBatch

    celery_app.conf.task_always_eager = False  # queue the rollup to memory://; nobody runs it
    logging.getLogger("kombu").setLevel(logging.ERROR)

    started = time.perf_counter()
    if reuse and args.outreach_only:
        print(f"scratch database {SCRATCH} reused with its tiering")
    elif reuse:
        empty_tiering_output()
        print(f"scratch database {SCRATCH} reused: tiering output emptied")
    else:
        call_command("migrate", verbosity=0)
        outlet_ids, managers = build_network(args.outlets, args.managers_per_outlet)
        print(
            f"scratch database {SCRATCH}: {len(outlet_ids):,} outlets, "
            f"{sum(map(len, managers.values())):,} relationship managers; "
            f"loading {args.customers:,} customers × {args.months} months"
        )
        connections.close_all()  # the child must not share this process's connection
        child = multiprocessing.get_context("fork").Process(
            target=load_customers,
            args=(scratch_url(base), args.customers, args.months, outlet_ids, managers, args.seed),
        )
        child.start()
        child.join()
        if child.exitcode:
            sys.exit(f"loading customers failed (exit code {child.exitcode})")
    customers = Customer.objects.count()
    snapshots = Snapshot.objects.count()
    months = [add_months(FIRST_MONTH, m) for m in range(args.months)]
    setup = time.perf_counter() - started
    loader = "" if reuse else f" (loader's peak RSS {children_peak_rss_mb():,.0f} MB)"
    print(
        f"setup {setup:.0f}s: {customers:,} customers, {snapshots:,} snapshots over {len(months)} months{loader}; "
        f"this process now {peak_rss_mb():,.0f} MB peak"
    )
    print()

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()

    def timed(month: datetime.date, label: str) -> tuple[float, int]:
        marks: list[tuple[int, float]] = []
        began = time.perf_counter()
        if profiler:
            profiler.enable()
        run = tiering_run(month=month, progress=lambda percent, _message: marks.append((percent, time.perf_counter())))
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - began
        batch = IngestBatch.objects.filter(source=IngestBatch.Source.TIERING).order_by("-pk").first()
        written = CustomerMonth.objects.filter(month=month).count()
        migrations = TierMigration.objects.filter(month=month).count()
        steps = [(0, began), *marks, (100, began + seconds)]
        names = ("start", "read", "compare", "write", "facts")
        phases = "  ".join(
            f"{name} {b - a:.1f}s" for name, (_, a), (_, b) in zip(names, steps, steps[1:], strict=False)
        )
        print(
            f"  {label} {month:%Y-%m}: {seconds:6.1f}s  {run.customers / seconds:9,.0f} rows/s  "
            f"{written:,} tiers, {migrations:,} migration rows, facts {batch.created:,} new {batch.updated:,} "
            f"changed {batch.unchanged:,} same  peak RSS {peak_rss_mb():,.0f} MB"
        )
        print(f"           ({phases})")
        return seconds, run.customers

    if reuse and args.outreach_only:
        bench_outreach(months[-1])
        connections.close_all()
        return

    print(f"tiering_run, {len(months)} months in order:")
    results = [timed(month, "run  ") for month in months]
    print("run again (the month's rows replaced, facts unchanged):")
    again_seconds, again_rows = timed(months[-1], "again")
    total_seconds = sum(seconds for seconds, _ in results)
    total_rows = sum(rows for _, rows in results)
    if profiler:
        profiler.dump_stats(args.profile)
    print()
    print("summary:")
    print(f"  {customers:,} customers × {len(months)} months = {total_rows:,} snapshot rows; setup {setup:.0f}s")
    print(
        f"  tiering {total_seconds:.0f}s in all, {total_rows / total_seconds:,.0f} rows/s "
        f"({total_seconds / len(months):.1f}s a month; slowest {max(s for s, _ in results):.1f}s)"
    )
    print(f"  run again: {again_seconds:.1f}s, {again_rows / again_seconds:,.0f} rows/s")
    print(
        f"  migration rows {TierMigration.objects.count():,}; tiering facts "
        f"{sum(IngestBatch.objects.filter(source='tiering').values_list('created', flat=True)):,}"
    )
    print(f"  peak memory (max RSS of this process): {peak_rss_mb():,.0f} MB")
    if args.outreach:
        bench_outreach(months[-1])
    connections.close_all()
    if not args.keep:
        recreate_database(base, drop_only=True)


def bench_outreach(month: datetime.date) -> None:
    """Call lists over every customer of the network (outreach.services.building): each list is one INSERT …
    SELECT whatever its size, its assignment decided in the same statement. Timed: a list of every customer
    tiered in `month` dealt evenly over every staff member, the same by relationship manager, the customers
    who moved down by relationship manager, and 10,000 customers of a list assigned by hand (one UPDATE);
    with the machine's load (os.getloadavg: 1, 5 and 15 minutes) before and after each."""
    from branches.models import OrgUnit
    from outreach.models import ListAssignment
    from outreach.services.building import ListFilter, assignments_assign, list_build, staff_outlets
    from staff.access import Scope
    from staff.models import StaffMember

    hq = Scope(everything=True, read_only=False, personal_data=True, role="hq_admin")
    root = OrgUnit.objects.get(parent=None)
    day = datetime.date.today()
    people = list(StaffMember.objects.filter(pk__in=list(staff_outlets(unit=root, day=day))).order_by("code"))

    def load() -> str:
        return " ".join(f"{figure:.2f}" for figure in os.getloadavg())

    print()
    print(f"outreach lists over {month:%Y-%m}'s tiered customers, {len(people):,} staff at outlets:")
    built = []
    for label, criteria, mode in (
        ("every customer, evenly", ListFilter(month=month), "even"),
        ("every customer, by manager", ListFilter(month=month), "manager"),
        ("moved down, by manager", ListFilter(month=month, movement="down"), "manager"),
    ):
        before = load()
        began = time.perf_counter()
        outreach_list = list_build(
            scope=hq, user=None, unit=root, name=label, criteria=criteria, assign_mode=mode,
            staff=people if mode == "even" else None, starts_on=day, due_on=day,
        )  # fmt: skip
        seconds = time.perf_counter() - began
        assigned = ListAssignment.objects.filter(outreach_list=outreach_list).exclude(staff=None).count()
        print(
            f"  {label:28} {seconds:6.1f}s  {outreach_list.customers:>10,} customers  {assigned:>10,} assigned  "
            f"{outreach_list.customers / max(seconds, 0.001):>9,.0f} rows/s  load {before} → {load()}"
        )
        built.append(outreach_list)
    hand = list_build(
        scope=hq, user=None, unit=root, name="by hand", criteria=ListFilter(month=month, movement="down"),
        assign_mode="hand", starts_on=day, due_on=day,
    )  # fmt: skip
    before = load()
    began = time.perf_counter()
    count = assignments_assign(scope=hq, outreach_list=hand, staff=people[0], count=10_000, day=day)
    print(
        f"  {'by hand, 10,000 of a list':28} {time.perf_counter() - began:6.1f}s  {count:>10,} assigned"
        f"  load {before} → {load()}"
    )
    print(f"  peak memory (max RSS of this process): {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
