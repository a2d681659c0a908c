"""lib.bulk.insert_frame into a table named by the caller (facts_ingest's staging table)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pandas as pd
import pytest
from django.db import connection

from kpi.models import Fact
from lib import bulk

pytestmark = pytest.mark.django_db


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
