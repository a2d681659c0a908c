"""Page benchmark: the time of a signed-in page, in-process with Django's test client, and its SQL queries.

    .venv/bin/python bench/pages.py [--outlets 300] [--rounds 200] [--keep] [--reuse]

1. Builds the network of bench/api.py (units and staff through the CSV import services, the day's
   published month scorecards) in a scratch database, `bankops_bench_pages` on the PostgreSQL server of
   $DATABASE_URL (or $BENCH_DATABASE), or a SQLite file without a postgres:// URL. --keep leaves it
   there and --reuse times against it without building it again: two checkouts (before and after a
   change) can then be timed in turn against the same rows.
2. Two logins: the unit manager of a sub-branch (lands on the overview of their unit) and the outlet
   head of an outlet (lands on the outlet's scorecard). Each has alerts waiting (the header badge counts
   them on every page).
3. For each page: 10 warm-up requests, then --rounds requests one after another: ms per page (median and
   mean) and the SQL queries of one request. Production settings (DEBUG off); the cache is this
   process's locmem (no REDIS_URL), as in bench/api.py.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE", "bankops_bench_pages")

from bench import api as network_bench  # noqa: E402  (after the scratch database's name is set)

ALERTS_EACH = 3


def add_logins_and_alerts() -> dict[str, object]:
    """The unit manager of S0000 and the outlet head of O00000, ALERTS_EACH open alerts each."""
    import datetime

    from alerts.models import Alert, AlertRule
    from branches.models import OrgUnit
    from staff.models import User

    manager, _made = User.objects.get_or_create(
        username="bench.manager", defaults={"role": "unit_manager", "unit": OrgUnit.objects.get(code="S0000")}
    )
    head, _made = User.objects.get_or_create(
        username="bench.head", defaults={"role": "outlet_head", "unit": OrgUnit.objects.get(code="O00000")}
    )
    rule = AlertRule.objects.order_by("pk").first()
    if rule is not None and not Alert.objects.filter(owner__in=[manager, head]).exists():
        # One active alert per rule, unit and metric: each on an outlet of its own.
        outlets = iter(OrgUnit.objects.filter(kind="outlet").order_by("code"))
        for owner in (manager, head):
            for day in range(ALERTS_EACH):
                opened_on = network_bench.DAY - datetime.timedelta(days=day)
                Alert.objects.create(
                    rule=rule, unit=next(outlets), owner=owner, opened_on=opened_on, last_seen_on=network_bench.DAY
                )
    return {"unit manager, overview (/)": (manager, "/"), "outlet head, scorecard (/scorecard/)": (head, "/scorecard/")}


def time_page(user, url: str, rounds: int) -> tuple[float, float, int, int]:
    """(median ms, mean ms, SQL queries of one request, status)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    for _ in range(10):
        response = client.get(url, secure=True)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, secure=True)
    queries = len(captured.captured_queries)  # now: the next request's start empties the connection's log
    took = []
    for _ in range(rounds):
        began = time.perf_counter()
        client.get(url, secure=True)
        took.append((time.perf_counter() - began) * 1000)
    return statistics.median(took), statistics.fmean(took), queries, response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outlets", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="leave the scratch database for a --reuse")
    parser.add_argument("--reuse", action="store_true", help="time against the database a --keep left")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "")
    on_postgres = base.startswith("postgres")
    scratch_dir = Path(tempfile.mkdtemp(prefix="bench_pages_"))
    if on_postgres:
        if not args.reuse:
            network_bench.recreate_database(base)
        os.environ["DATABASE_URL"] = network_bench.scratch_url(base)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch_dir / 'bench.sqlite3'}"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-pages-scratch-database-only")
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["BEHIND_TLS_PROXY"] = "true"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankops.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # not axes' line for every sign-in
    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise: no collectstatic
    try:
        import random

        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        # Static files by their plain names, as under DEBUG: the manifest's would need a collectstatic.
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }

        if not args.reuse:
            call_command("migrate", verbosity=0)
            outlet_ids, staff_ids = network_bench.build_network(args.outlets, 3)
            network_bench.publish_day(outlet_ids, staff_ids, 15, random.Random(2026))
        pages = add_logins_and_alerts()
        print(f"{network_bench.SCRATCH}: {args.outlets} outlets, month scorecards of {network_bench.DAY}")
        print(f"machine load (os.getloadavg, 1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for label, (user, url) in pages.items():
            median, mean, queries, status = time_page(user, url, args.rounds)
            print(f"  {label:40} {median:7.1f} ms median, {mean:7.1f} mean ({args.rounds} rounds), {queries} queries")
            if status != 200:
                sys.exit(f"{url} answered {status}")
        print(f"machine load after timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if on_postgres and not args.keep:
            from django.db import connections

            connections.close_all()
            network_bench.drop_database(base)
        shutil.rmtree(scratch_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
