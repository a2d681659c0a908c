"""lib.bulk: the COPY reader (what copy_expert reads is the chunks' bytes, in order, whatever the read size)
and insert_frame (chunked frames; a table named by the caller, facts_ingest's staging table); update_fields
(what bulk_update writes, in one UPDATE a page)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.db import connection

from kpi.models import Fact
from lib import bulk
from lib.bulk import _ChunkReader, insert_frame


def read_all(reader: _ChunkReader, size: int) -> bytes:
    parts = []
    while part := reader.read(size):
        parts.append(part)
    return b"".join(parts)


def test_reads_of_any_size_give_the_chunks_bytes_in_order():
    chunks = [b"abc", b"", b"defgh", b"i", b"jklmnopq"]
    for size in (1, 2, 3, 4, 7, 100):
        assert read_all(_ChunkReader(chunks), size) == b"abcdefghijklmnopq"


def test_no_read_is_longer_than_asked():
    reader = _ChunkReader([b"0123456789", b"abcdef"])
    assert [len(reader.read(4)) for _ in range(6)] == [4, 4, 2, 4, 2, 0]


def test_a_read_of_everything_takes_what_is_left():
    reader = _ChunkReader([b"0123456789", b"abc", b"def"])
    assert reader.read(3) == b"012"
    assert reader.read(-1) == b"3456789abcdef"
    assert reader.read(5) == b""


@pytest.mark.django_db
def test_frames_given_one_at_a_time_are_all_written_and_counted():
    from kpi.models import RollupRun, RollupState

    run = RollupRun.objects.create(date=datetime.date(2026, 11, 2))

    def states(metric_ids):
        return pd.DataFrame(
            {"run_id": run.pk, "unit_id": 1, "metric_id": metric_ids, "value": [m * 10 for m in metric_ids]}
        )

    written = insert_frame(RollupState, (states(ids) for ids in ([1, 2], [], [3])))

    assert written == 3
    assert sorted(RollupState.objects.values_list("metric_id", "value")) == [(1, 10), (2, 20), (3, 30)]
    assert insert_frame(RollupState, iter([])) == 0


@pytest.mark.django_db
def test_insert_frame_writes_into_the_named_table_with_nulls_and_exact_decimals():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bulk_staging "
            "(date date, unit_id bigint, staff_id bigint, metric_id bigint, value numeric(20, 4))"
        )
    frame = pd.DataFrame(
        {
            "date": [datetime.date(2026, 11, 24), datetime.date(2026, 11, 25)],
            "unit_id": [7, 8],
            "staff_id": pd.array([None, 12], dtype="Int64"),
            "metric_id": [3, 3],
            "value": ["0001.5000", "-3.25"],  # text, as the file wrote it
        }
    )

    written = bulk.insert_frame(Fact, frame, table="bulk_staging")

    with connection.cursor() as cursor:
        cursor.execute("SELECT unit_id, staff_id, metric_id, value FROM bulk_staging ORDER BY unit_id")
        rows = [(unit, staff, metric, Decimal(str(value))) for unit, staff, metric, value in cursor.fetchall()]
    assert written == 2
    assert rows == [(7, None, 3, Decimal("1.5")), (8, 12, 3, Decimal("-3.25"))]
    assert not Fact.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.django_db
def test_insert_frame_stores_the_same_rounded_values_in_the_binary_format_and_when_told_text(monkeypatch):
    frame = pd.DataFrame(
        {
            "date": [datetime.date(2026, 11, 24), datetime.date(2026, 11, 25)],
            "unit_id": [7, 8],
            "staff_id": pd.array([None, 12], dtype="Int64"),
            "metric_id": [3, 3],
            "value": [1.23456, -3.25],  # numbers: the binary format's kind of frame
        }
    )
    assert bulk.copy_binary_types(Fact, frame) is not None
    texts = []
    copy_text = bulk.copy_text
    monkeypatch.setattr(bulk, "copy_text", lambda *args, **kwargs: texts.append(args) or copy_text(*args, **kwargs))
    stored = {}
    for binary, table in ((True, "bulk_as_binary"), (False, "bulk_as_text")):
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {table} "
                "(date date, unit_id bigint, staff_id bigint, metric_id bigint, value numeric(20, 4))"
            )
        assert bulk.insert_frame(Fact, frame, table=table, binary=binary) == 2
        assert len(texts) == (0 if binary else 1)  # the text format's writer used only when told
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT date, unit_id, staff_id, metric_id, value FROM {table} ORDER BY unit_id")
            stored[binary] = [(*row[:4], Decimal(str(row[4]))) for row in cursor.fetchall()]

    assert (
        stored[True]
        == stored[False]
        == [
            (datetime.date(2026, 11, 24), 7, None, 3, Decimal("1.2346")),
            (datetime.date(2026, 11, 25), 8, 12, 3, Decimal("-3.25")),
        ]
    )


@pytest.mark.django_db
def test_update_fields_writes_the_named_fields_of_each_row_as_bulk_update_would_nulls_included(network):
    from kpi.models import Metric
    from tests.factories import StaffMemberFactory

    served = Metric.objects.get(code="customers_served")
    teller = StaffMemberFactory(code="S1001", name="黄丽娟")
    day = datetime.date(2026, 11, 24)
    own, outlets, _untouched = (
        Fact.objects.create(date=day, unit=network["GZ0101"], staff=teller, metric=served, value=Decimal(1)),
        Fact.objects.create(date=day, unit=network["GZ0102"], metric=served, value=Decimal(3)),
        Fact.objects.create(date=day, unit=network["SZ0101"], metric=served, value=Decimal(7)),
    )
    own.value, own.staff = Decimal("2.5"), None
    outlets.value, outlets.staff = Decimal("-0.0001"), teller
    outlets.date = datetime.date(2026, 11, 25)  # not among the fields: stays as stored

    assert bulk.update_fields([own, outlets], ["value", "staff"]) == 2
    assert bulk.update_fields([], ["value"]) == 0

    stored = {
        fact.unit.code: (fact.date, fact.staff_id, fact.value)
        for fact in Fact.objects.select_related("unit").order_by("pk")
    }
    assert stored == {
        "GZ0101": (day, None, Decimal("2.5")),
        "GZ0102": (day, teller.pk, Decimal("-0.0001")),
        "SZ0101": (day, None, Decimal(7)),
    }


def copied(frame: pd.DataFrame, *, binary: bool, types: list | None = None) -> list[str]:
    """`frame`'s rows as PostgreSQL stores them (each row's text), written through a COPY of one format
    into a table with the lines' columns (in binary: as `types`, or as copy_binary_types reads them)."""
    from kpi.models import ScorecardLine

    table = "bulk_binary" if binary else "bulk_text"
    columns = ", ".join(f'"{column}"' for column in frame.columns)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TEMPORARY TABLE {table} (LIKE "kpi_scorecardline")')
        cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id DROP NOT NULL")
        raw = cursor.cursor
        if binary:
            types = types or bulk.copy_binary_types(ScorecardLine, frame)
            assert types is not None
            data = bulk.copy_binary(types, [frame.iloc[:3], frame.iloc[3:]])
            raw.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT binary)", bulk._ChunkReader(data))
        else:
            raw.copy_expert(
                f"COPY {table} ({columns}) FROM STDIN", bulk._ChunkReader(bulk.copy_text(ScorecardLine, frame))
            )
        cursor.execute(f"SELECT ({columns})::text FROM {table} ORDER BY scorecard_id")
        return [row for (row,) in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.django_db
def test_the_binary_copy_stores_what_the_text_copy_stores_to_the_last_place():
    # Decimals at the edges of their places and of a base-10000 digit, halves rounded away from zero,
    # negatives, zeros, NULLs of every kind, text and dates, integers near their type's ends.
    values = [
        0.0,
        -0.0,
        0.00005,
        -0.00005,
        0.00004999,
        1.0,
        9999.9999,
        10000.0,
        -10000.0001,
        123456789.1234,
        0.5,
        1e-4,
        12345678901.0,
        np.nan,
        2.00015,
        99999999.99995,
    ]
    rows = len(values)
    frame = pd.DataFrame(
        {
            "scorecard_id": np.arange(1, rows + 1, dtype=np.int64) + 2**40,
            "date": datetime.date(2026, 10, 27),
            "metric_id": [2**31 - 1] + [7] * (rows - 1),
            "actual": values,
            "target": [value * 3 for value in values],
            "attainment": [value / 7 for value in values],
            "time_progress": np.linspace(0, 1, rows),
            "status": pd.Categorical(["ok", None, "late"] * 5 + ["ok"]),
            "time_basis": ["calendar", "业务日"] * (rows // 2),
            "score": [1.23456, None] * (rows // 2),
            "rank": pd.array([1, None] * (rows // 2), dtype="Int64"),
            "rank_of": pd.array([2**31 - 1, -(2**31)] * (rows // 2), dtype="Int64"),
            "target_from_children": [True, False] * (rows // 2),
        }
    )

    binary, text = copied(frame, binary=True), copied(frame, binary=False)

    assert binary == text
    assert binary[0] == (
        "(1099511627777,2026-10-27,2147483647,0.0000,0.0000,0.000000,0.000000,ok,calendar,1.2346,1,2147483647,t)"
    )
    assert [row.split(",")[3] for row in binary[2:5]] == ["0.0001", "-0.0001", "0.0000"]
    assert binary[13].split(",")[3:6] == ["", "", ""]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.django_db
def test_a_frame_of_numbers_read_as_text_travels_as_text():
    frame = pd.DataFrame({"scorecard_id": [1], "actual": ["12.5"]})
    from kpi.models import ScorecardLine

    assert bulk.copy_binary_types(ScorecardLine, frame) is None
    assert bulk.copy_binary_types(ScorecardLine, frame.assign(actual=[12.5])) == [("bigint", None), ("numeric", 4)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.django_db
def test_a_column_of_python_objects_in_a_binary_copy_is_stored_as_its_text_would_be():
    # A later frame of one COPY may hold objects where the first held numbers: each distinct value is then
    # encoded on its own, as the server would read its text.
    frame = pd.DataFrame(
        {
            "scorecard_id": pd.Series([1, 2, 3], dtype=object),
            "date": ["2026-10-27", datetime.date(2026, 10, 28), pd.Timestamp("2026-10-29")],
            "metric_id": [7, 7, 7],
            "actual": pd.Series([Decimal("1.23455"), "-2.5", None], dtype=object),
            "time_progress": pd.Series([0.5, "0.1234565", Decimal("-0.0000005")], dtype=object),
            "target_from_children": pd.Series(["t", "false", True], dtype=object),
            "status": ["ok", "营业日", None],
            "time_basis": "calendar",
        }
    )
    types = [("bigint", None), ("date", None), ("bigint", None), ("numeric", 4), ("numeric", 6), ("boolean", None)]
    types += [("text", None), ("text", None)]

    binary = copied(frame, binary=True, types=types)

    assert binary == copied(frame, binary=False)
    assert binary == [
        "(1,2026-10-27,7,1.2346,0.500000,t,ok,calendar)",
        "(2,2026-10-28,7,-2.5000,0.123457,f,营业日,calendar)",
        "(3,2026-10-29,7,,-0.000001,t,,calendar)",
    ]
