"""Bulk writes for the rollup: PostgreSQL COPY when available, executemany otherwise.

pandas stays on this side of the line: callers hand over a DataFrame whose columns are the table's
column names; nothing else in the project needs to know how rows reach the table.
"""

from __future__ import annotations

import io

import pandas as pd
from django.db import connection, models


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` primary keys, so rows and the rows that point to them can be written together.

    PostgreSQL takes them from the table's sequence (safe with concurrent writers); SQLite, the
    single-writer development database, continues after the current maximum.
    """
    if count == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def insert_frame(model: type[models.Model], frame: pd.DataFrame) -> int:
    """Insert every row of `frame` (columns named as the table's columns; NaN/NA become NULL)."""
    if frame.empty:
        return 0
    table = model._meta.db_table
    columns = list(frame.columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            # \N marks NULL, so that an empty string stays an empty string.
            frame.to_csv(buffer, index=False, header=False, na_rep=r"\N")
            buffer.seek(0)
            column_list = ", ".join(f'"{column}"' for column in columns)
            raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
            raw.copy_expert(f"COPY \"{table}\" ({column_list}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            column_list = ", ".join(f'"{column}"' for column in columns)
            rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
            cursor.executemany(f'INSERT INTO "{table}" ({column_list}) VALUES ({placeholders})', list(rows))
    return len(frame)


def read_frame(sql: str, params: list | tuple, columns: list[str], dtype: dict | None = None) -> pd.DataFrame:
    """The rows of a SELECT as a DataFrame with these column names. On PostgreSQL the rows travel as
    one COPY … TO STDOUT in CSV (millions of rows without a Python tuple each); elsewhere fetchall.
    Columns come back as numbers where they parse as numbers, empty values as NaN."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
            query = raw.mogrify(sql, params).decode()
            # Bytes, not a StringIO: read back, a StringIO holds 4 bytes a character (a month of two
            # million customers: 230 MB instead of 60), and getvalue() would copy it once more.
            buffer = io.BytesIO()
            raw.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", buffer)
            if not buffer.tell():
                return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
            buffer.seek(0)
            return pd.read_csv(buffer, header=None, names=columns, keep_default_na=False, na_values=[""], dtype=dtype)
        cursor.execute(sql, params)
        frame = pd.DataFrame(cursor.fetchall(), columns=columns)
        return frame.astype(dtype) if dtype else frame


def analyze(*models: type[models.Model]) -> None:
    """ANALYZE these tables on PostgreSQL (nothing elsewhere): after a bulk load the planner must know the
    new rows before autovacuum (which a server may not run) gets to them, or a page of 100 scorecards
    scans millions of lines. Called once the load has committed; sampling costs well under a second."""
    if connection.vendor != "postgresql" or not models:
        return
    tables = ", ".join(f'"{model._meta.db_table}"' for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


# analyze_stale: the share of a table's rows that must have changed since its statistics were taken.
STALE_FRACTION = 0.1


def analyze_stale(*models: type[models.Model], fraction: float = STALE_FRACTION) -> list[str]:
    """ANALYZE those of these tables (PostgreSQL; nothing elsewhere) that were never analysed or where
    more than `fraction` of their rows changed since (autovacuum's own rule, without waiting for it: a
    server may not run it). Cheaper than analyze() after every load of a table that is already large.
    Returns the tables analysed."""
    if connection.vendor != "postgresql" or not models:
        return []
    names = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) AND ("
            "coalesce(last_analyze, last_autoanalyze) IS NULL "
            "OR n_mod_since_analyze > %s * greatest(n_live_tup - n_mod_since_analyze, 0))",
            [names, fraction],
        )
        stale = [row[0] for row in cursor.fetchall()]
        if stale:
            cursor.execute("ANALYZE " + ", ".join(f'"{name}"' for name in stale))
    return stale
