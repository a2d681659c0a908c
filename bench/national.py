"""A national day fanned out over Celery workers (issue 21, kpi.services.fanout).

    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/national.py --outlets 40000 --staff 400000

Builds a synthetic network in a scratch PostgreSQL database (`bankops_bench_national` on the server of
$DATABASE_URL) with bench/rollup.py's generators (units through the real import, staff in bulk, facts by
COPY), an outlet template (customers served against a month target) and a staff template for every post
(mobile banking sign-ups, points), so that every outlet and staff card is scored and ranked.

Then it starts real `celery -A bankops worker -c N` processes against Redis and that database and rolls
up: day 1 from scratch (2 workers), then day 2, chained from day 1, with 1 and with 2 worker processes.
For each it prints the time of every step (plan, the parts as a whole and each part's spread, the upper
levels, the network ranks, the publication), the peak memory of each worker process, the lines written
per second, the machine's load average, and the speed-up of 2 workers over 1.

`--kill` also kills one worker process in the middle of a part of the 2-worker run: the part is seen
dead (its heartbeat older than RUN_STALE_AFTER, set to 30 s here), run again, and the day published
whole.

Latest at full size (3 December 2026, 23:23-23:55, a quiet machine: 2 cores, nothing else running; 134
parts, 8.24 M facts, 2.2 M scorecards and 52 M lines a day): setup 150 s; day 1 from scratch with 2
worker processes 312 s, day 2 chained with 1 696 s, with 2 513 s (1.36x; the parts alone 1.24x); network
ranks 18-20 s, publication under 1.1 s; 434-471 MB a worker process (README, "A national day").

Again (4 December 2026, 17:55-18:35, quiet, after the binary COPY and the running totals kept by run): day 1
326 s with 2 workers, day 2 chained 895 s with 1 and 698 s with 2 (1.28x), 377-405 MB a worker; the chained
parts are slower since the running totals are kept by run: each reads the day before's through all 133 of
its tables, 1.9-2.8 s a part (README, "The national day again").

Fixed (4 December 2026, 19:25-20:45, quiet; each chained part reads only the tables of the parts that held
its holders, kpi.services.fanout._SlotsHolding), alternated with the code before on one database: day 1
232 s, day 2 chained with 1 worker 441 and 464 s (before 650 s), with 2 314.5 and 333 s (before 520 s),
1.39-1.40x; 377-404 MB a worker (README, "The chained parts read only the tables that hold their holders").
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCRATCH = "bankops_bench_national"
DAY1, DAY2 = datetime.date(2026, 3, 2), datetime.date(2026, 3, 3)


def scratch_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{SCRATCH}", "", ""))


def recreate_database(base: str) -> None:
    import psycopg2

    parts = urlsplit(base)
    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres", password=parts.password,
        dbname="postgres",
    )  # fmt: skip
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{SCRATCH}"')
    connection.close()


def scoring_setup(outlet_ids: list[int], day: datetime.date) -> None:
    """A template for outlets and one for every post, and a month target of customers served per outlet."""
    from decimal import Decimal

    from kpi.models import LineKind, Metric, ScorecardTemplate, Target, TemplateLine
    from lib.periods import PeriodKind, period_of
    from staff.models import Post

    served = Metric.objects.get(code="customers_served")
    signups = Metric.objects.get(code="mobile_banking_signups")
    outlets = ScorecardTemplate.objects.create(
        code="B-OUTLET", name_zh="网点考核", subject="outlet", effective_from=datetime.date(2026, 1, 1)
    )
    TemplateLine.objects.create(template=outlets, metric=served, kind=LineKind.WEIGHTED, weight=100, sort_order=0)
    for post in Post.objects.all():
        staff = ScorecardTemplate.objects.create(
            code=f"B-{post.code}", name_zh=post.code, subject="staff", effective_from=datetime.date(2026, 1, 1)
        )
        TemplateLine.objects.create(
            template=staff, metric=signups, kind=LineKind.POINTS, points_per_unit=1, sort_order=0
        )
        staff.posts.add(post)
    month = period_of(PeriodKind.MONTH, day)
    Target.objects.bulk_create(
        [
            Target(
                unit_id=unit_id,
                metric=served,
                period_kind="month",
                period_start=month.start,
                period_end=month.end,
                period=f"{month.start:%Y-%m}",
                value=Decimal(900),
            )
            for unit_id in outlet_ids
        ],
        batch_size=5000,
    )


class Workers:
    """`celery -A bankops worker -c N` subprocesses against the scratch database and Redis."""

    def __init__(self, concurrency: int, env: dict) -> None:
        self.log = Path(f"/tmp/bench_national_worker_c{concurrency}.log")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bankops", "worker", "-c", str(concurrency), "--pool=prefork",
             "--without-gossip", "--without-mingle", "-l", "warning", "-n", f"national-c{concurrency}@%h"],
            cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def children(self) -> list[int]:
        found = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in found.split()]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def roll(day: datetime.date, concurrency: int, env: dict, *, kill: bool = False) -> dict:
    """Roll `day` up through `concurrency` worker processes; the figures of each step."""
    from kpi.models import RollupFanout, RollupPart, RollupRun
    from kpi.services import fanout
    from kpi.tasks import fanout_dispatch

    workers = Workers(concurrency, env)
    time.sleep(8)  # the workers' start (Django set-up), not measured
    loads = [os.getloadavg()]
    began = time.perf_counter()
    plan = fanout.plan(day=day)
    planned = time.perf_counter() - began
    fanout_dispatch(plan.pk)
    killed = None
    while True:
        status = RollupRun.objects.filter(pk=plan.run_id).values_list("status", flat=True).get()
        if status in ("published", "failed"):
            break
        if kill and killed is None:
            running = RollupPart.objects.filter(fanout=plan, status="running").exclude(worker="").first()
            if running and running.unit_id is not None:
                pid = int(running.worker.rsplit(":", 1)[1])
                if pid in workers.children():
                    time.sleep(1.0)  # well inside the part
                    os.kill(pid, signal.SIGKILL)
                    killed = (running.pk, pid)
        loads.append(os.getloadavg())
        time.sleep(0.5)
    wall = time.perf_counter() - began
    workers.stop()
    fanout_row = RollupFanout.objects.get(pk=plan.pk)
    run = RollupRun.objects.get(pk=plan.run_id)
    parts = list(fanout_row.parts.all())
    first_start = min(p.started_at for p in parts if p.started_at)
    last_end = max(p.finished_at for p in parts if p.finished_at)
    by_worker: dict[str, int] = {}
    for part in parts:
        by_worker[part.worker] = max(by_worker.get(part.worker, 0), part.peak_rss_kb or 0)
    return {
        "day": day, "workers": concurrency, "status": run.status, "message": run.message, "wall": wall,
        "plan": planned, "parts_wall": (last_end - first_start).total_seconds(), "parts": parts,
        "timings": fanout_row.timings, "peak_mb": {w: kb / 1024 for w, kb in by_worker.items()},
        "lines": run.lines, "scorecards": run.scorecards, "killed": killed,
        "load": max(load[0] for load in loads), "load_end": os.getloadavg(),
    }  # fmt: skip


def report(figures: dict) -> None:
    parts = figures["parts"]
    seconds = sorted(p.seconds for p in parts if p.seconds)
    writes = sum(p.write_seconds or 0 for p in parts)
    part_lines = sum(p.lines for p in parts)
    print(f"\nday {figures['day']} with {figures['workers']} worker process(es): {figures['status']} "
          f"{figures['message']}".rstrip())  # fmt: skip
    print(f"  {figures['scorecards']:,} scorecards, {figures['lines']:,} lines; wall {figures['wall']:.1f}s")
    print(f"  plan {figures['plan']:.2f}s")
    print(
        f"  parts: {len(parts)} in {figures['parts_wall']:.1f}s (first start → last done); each "
        f"min {seconds[0]:.2f}s, median {seconds[len(seconds) // 2]:.2f}s, max {seconds[-1]:.2f}s, "
        f"sum {sum(seconds):.1f}s, of which writing {writes:.1f}s"
    )
    timings = figures["timings"]
    print(
        f"  upper levels {timings.get('upper', 0):.2f}s, network ranks {timings.get('ranks', 0):.2f}s, "
        f"publish {timings.get('publish', 0):.2f}s"
    )
    if writes:
        print(f"  lines written per second of COPY (per worker, parts' write time): {part_lines / writes:,.0f}")
    print("  peak memory per worker process: " + ", ".join(f"{w} {mb:,.0f} MB" for w, mb in figures["peak_mb"].items()))
    print(f"  load average: max 1-min {figures['load']:.2f} during, {figures['load_end']} at the end")
    if figures["killed"]:
        part_id, pid = figures["killed"]
        attempts = next(p.attempts for p in parts if p.pk == part_id)
        print(f"  killed worker process {pid} in part {part_id}: rerun, {attempts} attempts, day {figures['status']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outlets", type=int, default=40000)
    parser.add_argument("--staff", type=int, default=400000)
    parser.add_argument("--kill", action="store_true", help="kill a worker process mid-part in the 2-worker run")
    parser.add_argument("--reuse", action="store_true", help="keep the network of the last run (skip setup)")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("bench/national.py needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)")
    if not args.reuse:
        recreate_database(base)
    os.environ["DATABASE_URL"] = scratch_url(base)
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankops.settings")
    os.environ["SCORECARD_RETENTION_DAYS"] = "100000"
    os.environ["RUN_STALE_AFTER"] = "30" if args.kill else os.environ.get("RUN_STALE_AFTER", "600")
    os.environ["FANOUT_FINISH_RETRY"] = "5"
    import django

    django.setup()
    import redis
    from django.core.management import call_command

    from bench.rollup import build_network, write_facts
    from kpi.models import Fact
    from lib import bulk

    # The bench's own Redis database: no message of an earlier run left behind.
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()

    started = time.perf_counter()
    if not args.reuse:
        call_command("migrate", verbosity=0)
        rng = random.Random(2026)
        outlet_ids, pairs = build_network(args.outlets, args.staff, rng)
        scoring_setup(outlet_ids, DAY1)
        facts = write_facts([DAY1, DAY2], outlet_ids, pairs, rng)
        bulk.analyze(Fact)
        print(f"network: {args.outlets:,} outlets, {args.staff:,} staff; {facts // 2:,} facts a day; "
              f"setup {time.perf_counter() - started:.0f}s")  # fmt: skip
    env = {**os.environ}
    runs = [roll(DAY1, 2, env)]
    report(runs[0])
    one = roll(DAY2, 1, env)
    report(one)
    two = roll(DAY2, 2, env, kill=args.kill)
    report(two)
    print(
        f"\nspeed-up of 2 worker processes over 1 (day 2, plan to publication): {one['wall'] / two['wall']:.2f}× "
        f"({one['wall']:.1f}s → {two['wall']:.1f}s); parts alone {one['parts_wall'] / two['parts_wall']:.2f}×"
    )
    print(f"machine: {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
