from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def like_postgresql():
    """The test database refuses a NUL byte in a query parameter, as psycopg does on PostgreSQL ("A string
    literal cannot contain NUL (0x00) characters", a 500 if nothing stops it before). SQLite stores one."""

    def refuse_nul(execute, sql, params, many, context):
        rows = params if many else [params]
        for row in rows or ():
            values = row.values() if isinstance(row, dict) else row or ()
            if any(isinstance(value, str) and "\x00" in value for value in values):
                raise ValueError("A string literal cannot contain NUL (0x00) characters.")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_nul):
        yield
