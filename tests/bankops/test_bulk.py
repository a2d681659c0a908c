"""lib.bulk's COPY reader: what copy_expert reads is the chunks' bytes, in order, whatever the read size."""

import datetime

import pandas as pd
import pytest

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
