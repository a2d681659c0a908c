"""Bulk writes for the rollup: PostgreSQL COPY when available, executemany otherwise.

pandas stays on this side of the line: callers hand over a DataFrame whose columns are the table's
column names; nothing else in the project needs to know how rows reach the table.

The COPY text is built from the frame's columns with numpy, a chunk of rows at a time, and streamed to
the server (copy_text): DataFrame.to_csv formatted 1.75 M scorecard lines in two thirds of the time
the whole write took (a float's repr and the csv module, a row at a time in Python). Here each column
becomes fixed-width bytes in one vectorised step (a decimal as its integer of ten-thousandths with an
exponent, "12345e-4", which PostgreSQL reads as the exact 1.2345), the columns are laid side by side in
one byte matrix and the padding is squeezed out: no Python per row. Columns of Python objects (text,
dates) are formatted once per distinct value.
"""

from __future__ import annotations

import datetime
import io
import itertools
import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
from django.db import connection, models

# Rows formatted at a time: the byte matrix of a chunk of scorecard lines is about 40 MB.
CHUNK_ROWS = 100_000
_NULL = b"\\N"
_TAB, _NEWLINE = ord("\t"), ord("\n")
# |scaled| below this stays exact in a float64 and fits in an int64.
_EXACT = 2**53


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


def insert_frame(
    model: type[models.Model],
    frame: pd.DataFrame | Iterable[pd.DataFrame],
    *,
    table: str | None = None,
    freeze: bool = False,
) -> int:
    """Insert every row of `frame` (columns named as the table's columns; NaN/NA become NULL). `frame`
    may also be an iterable of frames with the same columns, made one at a time as they are written (one
    COPY): the caller need not hold every row at once (a province day's 4 M scorecard lines). Into the
    model's table, or into `table` (a staging table with some of the model's columns, read as the model
    has them: a decimal column rounded to its field's places). `freeze`: PostgreSQL's COPY … FREEZE, for a
    table created in the caller's (sub)transaction: the rows are written frozen, so no vacuum rewrites them
    later to set their hint bits. Returns the number of rows written."""
    parts = iter([frame] if isinstance(frame, pd.DataFrame) else frame)
    first = next((part for part in parts if not part.empty), None)
    if first is None:
        return 0
    table = table or model._meta.db_table
    columns = list(first.columns)
    written = [0]

    def frames() -> Iterator[pd.DataFrame]:
        for part in itertools.chain([first], parts):
            if not part.empty:
                written[0] += len(part)
                yield part

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            column_list = ", ".join(f'"{column}"' for column in columns)
            raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
            text = (chunk for part in frames() for chunk in copy_text(model, part))
            # Text format: \N is NULL, so an empty string stays an empty string.
            options = " WITH (FREEZE)" if freeze else ""
            raw.copy_expert(f'COPY "{table}" ({column_list}) FROM STDIN{options}', _ChunkReader(text), size=1 << 20)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            column_list = ", ".join(f'"{column}"' for column in columns)
            for part in frames():
                rows = part.astype(object).where(part.notna(), None).itertuples(index=False, name=None)
                cursor.executemany(f'INSERT INTO "{table}" ({column_list}) VALUES ({placeholders})', list(rows))
    return written[0]


def update_fields(objects: Sequence[models.Model], fields: Sequence[str], *, page_size: int = 1000) -> int:
    """What `Model.objects.bulk_update(objects, fields)` does (these fields of these saved rows set to the
    objects' values, no signals, auto_now fields untouched), in one UPDATE … FROM (VALUES …) a page on
    PostgreSQL, an executemany elsewhere. bulk_update writes a CASE WHEN pk = … THEN … per row and field,
    which Django builds as expressions and the server then walks for every row: seed_demo's thousand
    ledger entries linked to their facts took seconds. Returns the number of objects."""
    if not objects:
        return 0
    meta = type(objects[0])._meta
    pk = meta.pk
    written = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    rows = [
        (
            pk.get_db_prep_value(item.pk, connection),
            *(field.get_db_prep_save(getattr(item, field.attname), connection) for field in written),
        )
        for item in objects
    ]
    table, key = quote(meta.db_table), quote(pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            columns = ", ".join(quote(field.column) for field in (pk, *written))
            assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in written)
            # Typed, or PostgreSQL would read a column of NULLs (or of text) in VALUES as text.
            template = "(" + ", ".join(f"%s::{field.cast_db_type(connection)}" for field in (pk, *written)) + ")"
            execute_values(
                cursor.cursor if hasattr(cursor, "cursor") else cursor,
                f"UPDATE {table} AS t SET {assignments} FROM (VALUES %s) AS v({columns}) WHERE t.{key} = v.{key}",
                rows,
                template=template,
                page_size=page_size,
            )
        else:
            assignments = ", ".join(f"{quote(field.column)} = %s" for field in written)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {key} = %s", [(*row[1:], row[0]) for row in rows]
            )
    return len(rows)


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


def analyze(*models: type[models.Model], tables: tuple[str, ...] = ()) -> None:
    """ANALYZE these tables on PostgreSQL (nothing elsewhere): after a bulk load the planner must know the
    new rows before autovacuum (which a server may not run) gets to them, or a page of 100 scorecards
    scans millions of lines. Called once the load has committed; sampling costs well under a second."""
    names = [model._meta.db_table for model in models] + list(tables)
    if connection.vendor != "postgresql" or not names:
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(f'"{name}"' for name in names))


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


# -- the COPY text -----------------------------------------------------------------------------------


class _ChunkReader(io.RawIOBase):
    """A file over an iterator of bytes, for copy_expert: memory holds a chunk or two of text, not the
    whole table's. A read hands out a slice of the current chunk (a memoryview: the rest of a 10 MB chunk
    is not copied again at every 1 MB read, as `pending = pending[size:]` did)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._chunk = memoryview(b"")
        self._offset = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            rest = [bytes(self._chunk[self._offset :]), *self._chunks]
            self._chunk, self._offset = memoryview(b""), 0
            return b"".join(rest)
        while self._offset >= len(self._chunk):
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._chunk, self._offset = memoryview(chunk), 0
        out = self._chunk[self._offset : self._offset + size]
        self._offset += len(out)
        return bytes(out)


def copy_text(model: type[models.Model], frame: pd.DataFrame, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """The rows of `frame` in PostgreSQL's COPY text format (tab-separated, \\N for NULL, backslash
    escapes), a chunk of rows at a time. A column of a DecimalField is written rounded to the field's
    decimal places (half away from zero, as PostgreSQL rounds), as an integer with an exponent."""
    places = {}
    for field in model._meta.concrete_fields:
        if isinstance(field, models.DecimalField):
            places[field.column] = field.decimal_places
    for start in range(0, len(frame), chunk_rows):
        part = frame.iloc[start : start + chunk_rows]
        cells = [_column_bytes(part[column], places.get(column)) for column in part.columns]
        yield _joined(cells, len(part))


def _joined(cells: list[np.ndarray], rows: int) -> bytes:
    """Byte matrices (rows × width, NUL where a cell is shorter) → the rows of text, the NULs squeezed out."""
    matrix = np.zeros((rows, sum(cell.shape[1] for cell in cells) + len(cells)), dtype=np.uint8)
    offset = 0
    for index, cell in enumerate(cells):
        matrix[:, offset : offset + cell.shape[1]] = cell
        offset += cell.shape[1]
        matrix[:, offset] = _NEWLINE if index == len(cells) - 1 else _TAB
        offset += 1
    flat = matrix.ravel()
    return flat[flat != 0].tobytes()


def _digits(values: np.ndarray, suffix: bytes = b"") -> np.ndarray:
    """int64 → a byte matrix of their decimal digits (a leading "-" for a negative number, NUL padding
    between it and the digits) followed by `suffix`, by arithmetic on the whole column at once."""
    rows = len(values)
    magnitude = np.abs(values)
    width = len(str(int(magnitude.max()))) if rows else 1
    negative = values < 0
    sign = int(negative.any())
    cell = np.zeros((rows, sign + width + len(suffix)), dtype=np.uint8)
    if sign:
        cell[negative, 0] = ord("-")
    remaining = magnitude.copy()
    for place in range(width):
        column = sign + width - 1 - place
        digit = (remaining % 10).astype(np.uint8) + ord("0")
        # The units digit always; a higher one only where the number reaches it.
        cell[:, column] = digit if place == 0 else np.where(magnitude >= 10**place, digit, 0)
        remaining //= 10
    for index, byte in enumerate(suffix):
        cell[:, sign + width + index] = byte
    return cell


def _with_nulls(cell: np.ndarray, missing: np.ndarray) -> np.ndarray:
    if missing.any():
        if cell.shape[1] < len(_NULL):
            cell = np.pad(cell, ((0, 0), (0, len(_NULL) - cell.shape[1])))
        cell[missing] = 0
        cell[missing, : len(_NULL)] = np.frombuffer(_NULL, dtype=np.uint8)
    return cell


def _fixed(values: np.ndarray) -> np.ndarray:
    """A bytes (S) array → its byte matrix."""
    width = max(values.dtype.itemsize, 1)
    values = values.astype(f"S{width}")
    return values.view(np.uint8).reshape(len(values), width)


def _column_bytes(series: pd.Series, decimal_places: int | None) -> np.ndarray:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        missing = series.isna().to_numpy()
        truth = series.fillna(False).to_numpy(dtype=bool)
        return _with_nulls(np.where(truth, ord("t"), ord("f")).astype(np.uint8).reshape(-1, 1), missing)
    if pd.api.types.is_integer_dtype(dtype):
        missing = series.isna().to_numpy()
        return _with_nulls(_digits(series.to_numpy(dtype=np.int64, na_value=0)), missing)
    if pd.api.types.is_float_dtype(dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(values)
        if decimal_places is not None and np.isfinite(values[~missing]).all():
            present = np.where(missing, 0.0, values)
            magnitude = np.floor(np.abs(present) * 10.0**decimal_places + 0.5)
            if not len(magnitude) or magnitude.max() < _EXACT:
                scaled = (np.sign(present) * magnitude).astype(np.int64)
                suffix = f"e-{decimal_places}".encode() if decimal_places else b""
                return _with_nulls(_digits(scaled, suffix), missing)
        return _objects(series)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _objects(series.astype(object))
    return _objects(series)


def _objects(series: pd.Series) -> np.ndarray:
    """Any other column, each distinct value formatted once (text is escaped for the COPY format)."""
    values = series.to_numpy(dtype=object)
    if not len(values):
        return np.zeros((0, 1), dtype=np.uint8)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    formatted = np.array([_text(value) for value in uniques] + [_NULL], dtype=object).astype(bytes)
    return _fixed(formatted[codes])


def _text(value) -> bytes:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return _NULL
    if isinstance(value, bool | np.bool_):
        return b"t" if value else b"f"
    if isinstance(value, datetime.datetime | datetime.date | pd.Timestamp):
        text = value.isoformat()
    elif isinstance(value, float | np.floating):
        text = repr(float(value))
    else:
        text = str(value)
    if any(character in text for character in "\\\t\n\r"):
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text.encode()
