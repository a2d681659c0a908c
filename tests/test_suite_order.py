"""The order `make test` starts the files in (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SLOW_FILES_FIRST

ROOT = Path(__file__).resolve().parents[1]


def test_every_file_named_to_start_first_exists_once():
    """A file renamed or merged away would silently drop back to its collected place."""
    assert [path for path in SLOW_FILES_FIRST if not (ROOT / path).is_file()] == []
    assert len(set(SLOW_FILES_FIRST)) == len(SLOW_FILES_FIRST)


def test_the_files_named_start_first_in_their_order_and_the_browser_files_next(request):
    files = list(dict.fromkeys(item.nodeid.split("::", 1)[0] for item in request.session.items))
    if len(files) < len(SLOW_FILES_FIRST) + 2:
        return  # a run of a few files (-k, a path): nothing to order
    assert files[: len(SLOW_FILES_FIRST)] == list(SLOW_FILES_FIRST)
    browser = [index for index, path in enumerate(files) if path.startswith("tests/browser/")]
    others = [index for index, path in enumerate(files) if path not in SLOW_FILES_FIRST and index not in browser]
    assert max(browser) < min(others)
