"""Rollup benchmark: seconds per rolled-up day and peak memory at the scale of a province.

    .venv/bin/python bench/rollup.py --outlets 3000 --staff 30000 --days 300

Builds a synthetic network in a scratch PostgreSQL database (`bankops_bench_rollup` on the server of
$DATABASE_URL, default postgres://postgres@127.0.0.1:5432/), writes facts for every outlet (each base
metric of the catalog) and every staff member (each staff metric) and rolls the days up in order.

To compare day 300 with day 10 without loading 300 days of facts, facts are written for days 1–10 and
for the last ten days only (`--timed N`: N days at each end instead of ten): day 1 is rebuilt from
scratch, days 2–10 chain from the day before (timed);
the day before the last ten is rebuilt from scratch (untimed, it folds the empty days between); the
last ten days chain again (timed). A chained day reads the previous day's running totals and its own
facts only, so its cost should not depend on how far into the year it is: the ratio shows it.

After each rollup the day's alert evaluation runs and is timed on its own (as alerts' worker would run
it); each line prints rollup (and of it "writing": from the write to the publication's commit and what
follows it) + alerts, the peak RSS and the machine's load average.

    --templates   the demo's scorecard templates and a month target for every outlet (each metric its
                  template weighs) and staff member (the metrics of their post): scoring is measured
    --reroll      at the end, the last day rolled up again after a late fact, timed (the superseded
                  run's lines: kpi.partitions)
    --profile F   cProfile of the timed days (rollup and alerts) written to F (pstats); the CPU time
                  of what the profile covers is printed, a figure the machine's load moves less
    --checksums   at the end, the SHA-256 of the COPY text of the published scorecards, their lines,
                  the running totals and the alerts (ids, runs and clocks left out, rows in the order
                  of their columns): two versions of the code that give the same figures print the same

Latest (5 December 2026, 00:08-00:27, load 1.2-1.7, --days 300 --timed 10 --templates --reroll, one run;
on this machine /healthz/ of bench/api.py is slower than the evening before, yet this runs faster): October
days 291-300 23.2-24.6 s, mean 23.9 s (writing 12.2-12.8 s, alerts 1.4-2.2 s), January days 2-10 mean 17.6 s,
day 300 / day 10 = 1.25, the re-roll 22.7 s, own peak 1,851 MB.

Before (4 December 2026, 16:43-17:45, a quiet and faster machine than the morning's, load 1.2-1.8,
--days 300 --timed 10 --templates --reroll, the rows COPYed in binary, two runs alternated with two of the
code before): October days 291-300 25.0-30.7 s, means 28.1 and 26.6 s (writing means 14.9 and 14.6 s),
January days 2-10 means 21.9 and 20.2 s, day 300 / day 10 = 1.29 and 1.18, the re-roll 30.5 and 30.2 s,
own peak 1,851-1,858 MB. The code before, the same hour: October means 31.3 and 28.4 s (writing 18.5, 16.8 s).

Earlier (4 December 2026, 05:03-05:27, load 1.3-1.8, same arguments, after the running totals kept by run
and the lines without a primary key): October days 291-300 32.0-44.8 s, mean 38.9 s (writing 19.7-26.2 s),
January days 2-10 mean 27.8 s, day 300 / day 10 = 1.16, own peak 1,845 MB.
Side by side with the code before (--timed 2, six runs alternated): October median 46.7 -> 38.7 s.

Before (4 December 2026, 01:12-01:54, quiet, load 1.2-1.8, --days 300 --timed 2 --templates --reroll;
this session's machine is slower than the night before's): after the computing changes of README "The
computing of a province day", October days 299-300 39.6-51.2 s (two runs; rollup 36.9-47.3 s, writing
25.1-29.5 s, + alerts 2.4-3.9 s), own peak 1,818-1,842 MB, day 300 / day 2 1.25 and 1.38, this process's CPU
17.3-22.4 s; the code before, on the same machine the same hour: 60.3-60.6 s, 2,361-2,404 MB, CPU
30.7-31.5 s. Two later runs (sequences' cache, facts read in one COPY): October 41.7-44.7 s, own peak
1,835-1,849 MB, day 300 / day 2 1.33 and 1.46 (the server's writing moves by 5 s from run to run).
A tenth (--outlets 300 --staff 3000 --days 40 --timed 2 --templates --checksums): the same
SHA-256 of every table, CPU 2.88 -> 1.68 s.

Before (3 December 2026, night, a quiet machine: load 1.1-2.1, nothing else running; --templates): the
province (--outlets 3000 --staff 30000) in January (--days 7 --timed 3 --reroll) 27.15 s = 25.82 s +
1.33 s a chained day, the re-roll 28.15 s, 1,891 MB; late in the year (--days 300 --timed 3 --reroll)
days 298-300 38.28, 38.70, 40.37 s (rollup 36.6-38.6 s, writing 21.1-22.1 s, + alerts 1.7-1.8 s), day
300 / day 3 = 1.58, the re-roll 39.92 s. October writes the comparison days' running totals that January
has none of (1.85 M rows, 5.0 s) and aggregates their values: the late days are the steady state, and
the goal (<= 30 s) is not met there (README, "A province day late in the year"). Each day's own peak is
printed since (it was 3.04-3.05 GB in October: the comparisons aggregated every earlier day at once); after
they aggregate one day at a time (--days 300 --timed 2 --reroll, 00:09): October 36.66 and 35.62 s, own
peak 2,361 and 2,309 MB, day 300 / day 2 = 1.39, the re-roll 36.43 s; January day 2 25.67 s, 1,842 MB.

Figures (3 December 2026, evening, 2 cores shared with other engineers' test suites; 50 metrics in the
catalog, so 4.0 M lines a province day), since each run's lines go into a table of their own, COPYed
bare and indexed before it is attached (kpi.partitions): the province (--outlets 3000 --staff 30000
--days 7 --timed 3 --reroll), mean of 5 chained days 54.9 s = rollup 49.6 s + alerts 5.3 s at a load of
3.4-4.6 (41.1-73.5 s a day), day 7 / day 3 = 1.48 (the load's spread), the last day rolled up again
74.3 s, peak RSS 1,788 MB: the time goal (<= 30 s) is not met, the memory goal (<= 2 GB) is. A tenth
(--outlets 300 --staff 3000 --days 12 --timed 3 --reroll), two runs side by side with the code before:
9.56 s = 8.77 s + 0.78 s (load 3.2-3.9) against 8.32 s = 7.64 s + 0.68 s (load 2.7-3.4), no gain a
tenth's chained day shows through the load; the day rolled up again 5.6 s against 19.6 s (writing 3.9
against 17.2 s). With --templates: 17.01 s = 13.44 s + 3.57 s (load 4.5-5.1) against 13.25 s = 10.98 s +
2.27 s (load 3.6-4.0), the re-roll 14.1 s against 23.0 s; peak RSS 516 MB.
Since scoring is set-based and the alerts still seen are updated in one statement (3 December, night), a
tenth with --templates (--outlets 300 --staff 3000 --days 6 --timed 2 --templates), side by side with
the code before, no --profile: 7.06 s = rollup 6.65 s + alerts 0.42 s a chained day (load 7.2-7.5)
against 8.93 s = 7.15 s + 1.79 s (load 7.4-8.0); this process's CPU 1.58 s + 0.08 s against 1.66 s +
0.51 s; peak RSS 419 MB against 513 MB; --checksums the same. Again at load 4.3-4.7: 5.33 s = 4.93 s +
0.40 s against 7.92 s = 6.49 s + 1.43 s, CPU 1.57 s + 0.09 s against 1.95 s + 0.60 s; without --templates
7.34 s = 6.87 s + 0.47 s, CPU 1.43 s + 0.08 s: the templates now add about 0.15 s of CPU to a tenth's day.
Under --profile the CPU of code of many small Python calls is inflated (the alerts before, bulk_update
most of it: 4.1-4.4 s of a profiled day against 0.5-0.6 s unprofiled): compare unprofiled CPU. The province with
--templates (--days 5 --timed 2): 60.01 s = rollup 57.29 s + alerts 2.72 s a chained day (load 4.4-5.2),
CPU 19.90 s + 0.50 s, peak RSS 1,873 MB, against 75.47 s = 56.29 s + 19.18 s (load 3.9-4.1), CPU 21.24 s +
6.73 s, 3,483 MB before (the alerts' bulk_update grew with the square of the alerts still seen).
Before (afternoon): the province 115.5 s = rollup 108.6 s + alerts 6.9 s a chained day at a load of
2.9-6.1, 1,791 MB (README, "Rollup of a province day").
Before issue 21 (idle machine, 1.75 M lines a day then): 40-45 s rollup + 28-39 s alerts a chained
province day, 1.4-1.7 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime
import io
import os
import random
import resource
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The scratch database's name; --database changes it (two people benchmarking on one server).
SCRATCH = os.environ.get("BENCH_ROLLUP_DATABASE", "bankops_bench_rollup")


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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def day_peak_reset() -> bool:
    """Start a new peak of this process's resident memory (Linux: VmHWM, reset by writing 5 to
    /proc/self/clear_refs), so a chained day's peak is its own, not that of a from-scratch rebuild before
    it (ru_maxrss only ever grows). The memory freed before is handed back to the system first (glibc's
    malloc_trim), or the new peak would start from what the allocator kept. False where that is not
    possible."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def own_peak_text(resettable: bool, at_start: float | None) -> str:
    """The day's own peak and the resident memory it started from, as " (this day N MB from M MB)"."""
    own_peak = day_peak_mb()
    return f" (this day {own_peak:,.0f} MB from {at_start:,.0f} MB)" if resettable and own_peak and at_start else ""


def _status_mb(field: str) -> float | None:
    """A memory figure of /proc/self/status (VmRSS: now; VmHWM: the peak since day_peak_reset), in MB, or
    None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def resident_mb() -> float | None:
    return _status_mb("VmRSS")


def day_peak_mb() -> float | None:
    return _status_mb("VmHWM")


def build_network(outlets: int, staff: int, rng: random.Random) -> tuple[list[int], list[tuple[int, int]]]:
    """Units through the real import; staff and assignments in bulk. Returns outlet ids and
    (staff id, outlet id) pairs."""
    from branches.models import OrgUnit
    from branches.services import units_import
    from lib.csvimport import CsvRow
    from staff.models import Assignment, Post, StaffMember

    rows = [CsvRow(2, {"code": "HQ", "parent": "", "name_zh": "总行", "kind": "hq"})]
    branches = max(1, outlets // 300)
    sub_branches = max(1, outlets // 12)
    for b in range(branches):
        rows.append(CsvRow(0, {"code": f"B{b:02d}", "parent": "HQ", "name_zh": f"分行{b}", "kind": "branch"}))
    for s in range(sub_branches):
        rows.append(
            CsvRow(
                0, {"code": f"S{s:04d}", "parent": f"B{s % branches:02d}", "name_zh": f"支行{s}", "kind": "sub_branch"}
            )
        )
    for o in range(outlets):
        outlet = {
            "code": f"O{o:05d}",
            "parent": f"S{o % sub_branches:04d}",
            "name_zh": f"网点{o}",
            "kind": "outlet",
            "area": rng.choice(["urban", "county", "township"]),
            "format": rng.choice(["full", "light", "smart"]),
        }
        rows.append(CsvRow(0, outlet))
    units_import(rows=rows)
    outlet_ids = list(OrgUnit.objects.filter(kind="outlet").order_by("code").values_list("id", flat=True))

    posts = list(Post.objects.values_list("id", flat=True))
    StaffMember.objects.bulk_create(
        [StaffMember(code=f"P{i:06d}", name=f"员工{i}") for i in range(staff)], batch_size=5000
    )
    staff_ids = list(StaffMember.objects.order_by("code").values_list("id", flat=True))
    pairs = [(staff_id, outlet_ids[i % len(outlet_ids)]) for i, staff_id in enumerate(staff_ids)]
    Assignment.objects.bulk_create(
        [Assignment(staff_id=s, unit_id=u, post_id=posts[i % len(posts)], start=datetime.date(2020, 1, 1))
         for i, (s, u) in enumerate(pairs)],
        batch_size=5000,
    )  # fmt: skip
    return outlet_ids, pairs


def write_facts(days: list[datetime.date], outlet_ids, pairs, rng: random.Random) -> int:
    """COPY the facts of these days straight into the table (setup, not what is measured)."""
    from django.db import connection

    from kpi.models import Fact, Metric

    metrics = list(Metric.objects.filter(aggregation__in=["sum", "last"]).values_list("id", "level", "aggregation"))
    outlet_metrics = [(m, kind) for m, level, kind in metrics if level in ("outlet", "both")]
    staff_metrics = [(m, kind) for m, level, kind in metrics if level in ("staff", "both")]
    total = 0
    with connection.cursor() as cursor:
        for day in days:
            buffer = io.StringIO()
            for unit_id in outlet_ids:
                for metric_id, kind in outlet_metrics:
                    value = rng.randint(1000, 90000) if kind == "last" else rng.randint(0, 60)
                    buffer.write(f"{day},{unit_id},,{metric_id},{value},{day}T00:00:00+00:00\n")
                    total += 1
            for staff_id, unit_id in pairs:
                for metric_id, kind in staff_metrics:
                    value = rng.randint(50, 900) if kind == "last" else rng.randint(0, 8)
                    buffer.write(f"{day},{unit_id},{staff_id},{metric_id},{value},{day}T00:00:00+00:00\n")
                    total += 1
            buffer.seek(0)
            cursor.cursor.copy_expert(
                f'COPY "{Fact._meta.db_table}" (date, unit_id, staff_id, metric_id, value, updated_at) '
                "FROM STDIN WITH (FORMAT csv, NULL '')",
                buffer,
            )
    return total


def write_templates_and_targets(days: list[datetime.date], outlet_ids, pairs, rng: random.Random) -> int:
    """The demo's scorecard templates (outlets by area, staff by post: demo.scorecard_templates), and a
    month target of each month of `days` for every outlet on each metric its template weighs and for
    every staff member on the metrics of their post's (demo.facts.STAFF_TARGETS): so the bench scores
    as the demo does. Targets are COPYed straight into the table (setup). Returns the targets written."""
    from django.db import connection

    from demo.facts import STAFF_TARGETS
    from demo.scorecard_templates import OUTLET_TEMPLATES, seed_templates
    from kpi.models import Metric, Target
    from lib.periods import PeriodKind, period_of
    from staff.models import Assignment

    seed_templates(effective_from=days[0])
    metric_ids = dict(Metric.objects.values_list("code", "id"))
    weighed = sorted({line.metric for plan in OUTLET_TEMPLATES for line in plan.lines if line.weight})
    post_of = dict(Assignment.objects.values_list("staff_id", "post__code"))
    months = sorted({period_of(PeriodKind.MONTH, day) for day in days}, key=lambda month: month.start)
    buffer = io.StringIO()
    written = 0
    for month in months:
        when = f"month,{month.start},{month.end},{month.start:%Y-%m}"
        stamp = f"{month.start}T00:00:00+00:00"
        for unit_id in outlet_ids:
            for code in weighed:
                buffer.write(f"{unit_id},,{metric_ids[code]},{when},{rng.randint(200, 2000)},{stamp}\n")
                written += 1
        for staff_id, _unit_id in pairs:
            for code in STAFF_TARGETS.get(post_of.get(staff_id, ""), ()):
                buffer.write(f",{staff_id},{metric_ids[code]},{when},{rng.randint(20, 200)},{stamp}\n")
                written += 1
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f'COPY "{Target._meta.db_table}" (unit_id, staff_id, metric_id, period_kind, period_start, period_end, '
            "period, value, updated_at) FROM STDIN WITH (FORMAT csv, NULL '')",
            buffer,
        )
    return written


class _Digest:
    """A file COPY TO writes into: hashed as it comes, never held whole."""

    def __init__(self) -> None:
        import hashlib

        self.digest = hashlib.sha256()
        self.rows = 0

    def write(self, chunk: bytes | str) -> None:
        data = chunk.encode() if isinstance(chunk, str) else chunk
        self.digest.update(data)
        self.rows += data.count(b"\n")


def table_checksums() -> dict[str, str]:
    """SHA-256 of each result table's COPY text: every column but ids, run ids and clocks, ordered by all
    of them (so the order rows were written in does not enter); a line is keyed by its scorecard's key."""
    from django.db import connection

    from alerts.models import Alert
    from kpi.models import RollupRun, RollupState, Scorecard, ScorecardLine

    def columns(model, alias: str) -> list[str]:
        left_out = {"id", "run_id", "scorecard_id"}
        return [
            f"{alias}.{field.column}"
            for field in model._meta.concrete_fields
            if field.column not in left_out and not field.column.endswith("_at")
        ]

    published = f"SELECT id FROM {RollupRun._meta.db_table} WHERE status = 'published'"
    card = columns(Scorecard, "s")
    card_key = ["s.date", "s.period", "s.period_start", "s.unit_id", "s.staff_id"]
    selects = {
        "scorecards": (card, f"{Scorecard._meta.db_table} s WHERE s.run_id IN ({published})"),
        "lines": (
            card_key + columns(ScorecardLine, "l"),
            f"{ScorecardLine._meta.db_table} l JOIN {Scorecard._meta.db_table} s"
            f" ON s.id = l.scorecard_id AND s.date = l.date WHERE s.run_id IN ({published})",
        ),
        "running totals": (
            columns(RollupState, "t"),
            f"{RollupState._meta.db_table} t WHERE t.run_id IN ({published})",
        ),
        "alerts": (columns(Alert, "a"), f"{Alert._meta.db_table} a"),
    }
    sums = {}
    with connection.cursor() as cursor:
        for name, (names, source) in selects.items():
            order = ", ".join(str(i + 1) for i in range(len(names)))
            sink = _Digest()
            query = f"COPY (SELECT {', '.join(names)} FROM {source} ORDER BY {order}) TO STDOUT"
            cursor.cursor.copy_expert(query, sink)
            sums[name] = f"{sink.digest.hexdigest()} ({sink.rows:,} rows)"
    return sums


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outlets", type=int, default=3000)
    parser.add_argument("--staff", type=int, default=30000)
    parser.add_argument("--days", type=int, default=300, help="the last day rolled up (day 1 = 1 January)")
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--database", default=SCRATCH, help="the scratch database (dropped and created again)")
    parser.add_argument(
        "--timed", type=int, default=10, help="days timed at each end (at least 2: day 1 is rebuilt from scratch)"
    )
    parser.add_argument(
        "--templates",
        action="store_true",
        help="the demo's scorecard templates and a month target for every outlet and staff member (scoring measured)",
    )
    parser.add_argument(
        "--reroll", action="store_true", help="at the end, roll the last day up again (a late fact) and time it"
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile of the timed days (rollup and alerts) into FILE")
    parser.add_argument(
        "--checksums", action="store_true", help="at the end, the SHA-256 of the COPY text of the result tables"
    )
    args = parser.parse_args()
    globals()["SCRATCH"] = args.database
    if args.timed < 2:
        parser.error("--timed must be at least 2 (day 1 is rebuilt from scratch, day 2 chains)")
    if args.days < 2 * args.timed + 1:
        parser.error(f"--days must be at least {2 * args.timed + 1} ({args.timed} timed days at each end)")

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith("postgres"):
        sys.exit("bench/rollup.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    recreate_database(base)
    os.environ["DATABASE_URL"] = scratch_url(base)
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankops.settings")
    # Keep every day's scorecards: the bench measures the full write.
    os.environ["SCORECARD_RETENTION_DAYS"] = "100000"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import F

    from alerts.receivers import evaluate_published_day
    from alerts.services.catch_up import alerts_evaluate_recorded
    from kpi.models import RollupRun
    from kpi.services import rollup
    from kpi.signals import day_published

    # The alert evaluation the published day queues (alerts.receivers) is run and timed on its own, after
    # the rollup, as the worker would: the rollup's time is the rollup's alone.
    day_published.disconnect(evaluate_published_day, dispatch_uid="alerts.evaluate_published_day")

    call_command("migrate", verbosity=0)
    rng = random.Random(2026)
    started = time.perf_counter()
    outlet_ids, pairs = build_network(args.outlets, args.staff, rng)
    first = datetime.date(args.year, 1, 1)
    early = [first + datetime.timedelta(days=i) for i in range(args.timed)]
    late = [first + datetime.timedelta(days=args.days - args.timed + i) for i in range(args.timed)]
    facts = write_facts(early + late, outlet_ids, pairs, rng)
    targets = write_templates_and_targets(early + late, outlet_ids, pairs, rng) if args.templates else 0
    setup = time.perf_counter() - started
    scoring = f"the demo's templates, {targets:,} month targets" if args.templates else "no templates nor targets"
    print(
        f"network: {args.outlets} outlets, {args.staff} staff; {facts // (2 * args.timed):,} facts a day;"
        f" {scoring}; setup {setup:.0f}s"
    )

    profiler = None
    if args.profile:
        import cProfile

        # Timed in this process's CPU seconds: what the server and the other processes of the machine
        # do is left out, so two runs at different loads compare.
        profiler = cProfile.Profile(time.process_time)

    def timed(day: datetime.date) -> float:
        if profiler is not None:
            profiler.enable()
        try:
            return timed_day(day)
        finally:
            if profiler is not None:
                profiler.disable()

    def timed_day(day: datetime.date) -> float:
        resettable = day_peak_reset()
        at_start = resident_mb()
        began, cpu_began = time.perf_counter(), time.process_time()
        marks: dict[int, float] = {}

        def progress(percent: int, message: str) -> None:
            marks.setdefault(percent, time.perf_counter())

        run = rollup.rollup_day(day=day, today=late[-1], progress=progress)
        rolled, rolled_cpu = time.perf_counter() - began, time.process_time() - cpu_began
        # From "writing" (60 %) to the publication's commit and what follows it (the superseded lines dropped).
        writing = time.perf_counter() - marks.get(60, time.perf_counter())
        began, cpu_began = time.perf_counter(), time.process_time()
        evaluation = alerts_evaluate_recorded(day=day)
        evaluated, evaluated_cpu = time.perf_counter() - began, time.process_time() - cpu_began
        how = "chained" if run.chained else "from scratch"
        load = "/".join(f"{figure:.1f}" for figure in os.getloadavg())
        print(
            f"  day {(day - first).days + 1:3d} {day}: {rolled + evaluated:6.2f}s = rollup {rolled:5.2f}s"
            f" (writing {writing:5.2f}s) + alerts {evaluated:5.2f}s ({evaluation.opened} opened)  {how}"
            f"  {run.scorecards:,} scorecards, {run.lines:,} lines  peak RSS {peak_rss_mb():,.0f} MB"
            f"{own_peak_text(resettable, at_start)}  load {load}"
            f"  (this process's CPU: rollup {rolled_cpu:.2f}s, alerts {evaluated_cpu:.2f}s)",
            flush=True,
        )
        parts.append((rolled, evaluated))
        if resettable and (own_peak := day_peak_mb()):
            day_peaks.append(own_peak)
        cpu_parts.append((rolled_cpu, evaluated_cpu))
        return rolled + evaluated

    parts: list[tuple[float, float]] = []
    cpu_parts: list[tuple[float, float]] = []
    day_peaks: list[float] = []
    early_times = [timed(day) for day in early]
    began = time.perf_counter()
    rollup.rollup_day(day=late[0] - datetime.timedelta(days=1), today=late[-1])
    alerts_evaluate_recorded(day=late[0] - datetime.timedelta(days=1))
    print(
        f"  (day {args.days - args.timed} rebuilt from scratch over the empty days"
        f" in {time.perf_counter() - began:.0f}s)"
    )
    late_times = [timed(day) for day in late]

    chained_early = early_times[1:]
    per_day = sum(chained_early + late_times) / len(chained_early + late_times)
    print()
    print(f"seconds per rolled-up day (chained, mean of {len(chained_early) + len(late_times)} days): {per_day:.2f}")
    # The first days of the year have no earlier week, month, quarter or year to compare with (no
    # comparison days' running totals to write): the late days are the steady state.
    print(
        f"  early days (chained, {len(chained_early)}): {sum(chained_early) / len(chained_early):.2f}s;"
        f" late days ({len(late_times)}): {sum(late_times) / len(late_times):.2f}s"
    )
    timed_parts = parts[1:]
    print(
        f"  of which rollup {sum(p[0] for p in timed_parts) / len(timed_parts):.2f}s"
        f" + alert evaluation {sum(p[1] for p in timed_parts) / len(timed_parts):.2f}s"
    )
    timed_cpu = cpu_parts[1:]
    print(
        f"  this process's CPU: rollup {sum(p[0] for p in timed_cpu) / len(timed_cpu):.2f}s"
        f" + alert evaluation {sum(p[1] for p in timed_cpu) / len(timed_cpu):.2f}s (the server's work not in it)"
    )
    print(f"day 1 (rebuilt from scratch): {early_times[0]:.2f}s")
    ratio = late_times[-1] / early_times[-1]
    print(f"day {args.days} / day {args.timed}: {late_times[-1]:.2f}s / {early_times[-1]:.2f}s = {ratio:.2f}")
    if args.reroll:
        # A late fact: the last day rolled up again over its published run (the superseded run's lines
        # are dropped with its table once the publication commits, kpi.partitions).
        from kpi.models import Fact

        Fact.objects.filter(date=late[-1], unit_id=outlet_ids[0], staff=None).update(value=F("value") + 1)
        print(f"rolled up again (a late fact on day {args.days}):")
        timed(late[-1])
    print(f"peak memory (max RSS of this process): {peak_rss_mb():,.0f} MB")
    if day_peaks:
        # A timed day's own peak (VmHWM reset before it): a chained day's, not a from-scratch rebuild's.
        print(f"peak memory of a timed day (its own, the highest): {max(day_peaks):,.0f} MB")
    print(
        "machine load (1/5/15 min): "
        + "/".join(f"{figure:.2f}" for figure in os.getloadavg())
        + f" on {os.cpu_count()} cores"
    )
    print(f"runs published: {RollupRun.objects.filter(status='published').count()}")
    if profiler is not None:
        import pstats

        profiler.dump_stats(args.profile)
        covered = pstats.Stats(profiler).total_tt
        print(f"profile of the timed days: {args.profile} ({covered:.2f}s of this process's CPU)")
    if args.checksums:
        for name, checksum in table_checksums().items():
            print(f"sha256 {name}: {checksum}")


if __name__ == "__main__":
    main()
