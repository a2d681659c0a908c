"""lib.bulk's COPY reader: what copy_expert reads is the chunks' bytes, in order, whatever the read size."""

from lib.bulk import _ChunkReader


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
