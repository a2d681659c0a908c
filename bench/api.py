"""API benchmark: a page of 100 scorecards against a trivial endpoint of the same server, and the SQL
queries a page costs.

    .venv/bin/python bench/api.py [--outlets 300] [--staff-per-outlet 3] [--lines 15] [--seconds 10]

1. Builds a network in a scratch database: `bankops_bench_api` on the PostgreSQL server of
   $DATABASE_URL (dropped and created again, and dropped at the end), or, without a postgres:// URL, a
   SQLite file in a temporary directory. Units and staff go through the real CSV import services; the
   day's published rollup (one run, the month scorecards of every outlet and staff member with --lines
   lines each) is written with bulk_create, as the rollup writes it. A read token for head office.
2. Starts the app under gunicorn from the virtualenv (1 worker, gthread so that connections are kept
   alive; the sync worker of the Dockerfile closes every connection), production settings (DEBUG off,
   persistent database connections, no throttle), on a free port of 127.0.0.1.
   On PostgreSQL the tables are analysed first by the project's own run_tables_analyze, as after
   every published day in service.
3. Sends requests one after another on one kept-alive http.client connection (sequential: on a 2-core
   machine the client gets one core and the server the other). First a cold pass: every page of the
   day once, following `next` (each page distinct, none in the scorecard cache yet), full then compact:
   pages/s. Then, for --seconds each after a warm-up, the same page repeated (warm: from the cache):
   `GET /api/v1/scorecards/?page_size=100` with the token, its compact form, and `GET /healthz/` (a
   `SELECT 1`: the cheapest request that still reaches the database). Prints each as "a page costs N
   trivial requests". The server has no REDIS_URL: the scorecard cache is the gunicorn worker's
   in-process locmem (with Redis each get_many is one round trip more).
   With --redis (the production shape), after the cold passes: the day published again under a new run
   (nothing of it cached), its month scorecards warmed as a worker does once a day is published
   (kpi.selectors.scorecard_json.scorecards_warm; printed: seconds, and what it added to Redis's memory),
   then every page once as its first reader, on the running server.
4. In-process, with Django's test client and CaptureQueriesContext: the SQL queries of one request for
   page_size 10, 100 and 1000, cold (this process's cache emptied) and warm (the same again). They must
   be equal across sizes: a page costs a fixed number of queries whatever its size (CONVENTIONS.md).

Issue 21, the head office's token reading every row as HQ does (staff.access.Scope.reads_every_row), one
Redis client per pool (lib.cache), 2026-12-05, `--outlets 1500 --seconds 8 --redis redis://127.0.0.1:6379/9`,
load 0.6-1.1 (a machine where /healthz/ answers ~1,130/s, not ~1,600): before (3aad837) the first reader
121.9 and 115.9 pages/s = 9.5 and 9.7 trivial requests, the page again 7.1 and 7.0; after:

      cold GET /api/v1/scorecards/?page_size=100                   23.3 pages/s (a page costs 49.4 trivial requests)
      cold GET /api/v1/scorecards/?page_size=100&lines=compact     26.0 pages/s (a page costs 44.2 trivial requests)
      warmed ahead (...): 6,000 cards in 2.8s (46 ms a hundred)
      first reader after it: GET /api/v1/scorecards/?page_size=100    144.5 pages/s (a page costs 8.0 trivial requests)
      warm GET /api/v1/scorecards/?page_size=100                  186.9 req/s  (1,215 KB a page)
      warm GET /api/v1/scorecards/?page_size=100&lines=compact    199.5 req/s  (398 KB a page)
           GET /healthz/                                         1150.8 req/s  (2 bytes)
           GET /api/v1/metrics/customers_served/                  232.5 req/s  (325 bytes, with the token)
      warm: a page costs 6.2 trivial requests (compact: 5.8)

Issue 21, head office's scope read as a condition every row meets (staff.access.Scope.holder_records), not
`unit_id IN (every unit)`, 2026-12-04, the same command twice, load 1.2-1.9: the page again 201.4 and 208.2
req/s = 8.1 and 7.9 trivial requests; the first reader after the warming 145.4 and 150.0 pages/s = 11.2 and
10.9; cold 71.9 and 67.7; /healthz/ 1,622.0 and 1,640.4 req/s.

Issue 21, the first reader of a day: its month scorecards warmed by a worker once it is published, each web
process keeping what it read lately in front of Redis, hiredis, 2026-12-04, `--outlets 1500 --seconds 8
--redis redis://127.0.0.1:6379/9`, load 0.94 → 1.05 on 2 cores (quiet):

    PostgreSQL bankops_bench_apiwarm: 1,500 outlets, 4,500 staff; 6,000 month scorecards of 2026-11-24, 15 lines each
      warming: Redis used_memory grew 83.0 MB (14.2 KB a card)
      cold GET /api/v1/scorecards/?page_size=100                   19.8 pages/s (a page costs 76.6 trivial requests)
      cold GET /api/v1/scorecards/?page_size=100&lines=compact     23.0 pages/s (a page costs 66.0 trivial requests)
      warmed ahead (...): 6,000 cards in 3.4s (56 ms a hundred)
      first reader after it: GET /api/v1/scorecards/?page_size=100    145.2 pages/s (a page costs 10.5 trivial requests)
      warm GET /api/v1/scorecards/?page_size=100                  172.1 req/s  (1,215 KB a page)
      warm GET /api/v1/scorecards/?page_size=100&lines=compact    199.2 req/s  (398 KB a page)
           GET /healthz/                                         1518.9 req/s  (2 bytes)
      warm: a page costs 8.8 trivial requests (compact: 7.6)
    SQL queries per request: 5 cold, 3 warm for page_size 10, 100 and 1000

Issue 21, the warm page's fixed costs cut (the ETag from the cards' digests, no filter form without a
filter, the latest published day as one row), 2026-12-03, `--seconds 8`, load 9.1 → 8.3 on 2 cores:

      cold GET /api/v1/scorecards/?page_size=100                    2.4 pages/s (a page costs 27.8 trivial requests)
      warm GET /api/v1/scorecards/?page_size=100                   13.2 req/s  (1,215 KB a page)
           GET /healthz/                                           65.8 req/s  (2 bytes)
      warm: a page costs 5.0 trivial requests (compact: 4.2)
    SQL queries per request: 5 cold, 3 warm for page_size 10, 100 and 1000

Issue 21, each scorecard's JSON cached per published run (kpi.selectors.scorecard_json), the cold path
cut (orjson, the comparisons' rates at once, gc.freeze in the worker), 2026-11-25, `--seconds 8`, load
5.85 → 5.87 on 2 cores (several other jobs beside it):

    PostgreSQL bankops_bench_apicache: 300 outlets, 900 staff; 1,200 month scorecards of 2026-11-24 with 15 lines each
      cold GET /api/v1/scorecards/?page_size=100                    3.9 pages/s (a page costs 66.8 trivial requests)
      cold GET /api/v1/scorecards/?page_size=100&lines=compact      5.5 pages/s (a page costs 48.2 trivial requests)
      warm GET /api/v1/scorecards/?page_size=100                   28.3 req/s  (1,215 KB a page)
      warm GET /api/v1/scorecards/?page_size=100&lines=compact     29.0 req/s  (399 KB a page)
           GET /healthz/                                          263.9 req/s  (2 bytes)
      warm: a page costs 9.3 trivial requests (compact: 9.1)
    SQL queries per request: 6 cold, 4 warm for page_size 10, 100 and 1000

Earlier figures, before the cache:

On this machine (2 cores shared with other test runs, PostgreSQL on 127.0.0.1), 2026-11-25,
defaults (`DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/api.py`):

    PostgreSQL bankops_bench_api: 300 outlets, 900 staff; 1,200 month scorecards of 2026-11-24 with 15 lines each
      GET /api/v1/scorecards/?page_size=100        13.3 req/s  (361 KB a page)
      GET /healthz/                              1469.2 req/s  (2 bytes)
      ratio page / trivial: 0.009 (a page costs 110.2 trivial requests)
    SQL queries per request: 5 for page_size 10, 100 and 1000 (token, latest day, the day's run,
    the page of scorecards with unit and staff joined, their lines with the metric joined)

Two earlier runs: 13.5 and 12.5 (SQLite) pages/s against 1,739 and 2,226 (SQLite) trivial requests/s;
the trivial figure moves with the load of the machine, the page figure hardly. A page was ~75 ms of
Python: in a profile about half building 1,500 line and metric model instances, half DRF's
serializers; the five queries take under 10 ms.

After the lines were serialized directly (kpi/serializers.py) and the ETag hashed the body as sent
instead of encoding it twice (lib/api.py), on a quieter machine, same day, --seconds 8:

      GET /api/v1/scorecards/?page_size=100        18.8 req/s  (361 KB a page)
      GET /healthz/                              1995.4 req/s  (2 bytes)
      ratio page / trivial: 0.009 (a page costs 106.0 trivial requests)

About 53 ms a page, most of it now the model instances of the lines. Reading the lines with
.values() instead of model instances would be the next step.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCRATCH = os.environ.get("BENCH_DATABASE", "bankops_bench_api")
DAY = datetime.date(2026, 11, 24)
PAGE_URL = "/api/v1/scorecards/?page_size=100"
COMPACT_URL = "/api/v1/scorecards/?page_size=100&lines=compact"  # the leaner form (issue 21)
TRIVIAL_URL = "/healthz/"
# The cheapest request that authenticates a token: one metric of the catalog (the token's query, the metric's).
TOKEN_TRIVIAL_URL = "/api/v1/metrics/customers_served/"
WARMUP_URL = "/api/v1/scorecards/?page_size=100&fields=unit,total_score"  # fields=: never cached


def scratch_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{SCRATCH}", "", ""))


def _admin_connection(base: str):
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
    return connection


def recreate_database(base: str) -> None:
    connection = _admin_connection(base)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{SCRATCH}"')
    connection.close()


def drop_database(base: str) -> None:
    connection = _admin_connection(base)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
    connection.close()


def build_network(outlets: int, staff_per_outlet: int) -> tuple[list[int], list[int]]:
    """Units and staff through the real CSV import services. Returns outlet ids and staff ids."""
    from branches.models import OrgUnit
    from branches.services import units_import
    from lib.csvimport import CsvRow
    from staff.models import StaffMember
    from staff.services import staff_import

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
                   "area": ("urban", "county", "township")[o % 3], "format": ("full", "light", "smart")[o // 3 % 3]})
        for o, code in enumerate(outlet_codes)
    ]  # fmt: skip
    units_import(rows=rows)

    posts = ("teller", "customer_manager", "lobby_manager", "wealth_manager")
    pairs = [(f"P{o:05d}{k}", code) for o, code in enumerate(outlet_codes) for k in range(staff_per_outlet)]
    if pairs:
        staff_import(
            rows=[
                CsvRow(0, {"code": staff, "name": f"员工{staff}", "post": posts[i % len(posts)], "unit": outlet,
                           "start": "2026-01-01"})
                for i, (staff, outlet) in enumerate(pairs)
            ]
        )  # fmt: skip
    outlet_ids = list(OrgUnit.objects.filter(kind="outlet").order_by("code").values_list("id", flat=True))
    staff_ids = list(StaffMember.objects.order_by("code").values_list("id", flat=True))
    return outlet_ids, staff_ids


def publish_day(outlet_ids: list[int], staff_ids: list[int], lines: int, rng: random.Random) -> int:
    """The day's published rollup: a run, its month scorecards (outlets then staff) with `lines` lines
    each, and the day pointing at the run. Returns the number of scorecards."""
    from django.utils import timezone

    from kpi.models import Metric, RollupDay, RollupRun, Scorecard, ScorecardLine
    from kpi.partitions import line_partitions_ensure
    from lib.periods import period_of

    now = timezone.now()
    month = period_of("month", DAY)
    progress = Decimal(DAY.day) / Decimal((month.end - month.start).days + 1)
    outlet_metrics = list(Metric.objects.filter(level__in=["outlet", "both"]).order_by("sort_order", "code"))
    staff_metrics = list(Metric.objects.filter(level__in=["staff", "both"]).order_by("sort_order", "code"))
    run = RollupRun.objects.create(
        date=DAY, status=RollupRun.Status.PUBLISHED, progress=100, started_at=now, finished_at=now
    )
    holders = [("unit", unit_id) for unit_id in outlet_ids] + [("staff", staff_id) for staff_id in staff_ids]
    cards = Scorecard.objects.bulk_create(
        [
            Scorecard(run=run, date=DAY, period="month", period_start=month.start, period_end=month.end,
                      **{f"{kind}_id": holder_id}, total_score=Decimal(rng.randint(0, 12000)) / 100,
                      rank=i % 12 + 1, rank_of=12)
            for i, (kind, holder_id) in enumerate(holders)
        ],
        batch_size=2000,
    )  # fmt: skip
    rows = []
    for card in cards:
        metrics = outlet_metrics if card.unit_id else staff_metrics
        for metric in (metrics * (lines // len(metrics) + 1))[:lines]:
            actual = Decimal(rng.randint(0, 900000)) / 100
            target = Decimal(rng.randint(1000, 900000)) / 100
            attainment = (actual / target).quantize(Decimal("0.000001"))
            pace = (attainment / progress).quantize(Decimal("0.000001"))
            rows.append(
                ScorecardLine(
                    scorecard=card,
                    date=card.date,
                    metric=metric,
                    actual=actual,
                    target=target,
                    attainment=attainment,
                    time_progress=progress.quantize(Decimal("0.000001")),
                    pace_attainment=pace,
                    status="green" if pace >= 1 else "amber" if pace >= Decimal("0.9") else "red",
                    gap_to_pace=(actual - target * progress).quantize(Decimal("0.0001")),
                )
            )
    line_partitions_ensure([DAY])
    ScorecardLine.objects.bulk_create(rows, batch_size=5000)
    RollupRun.objects.filter(pk=run.pk).update(scorecards=len(cards), lines=len(rows))
    RollupDay.objects.update_or_create(date=DAY, defaults={"published_run": run, "published_at": now})
    return len(cards)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, log_path: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = log_path.open("w")
    server = subprocess.Popen(
        [str(gunicorn), "bankops.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--worker-class", "gthread", "--threads", "1", "--keep-alive", "30"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped at start-up:\n{log_path.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", TRIVIAL_URL, headers=HEADERS)
            if connection.getresponse().status == 200:
                connection.close()
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit(f"gunicorn did not answer {TRIVIAL_URL} within 30 s:\n{log_path.read_text()}")


# The server runs with production settings behind a (pretend) TLS proxy: without the header every API
# request would be redirected to https (only /healthz/ is exempt), and the two would not be comparable.
HEADERS = {"X-Forwarded-Proto": "https"}


def requests_per_second(port: int, url: str, headers: dict, seconds: float) -> tuple[float, int, int]:
    """Sequential GETs on one kept-alive connection for `seconds` after 50 warm-up requests.
    Returns (requests/s, bytes of the last body, connections opened while timing)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    reconnects = 0

    def get() -> bytes:
        nonlocal reconnects
        if connection.sock is None:
            reconnects += 1
        connection.request("GET", url, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit(f"GET {url} answered {response.status}: {body[:300]!r}")
        return body

    for _ in range(50):
        get()
    reconnects = 0
    count, began = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        body = get()
        count += 1
    connection.close()
    return count / elapsed, len(body), reconnects


def cold_walk(port: int, url: str, headers: dict) -> tuple[float, int]:
    """Every page of the day once, following `next` (each page distinct, none cached yet: the server has
    answered no full page before). Returns (pages/s, pages)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    pages, began = 0, time.perf_counter()
    while url:
        connection.request("GET", url, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit(f"GET {url} answered {response.status}: {body[:300]!r}")
        pages += 1
        following = json.loads(body[: body.index(b',"previous":')] + b"}")["next"]  # not the whole 1.2 MB
        url = urlunsplit(("", "", *urlsplit(following)[2:4], "")) if following else None
    elapsed = time.perf_counter() - began
    connection.close()
    return pages / elapsed, pages


def warmed_walk(port: int, headers: dict, outlet_ids: list[int], staff_ids: list[int], lines: int) -> tuple:
    """With Redis (the cache the server shares): the day published again under a new run (as a correction
    would: new keys, none of its pages cached or in the server's memory), its month scorecards warmed as
    the worker does once a day is published (kpi.tasks.scorecards_warm), then every page of the day once
    as its first reader. Prints what the warming added to Redis's memory. Returns (seconds of warming,
    cards computed, pages/s of the first reader)."""
    from django.core.cache import cache

    from kpi.selectors.scorecard_json import scorecards_warm
    from kpi.services.runs import run_tables_analyze

    cards = publish_day(outlet_ids, staff_ids, lines, random.Random(2027))
    run_tables_analyze(day=DAY)  # as after every publication, before the warming (kpi.apps)
    cache.clear()
    redis = cache._cache.get_client(write=False)  # Django's RedisCache: the redis-py client of the server
    before = redis.info("memory")["used_memory"]
    began = time.perf_counter()
    computed = scorecards_warm(day=DAY, limit=cards)
    seconds = time.perf_counter() - began
    grown = redis.info("memory")["used_memory"] - before
    print(
        f"  warming: Redis used_memory grew {grown / 2**20:,.1f} MB ({grown / max(computed, 1) / 1024:,.1f} KB a card)"
    )
    first_reader, _walked = cold_walk(port, PAGE_URL, headers)
    return seconds, computed, first_reader


def queries_per_request(key: str, page_sizes: tuple[int, ...]) -> list[tuple[int, int, int, int]]:
    """(page_size, scorecards returned, SQL queries cold, SQL queries warm) for one request each,
    in-process: cold with this process's cache emptied first, warm the same request again."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kpi.selectors.scorecard_json import nearby
    from staff.models import ApiToken

    client = Client(headers={"Authorization": f"Token {key}"})
    client.get("/api/v1/scorecards/", {"page_size": 10}, secure=True)  # warm-up: the token's last use is recorded
    found = []
    for size in page_sizes:
        counts = []
        cache.clear()
        nearby.clear()
        for _round in ("cold", "warm"):
            # A token's use is recorded once a minute (staff.api): on a loaded machine a minute can pass
            # between two of these requests, and that write is not the page's cost.
            ApiToken.objects.update(last_used_at=timezone.now())
            with CaptureQueriesContext(connection) as captured:
                response = client.get("/api/v1/scorecards/", {"page_size": size}, secure=True)
            assert response.status_code == 200, response.content[:300]
            counts.append(len(captured.captured_queries))
        found.append((size, len(response.json()["results"]), *counts))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outlets", type=int, default=300)
    parser.add_argument(
        "--staff-per-outlet", type=int, default=3, help="staff scorecards too, so that a page of 1,000 is full"
    )
    parser.add_argument("--lines", type=int, default=15, help="lines per scorecard")
    parser.add_argument("--seconds", type=float, default=10, help="timed seconds per endpoint")
    parser.add_argument(
        "--redis",
        metavar="URL",
        default="",
        help="run the server with this REDIS_URL (the production shape: cache, request limit and wrong-token "
        "count in Redis) and a request limit too high to be reached, so that counting it is measured; the "
        "Redis database is emptied first",
    )
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "")
    on_postgres = base.startswith("postgres")
    scratch_dir = Path(tempfile.mkdtemp(prefix="bench_api_"))
    if on_postgres:
        recreate_database(base)
        os.environ["DATABASE_URL"] = scratch_url(base)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch_dir / 'bench.sqlite3'}"
    # Production settings for the server (and this process): DEBUG off, persistent connections; the
    # per-token throttle off, or the bench would measure the limit; no Redis (the cache is in-process).
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-api-scratch-database-only")
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["BEHIND_TLS_PROXY"] = "true"
    os.environ["API_THROTTLE_RATE"] = "10000000/min" if args.redis else ""
    if args.redis:
        os.environ["REDIS_URL"] = args.redis
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankops.settings")
    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise: no collectstatic, no static served
    server = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from branches.models import OrgUnit
        from staff.services import api_token_create

        started = time.perf_counter()
        if args.redis:
            from django.core.cache import cache

            cache.clear()  # the Redis database given is emptied: no scorecard of an earlier run is warm
        call_command("migrate", verbosity=0)
        outlet_ids, staff_ids = build_network(args.outlets, args.staff_per_outlet)
        cards = publish_day(outlet_ids, staff_ids, args.lines, random.Random(2026))
        _token, key = api_token_create(name="bench", unit=OrgUnit.objects.get(code="HQ"), scopes="read")
        # As in service: once a day is published the project analyses the tables its pages read
        # (kpi.services.runs.run_tables_analyze, on day_published), the units, staff and assignments included.
        from kpi.services.runs import run_tables_analyze

        run_tables_analyze(day=DAY)
        where = f"PostgreSQL {SCRATCH}" if on_postgres else "SQLite (temporary file)"
        print(
            f"{where}: {len(outlet_ids):,} outlets, {len(staff_ids):,} staff; {cards:,} month scorecards of "
            f"{DAY} with {args.lines} lines each; setup {time.perf_counter() - started:.0f}s"
        )

        print(f"machine load (os.getloadavg, 1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        port = free_port()
        server = start_server(port, scratch_dir / "gunicorn.log")
        if args.redis:
            print(f"gunicorn: 1 worker (gthread, 1 thread), 127.0.0.1:{port}, DEBUG off, REDIS_URL {args.redis}:")
            print("the cache, the request limit (counted, never reached) and the wrong-token count in Redis")
        else:
            print(f"gunicorn: 1 worker (gthread, 1 thread), 127.0.0.1:{port}, DEBUG off, no REDIS_URL: the fragment")
            print("cache is the worker's in-process locmem; one kept-alive connection, requests one after another")
        auth = {**HEADERS, "Authorization": f"Token {key}"}
        # Warm-up that fills no scorecard into the cache (fields= is not cached): imports, connections.
        requests_per_second(port, WARMUP_URL, auth, 1.0)
        cold_pages, walked = cold_walk(port, PAGE_URL, auth)
        cold_compact, _walked = cold_walk(port, COMPACT_URL, auth)
        print(f"cold pass: every page of the day once ({walked} pages, following `next`, none cached yet)")
        warmed = None
        if args.redis:
            # The day published again (a new run: none of its pages in the server's memory or the cache),
            # warmed as the worker does, then read by the running server.
            warmed = warmed_walk(port, auth, outlet_ids, staff_ids, args.lines)
        print(f"then {args.seconds:g}s per endpoint after 50 warm-up requests (the page repeated: from the cache)")
        page, page_bytes, page_reconnects = requests_per_second(port, PAGE_URL, auth, args.seconds)
        compact, compact_bytes, _reconnects = requests_per_second(port, COMPACT_URL, auth, args.seconds)
        trivial, trivial_bytes, trivial_reconnects = requests_per_second(port, TRIVIAL_URL, HEADERS, args.seconds)
        token_trivial, token_bytes, _reconnects = requests_per_second(port, TOKEN_TRIVIAL_URL, auth, args.seconds)
        for url, rate in ((PAGE_URL, cold_pages), (COMPACT_URL, cold_compact)):
            print(f"  cold GET {url:47} {rate:8.1f} pages/s (a page costs {trivial / rate:.1f} trivial requests)")
        if warmed:
            seconds, computed, first_reader = warmed
            print(
                f"  warmed ahead (kpi.selectors.scorecard_json.scorecards_warm, here in the bench's process as a worker"
                f" would): {computed:,} cards in {seconds:.1f}s ({seconds / computed * 100 * 1000:.0f} ms a hundred)"
            )
            print(
                f"  first reader after it: GET {PAGE_URL:32} {first_reader:8.1f} pages/s "
                f"(a page costs {trivial / first_reader:.1f} trivial requests)"
            )
        print(f"  warm GET {PAGE_URL:47} {page:8.1f} req/s  ({page_bytes / 1024:,.0f} KB a page)")
        print(f"  warm GET {COMPACT_URL:47} {compact:8.1f} req/s  ({compact_bytes / 1024:,.0f} KB a page)")
        print(f"       GET {TRIVIAL_URL:47} {trivial:8.1f} req/s  ({trivial_bytes} bytes)")
        print(f"       GET {TOKEN_TRIVIAL_URL:47} {token_trivial:8.1f} req/s  ({token_bytes} bytes, with the token)")
        if page_reconnects or trivial_reconnects:
            print(f"  (connections reopened while timing: {page_reconnects} and {trivial_reconnects})")
        print(f"  warm: a page costs {trivial / page:.1f} trivial requests (compact: {trivial / compact:.1f})")
        print(f"machine load after timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        print("SQL queries per request (in-process, Django test client; cold: cache emptied, warm: again):")
        counts = queries_per_request(key, (10, 100, 1000))
        for size, returned, cold_queries, warm_queries in counts:
            print(f"  page_size={size:<5} {returned:5,} scorecards  {cold_queries} queries cold, {warm_queries} warm")
        equal = len({(cold_queries, warm_queries) for _size, _returned, cold_queries, warm_queries in counts}) == 1
        print(f"  the same for every page size: {'yes' if equal else 'NO'}")
        if not equal:
            sys.exit(1)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if on_postgres:
            from django.db import connections

            connections.close_all()
            drop_database(base)
        shutil.rmtree(scratch_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
