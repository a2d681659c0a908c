"""Benchmark: the first scorecard page read right after a rollup on a fresh database.

    .venv/bin/python bench/scorecard_after_rollup.py [--outlets 1000] [--staff 10000] [--days 5] [--no-analyze]

Issue 13: after bulk loads the planner had no statistics: on a server without autovacuum a page of 100
scorecards took 1,229 ms (a sequential scan of 4.3 M lines) against 204 ms after ANALYZE. The rollup
now analyses its tables after each rollup, and the ingest after a bulk load (lib.bulk.analyze).

1. A scratch database (`--database`, default `bankops_bench_scorecard`, on the PostgreSQL server of
   $DATABASE_URL; dropped and created again, and dropped at the end) with autovacuum off on every
   table, as on a server that does not run it: only the application's own ANALYZE gives the planner
   statistics.
2. The network and the facts of --days days as bench/rollup.py builds them (COPY), then the days rolled
   up in order through the real rollup, every day's scorecards kept.
3. Straight after the last rollup, in-process (Django's test client, a read token for head office):
   `GET /api/v1/scorecards/?period=day&page_size=100` once cold and --repeat times more; prints the
   first and the median time, and the plan PostgreSQL chooses for the page's lines.

With --no-analyze lib.bulk.analyze does nothing: the figures before the fix.

Figures on this machine (2 cores shared with other test runs, load average 5), 2026-12-02,
`--outlets 600 --staff 6000 --days 3` (185,400 facts; the last day 33,265 scorecards and 349,253 lines):

    ANALYZE after each rollup: no  (before)
      first page     1616 ms
      median          576 ms  (of 10 more)
      the lines: Gather Merge ← Parallel Seq Scan on kpi_scorecardline, Filter: scorecard_id = ANY (…)
    ANALYZE after each rollup: yes
      first page      721 ms
      median          194 ms  (of 10 more)
      the lines: Nested Loop ← Index Scan using kpi_scoreca_scoreca_3b1767_idx on kpi_scorecardline

Three times faster a page once the planner knows the tables: the same ratio as the issue's 1,229 ms
against 204 ms at 4.3 M lines, where the sequential scan grows with the table and the index scan does
not. The first page of each run also pays for the cold caches of a fresh database.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _bench_rollup():
    """bench/rollup.py's network and facts builders (a script, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_rollup", ROOT / "bench" / "rollup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _admin(base: str):
    import psycopg2

    parts = urlsplit(base)
    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres", password=parts.password,
        dbname="postgres",
    )  # fmt: skip
    connection.autocommit = True
    return connection


def recreate_database(base: str, name: str) -> None:
    connection = _admin(base)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def drop_database(base: str, name: str) -> None:
    connection = _admin(base)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


def autovacuum_off() -> None:
    """Every table of the app without autovacuum (nor its automatic ANALYZE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')


def lines_plan(key: str) -> str:
    """The plan of the page's heaviest query (its lines), as the page runs it."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"Authorization": f"Token {key}"})
    with CaptureQueriesContext(connection) as captured:
        client.get("/api/v1/scorecards/", {"period": "day", "page_size": 100}, secure=True)
    sql = next(query["sql"] for query in captured.captured_queries if "kpi_scorecardline" in query["sql"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(f"      {row[0]}" for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outlets", type=int, default=1000)
    parser.add_argument("--staff", type=int, default=10000)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database", default="bankops_bench_scorecard")
    parser.add_argument("--no-analyze", action="store_true", help="the rollup and ingest do not ANALYZE (before)")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith("postgres"):
        sys.exit("bench/scorecard_after_rollup.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    builders = _bench_rollup()
    recreate_database(base, args.database)
    parts = urlsplit(base)
    os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{args.database}", "", ""))
    os.environ.setdefault("DEBUG", "true")
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["API_THROTTLE_RATE"] = ""
    os.environ["SCORECARD_RETENTION_DAYS"] = "100000"
    os.environ.pop("REDIS_URL", None)
    os.environ["LOG_LEVEL"] = "ERROR"  # the alert evaluations the rollup queues log every day
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankops.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from branches.models import OrgUnit
    from kpi.services import rollup
    from lib import bulk
    from staff.services import api_token_create

    try:
        call_command("migrate", verbosity=0)
        autovacuum_off()
        if args.no_analyze:
            bulk.analyze = lambda *models: None
        rng = random.Random(2026)
        outlet_ids, pairs = builders.build_network(args.outlets, args.staff, rng)
        days = [datetime.date(2026, 11, 1) + datetime.timedelta(days=i) for i in range(args.days)]
        facts = builders.write_facts(days, outlet_ids, pairs, rng)
        began = time.perf_counter()
        for day in days:
            run = rollup.rollup_day(day=day, today=days[-1])
        rolled = time.perf_counter() - began
        _token, key = api_token_create(name="bench", unit=OrgUnit.objects.get(code="HQ"), scopes="read")

        client = Client(headers={"Authorization": f"Token {key}"})
        times = []
        for _ in range(args.repeat + 1):
            start = time.perf_counter()
            response = client.get("/api/v1/scorecards/", {"period": "day", "page_size": 100}, secure=True)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
        plan = lines_plan(key)

        print(
            f"PostgreSQL {args.database} (autovacuum off): {args.outlets} outlets, {args.staff} staff; {facts:,} facts "
            f"over {args.days} days rolled up in {rolled:.0f}s; the last day: {run.scorecards:,} scorecards, "
            f"{run.lines:,} lines; ANALYZE after each rollup: {'no' if args.no_analyze else 'yes'}"
        )
        print("  GET /api/v1/scorecards/?period=day&page_size=100 right after the rollup")
        print(f"    first page {times[0]:8.0f} ms")
        print(f"    median     {statistics.median(times[1:]):8.0f} ms  (of {args.repeat} more)")
        print("    the plan of the page's lines:")
        print(plan)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(base, args.database)


if __name__ == "__main__":
    main()
