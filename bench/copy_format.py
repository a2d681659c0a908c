"""The scorecard lines' write in COPY's text format against its binary format (issue 21, the rollup).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/copy_format.py [--rows N]

Makes N synthetic scorecard lines (default 1,000,000) shaped as a province day's: every line an actual and
its four comparisons; seven in ten without a target, so without attainment, pace, status, gap and required
per day (a staff member's lines of metrics no template scores); half of them ranked. Writes them through
`lib.bulk.insert_frame` (a chunk of 100,000 lines at a time, as the rollup hands them over) into a table
with the lines' columns created in the transaction (`FREEZE`, as `kpi.partitions.run_lines_write` writes
a run's table), once in text (the binary format switched off) and once in binary, alternated for
`--rounds` rounds, each rolled back. Prints each round's wall time and this process's CPU, and the
machine's load (os.getloadavg). Touches no table of the database it is given.

Latest (4 December 2026, 15:25, a slow hour of the machine, load 0.6-1.2; 1,000,000 lines, four rounds):
text median 8.31 s (7.62-9.16, CPU 4.7-5.1 s), binary 5.20 s (4.92-5.51, CPU 3.5-4.1 s): binary / text 0.63.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TABLE = "bench_copy_format_lines"


def lines(rows: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(21)
    targeted = rng.random(rows) < 0.3

    def where_targeted(values):
        return np.where(targeted, values, np.nan)

    def amounts(scale: float):
        return np.round(rng.random(rows) * scale, 4)

    ranked = rng.random(rows) < 0.5
    return pd.DataFrame(
        {
            "scorecard_id": np.arange(rows) // 24 + 2**40,
            "date": datetime.date(2026, 10, 27),
            "metric_id": rng.integers(1, 60, rows),
            "actual": amounts(1e5),
            "target": where_targeted(amounts(2e5)),
            "attainment": where_targeted(rng.random(rows) * 1.5),
            "time_progress": np.full(rows, 27 / 31),
            "pace_attainment": where_targeted(rng.random(rows) * 1.5),
            "status": pd.Categorical(np.where(targeted, "ok", None)),
            "gap_to_pace": where_targeted(amounts(1e3)),
            "required_per_day": where_targeted(amounts(1e2)),
            "time_basis": pd.Categorical(["calendar"] * rows),
            "score": np.where(rng.random(rows) < 0.2, np.round(rng.random(rows) * 10, 4), np.nan),
            "rank": pd.Series(rng.integers(1, 300, rows), dtype="Int64").where(ranked),
            "rank_of": pd.Series(np.full(rows, 300), dtype="Int64").where(ranked),
            "target_from_children": np.zeros(rows, dtype=bool),
            "previous_actual": amounts(1e5),
            "last_year_actual": amounts(1e5),
            "year_start_actual": amounts(1e4),
            "year_to_date_actual": amounts(1e6),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench/copy_format.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-copy-format-rolled-back-only")
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankops.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from kpi.models import ScorecardLine
    from lib import bulk

    frame = lines(args.rows)
    columns = ", ".join(
        f'"{field.column}" {field.db_type(connection)}' for field in ScorecardLine._meta.concrete_fields
    )

    def write(binary: bool) -> tuple[float, float]:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE TABLE {TABLE} ({columns})")
            chunks = (frame.iloc[start : start + bulk.CHUNK_ROWS] for start in range(0, len(frame), bulk.CHUNK_ROWS))
            wall, cpu = time.perf_counter(), time.process_time()
            bulk.insert_frame(ScorecardLine, chunks, table=TABLE, freeze=True, binary=binary)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            transaction.set_rollback(True)
        return wall, cpu

    print(f"{args.rows:,} lines, {args.rounds} rounds alternated; load before {load()}")
    figures = {"text": [], "binary": []}
    for round_ in range(args.rounds):
        for name in ("text", "binary") if round_ % 2 == 0 else ("binary", "text"):
            wall, cpu = write(name == "binary")
            figures[name].append((wall, cpu))
            print(f"  round {round_ + 1} {name:6}: {wall:6.2f} s (this process's CPU {cpu:5.2f} s)")
    for name, rows in figures.items():
        walls = [wall for wall, _cpu in rows]
        print(f"{name:6}: median {statistics.median(walls):.2f} s, {min(walls):.2f}-{max(walls):.2f} s")
    text, binary = (statistics.median(wall for wall, _ in figures[name]) for name in ("text", "binary"))
    print(f"binary / text: {binary / text:.2f}; machine load (1/5/15 min): {load()} on {os.cpu_count()} cores")


def load() -> str:
    return "/".join(f"{figure:.2f}" for figure in os.getloadavg())


if __name__ == "__main__":
    main()
