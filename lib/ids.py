"""Database ids read from a request: whole numbers from 1 to MAX_ID, the range of the project's id columns
(DEFAULT_AUTO_FIELD is BigAutoField: a fact's id passes 2**31 within a year of a national network). One
beyond it is refused where it is read, like any other wrong value: it would reach the database as an
error (SQLite cannot bind it: OverflowError), a 500."""

from __future__ import annotations

from collections.abc import Iterable

MAX_ID = 2**63 - 1


def is_id(number: int) -> bool:
    return 1 <= number <= MAX_ID


def parse_ids(values: Iterable) -> list[int]:
    """The distinct ids named, sorted; ValueError (or TypeError) for one that is not a whole number from 1
    to MAX_ID."""
    ids = set()
    for value in values:
        number = int(value)
        if not is_id(number):
            raise ValueError(f"{number} is not an id (1 to {MAX_ID})")
        ids.add(number)
    return sorted(ids)
