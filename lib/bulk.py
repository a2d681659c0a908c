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

Where every column is a number, a date or text held as such (the rollup's lines, scorecards and running
totals), the rows travel in COPY's binary format instead (copy_binary): the server reads a numeric's
base-10000 digits instead of parsing its characters, and numpy writes them with no more work than the
text's. Both formats store the same values (tests/bankops/test_bulk.py writes a frame both ways); a frame
whose numbers are text (a file's values as read: facts_ingest) stays text, which the server parses either way.
"""

from __future__ import annotations

import datetime
import io
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal

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
    binary: bool = True,
) -> int:
    """Insert every row of `frame` (columns named as the table's columns; NaN/NA become NULL). `frame`
    may also be an iterable of frames with the same columns, made one at a time as they are written (one
    COPY): the caller need not hold every row at once (a province day's 4 M scorecard lines). Into the
    model's table, or into `table` (a staging table with some of the model's columns, read as the model
    has them: a decimal column rounded to its field's places). `freeze`: PostgreSQL's COPY … FREEZE, for a
    table created in the caller's (sub)transaction: the rows are written frozen, so no vacuum rewrites them
    later to set their hint bits. `binary`: False keeps COPY's text format where the binary one would do
    (bench/copy_format.py compares them). Returns the number of rows written."""
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
            types = copy_binary_types(model, first) if binary else None
            # Text format: \N is NULL, so an empty string stays an empty string.
            data = copy_binary(types, frames()) if types else (c for part in frames() for c in copy_text(model, part))
            options = ", ".join([*(["FORMAT binary"] if types else []), *(["FREEZE"] if freeze else [])])
            command = f'COPY "{table}" ({column_list}) FROM STDIN' + (f" WITH ({options})" if options else "")
            raw.copy_expert(command, _ChunkReader(data), size=1 << 20)
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
    """A file over an iterator of bytes (or of 1-D uint8 arrays), for copy_expert: memory holds a chunk or
    two of rows, not the whole table's. A read hands out a slice of the current chunk (a memoryview: the
    rest of a 10 MB chunk is not copied again at every 1 MB read, as `pending = pending[size:]` did)."""

    def __init__(self, chunks: Iterable[bytes | np.ndarray]) -> None:
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
        if decimal_places is not None:
            present = np.where(missing, 0.0, values)
            if (magnitude := _scaled(present, decimal_places)) is not None:
                suffix = f"e-{decimal_places}".encode() if decimal_places else b""
                return _with_nulls(_digits(np.where(present < 0, -magnitude, magnitude), suffix), missing)
        return _objects(series)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _objects(series.astype(object))
    return _objects(series)


def _scaled(values: np.ndarray, places: int) -> np.ndarray | None:
    """|value| in units of 10^-places as int64, rounded half away from zero (as a decimal field rounds),
    for both COPY formats; None where a value is not finite or too large to stay exact in a float64."""
    if not np.isfinite(values).all():
        return None
    magnitude = np.floor(np.abs(values) * 10.0**places + 0.5)
    if len(magnitude) and magnitude.max() >= _EXACT:
        return None
    return magnitude.astype(np.int64)


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


# -- the COPY binary format --------------------------------------------------------------------------
#
# PostgreSQL parses a numeric in its binary form (base-10000 digits) without reading characters: a COPY
# of a province day's lines, twelve numeric columns each, costs the server about a third less in binary
# than in text. Every field is its length (int32, -1 for NULL) and its bytes, big-endian; a row is its
# number of fields (int16) and its fields. The rows of a chunk are numpy records, each field padded to its
# column's widest, and the padding is masked out: no Python per row, as for the text.

_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_BINARY_TRAILER = (-1).to_bytes(2, "big", signed=True)
_EPOCH = datetime.date(2000, 1, 1)
_INTEGERS = {"smallint": ">i2", "integer": ">i4", "bigint": ">i8"}
_NUMERIC = re.compile(r"numeric\(\d+,\s*(\d+)\)")
_NUMERIC_NEGATIVE = 0x4000
# Rows at a time: a chunk's byte matrix and its mask of the bytes kept are a row's widest fields twice.
_BINARY_CHUNK_ROWS = CHUNK_ROWS // 2


def copy_binary_types(model: type[models.Model], frame: pd.DataFrame) -> list[tuple[str, int | None]] | None:
    """The PostgreSQL type of each of `frame`'s columns in `model` ("integer", "numeric" with its places,
    "date", …), where the rows can travel in COPY's binary format: every column's type is one the
    binary writer knows, and every number column holds numbers (a column of text read from a file, such
    as facts_ingest's values, stays text: its parse is the server's either way). None otherwise."""
    fields = {field.column: field for field in model._meta.concrete_fields}
    types = []
    for column in frame.columns:
        field = fields.get(column)
        if field is None:
            return None
        db_type = (field.db_type(connection) or "").lower()
        if numeric := _NUMERIC.fullmatch(db_type):
            kind, places = "numeric", int(numeric.group(1))
        elif db_type.startswith("varchar") or db_type == "text":
            kind, places = "text", None
        elif db_type in (*_INTEGERS, "boolean", "date", "double precision"):
            kind, places = db_type, None
        else:
            return None
        if kind not in ("text", "date") and not _holds_numbers(frame[column]):
            return None
        types.append((kind, places))
    return types


def copy_binary(types: list[tuple[str, int | None]], frames: Iterable[pd.DataFrame]) -> Iterator[bytes | np.ndarray]:
    """The rows of `frames` (columns of the `types` copy_binary_types gave) in COPY's binary format, a
    chunk of rows at a time: the header, the rows, the trailer. Decimals are rounded to their places as
    copy_text rounds them (half away from zero), so both formats store the same values."""
    yield _BINARY_HEADER
    for frame in frames:
        for start in range(0, len(frame), _BINARY_CHUNK_ROWS):
            part = frame.iloc[start : start + _BINARY_CHUNK_ROWS]
            yield _binary_rows(
                [_binary_cells(part[column], *kind) for column, kind in zip(part.columns, types, strict=True)]
            )
    yield _BINARY_TRAILER


def _binary_rows(cells: list[tuple[np.ndarray, np.ndarray] | None]) -> np.ndarray:
    """Columns of fields (each a byte matrix, rows × its widest field, and each row's field length, -1 for
    NULL) → the rows' bytes: the number of fields, then each field's length and bytes, the padding left
    out. The rows are laid out as records (numpy writes each field's length as a big-endian int32 where
    it lies), and each column is let go once it is in them."""
    rows = len(cells[0][1]) if cells else 0
    layout = [("fields", ">i2")]
    for index, (data, _lengths) in enumerate(cells):
        layout += [(f"length{index}", ">i4"), (f"data{index}", np.uint8, (data.shape[1],))]
    records = np.empty(rows, dtype=layout)
    records["fields"] = len(cells)
    keep, offset = None, records.dtype.fields["fields"][0].itemsize
    for index in range(len(cells)):
        (data, lengths), cells[index] = cells[index], None
        records[f"length{index}"] = lengths
        records[f"data{index}"] = data
        width = data.shape[1]
        if (lengths != width).any():
            if keep is None:
                keep = np.ones((rows, records.dtype.itemsize), dtype=bool)
            np.less(np.arange(width), lengths[:, None], out=keep[:, offset + 4 : offset + 4 + width])
        offset += 4 + width
    matrix = records.view(np.uint8)
    return matrix if keep is None else matrix.reshape(rows, -1)[keep]


def _binary_cells(series: pd.Series, kind: str, places: int | None) -> tuple[np.ndarray, np.ndarray]:
    """One column's fields: a byte matrix (rows × its widest field) and each row's length (-1: NULL)."""
    if kind in ("text", "date") or not _holds_numbers(series):
        return _per_value(series, kind, places)
    missing = series.isna().to_numpy()
    if kind in _INTEGERS or kind in ("boolean", "double precision"):
        if kind == "boolean":
            data = series.to_numpy(dtype=bool, na_value=False).astype(np.uint8).reshape(-1, 1)
        elif kind == "double precision":
            data = _big_endian(series.to_numpy(dtype=float, na_value=0.0), ">f8")
        elif _is_float(series):
            return _per_value(series, kind, places)
        else:
            data = _big_endian(_in_range(series.to_numpy(dtype=np.int64, na_value=0), kind), _INTEGERS[kind])
        return data, np.where(missing, -1, data.shape[1])
    if kind == "numeric" and _is_float(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        present = np.where(missing, 0.0, values)
        if (magnitude := _scaled(present, places)) is not None:
            return _numeric_cells(magnitude, present < 0, places, missing)
    elif kind == "numeric" and pd.api.types.is_integer_dtype(series.dtype):
        values = series.to_numpy(dtype=np.int64, na_value=0)
        if not len(values) or np.abs(values).max() < _EXACT // 10**places:
            return _numeric_cells(np.abs(values) * 10**places, values < 0, places, missing)
    return _per_value(series, kind, places)


def _holds_numbers(series: pd.Series) -> bool:
    """Numbers or booleans as numpy holds them (not Python objects, not categories)."""
    return pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)


def _is_float(series: pd.Series) -> bool:
    return pd.api.types.is_float_dtype(series.dtype)


def _in_range(values: np.ndarray, kind: str) -> np.ndarray:
    limit = np.iinfo(f"int{np.dtype(_INTEGERS[kind]).itemsize * 8}")
    if len(values) and (values.min() < limit.min or values.max() > limit.max):
        raise ValueError(f"a value of {values.min()}..{values.max()} does not fit a column of type {kind}")
    return values


def _big_endian(values: np.ndarray, dtype: str) -> np.ndarray:
    return values.astype(dtype).view(np.uint8).reshape(len(values), np.dtype(dtype).itemsize)


def _numeric_cells(
    magnitude: np.ndarray, negative: np.ndarray, places: int, missing: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Decimals given as their magnitudes in units of 10^-places (int64) and signs → numeric fields:
    ndigits, weight, sign, dscale (int16 each) then base-10000 digits, as many for every row of the column
    as its largest needs (the server strips a value's leading and trailing zero digits as it stores it)."""
    rows = len(magnitude)
    fraction_digits = -(-places // 4)
    # In units of 10^-(4 × fraction_digits): whole base-10000 digits after the point.
    remaining = np.where(missing, 0, magnitude) * 10 ** (4 * fraction_digits - places)
    width = max(1, -(-len(str(int(remaining.max()) if rows else 0)) // 4))
    fields = np.empty((rows, 4 + width), dtype=">i2")
    fields[:, 0] = width
    fields[:, 1] = width - fraction_digits - 1
    fields[:, 2] = np.where(negative, _NUMERIC_NEGATIVE, 0)
    fields[:, 3] = places
    for place in range(width):
        remaining, digit = np.divmod(remaining, 10_000)
        fields[:, 3 + width - place] = digit
    return fields.view(np.uint8).reshape(rows, 2 * (4 + width)), np.where(missing, -1, 2 * (4 + width))


def _per_value(series: pd.Series, kind: str, places: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Any other column (text, dates, Python objects), each distinct value encoded once."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy(), series.cat.categories.to_numpy(dtype=object)
    else:
        codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
    encoded = [_binary_value(value, kind, places) for value in uniques]
    lengths = np.array([len(value) if value is not None else -1 for value in encoded] + [-1])
    width = max([1, *(len(value) for value in encoded if value is not None)])
    table = np.zeros((len(encoded) + 1, width), dtype=np.uint8)
    for index, value in enumerate(encoded):
        if value:
            table[index, : len(value)] = np.frombuffer(value, dtype=np.uint8)
    return table[codes], lengths[codes]


def _binary_value(value, kind: str, places: int | None) -> bytes | None:
    """One value's field bytes (None: NULL), as the server would read the value's text."""
    if _text(value) == _NULL:
        return None
    if kind == "text":
        return str(value).encode()
    if kind == "date":
        day = datetime.date.fromisoformat(value) if isinstance(value, str) else value
        if isinstance(day, datetime.datetime):
            day = day.date()
        return (day - _EPOCH).days.to_bytes(4, "big", signed=True)
    if kind == "boolean":
        truth = value.strip().lower() in ("t", "true", "y", "yes", "on", "1") if isinstance(value, str) else value
        return b"\x01" if truth else b"\x00"
    if kind in _INTEGERS:
        if isinstance(value, float | np.floating) and not float(value).is_integer():
            raise ValueError(f"{value!r} is not a whole number for a column of type {kind}")
        return int(value).to_bytes(np.dtype(_INTEGERS[kind]).itemsize, "big", signed=True)
    if kind == "double precision":
        return np.array([float(value)], dtype=">f8").tobytes()
    # numeric: as its text, rounded half away from zero to the places.
    number = Decimal(repr(float(value)) if isinstance(value, float | np.floating) else str(value).strip())
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number a numeric column holds")
    scaled = int(number.scaleb(places).to_integral_value(rounding=ROUND_HALF_UP))
    if abs(scaled) >= _EXACT:
        raise ValueError(f"{value!r} has too many digits for a numeric column")
    fields, _lengths = _numeric_cells(np.array([abs(scaled)]), np.array([scaled < 0]), places, np.array([False]))
    return fields[0].tobytes()
