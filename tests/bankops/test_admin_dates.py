"""The admin's date drill-down on a big table (lib.admin_dates): the years, months and days from the
first row to the last, from MIN and MAX, not a DISTINCT over every row; other admins keep Django's."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpi.models import Fact, Metric

pytestmark = pytest.mark.django_db


def _links(response, parameter: str) -> list[str]:
    """The drill-down's links: the values of `parameter` in each, in the page's order."""
    listing = response.content.decode().split('<nav class="toplinks">', 1)[1].split("</nav>", 1)[0]
    return re.findall(rf"[?&]{parameter}=(\d+)", listing.replace("&amp;", "&"))


@pytest.fixture
def facts(network):
    metric = Metric.objects.get(code="customers_served")
    days = [datetime.date(2025, 12, 30), datetime.date(2026, 10, 31), datetime.date(2026, 11, 20),
            datetime.date(2026, 11, 24)]  # fmt: skip
    Fact.objects.bulk_create(Fact(date=day, unit=network["GZ0101"], metric=metric, value=Decimal(1)) for day in days)


def test_the_facts_list_its_years_from_the_first_to_the_last_without_a_distinct(hq_client, facts):
    with CaptureQueriesContext(connection) as queries:
        response = hq_client.get("/admin/kpi/fact/")

    assert response.status_code == 200
    assert _links(response, "date__year") == ["2025", "2026"]
    assert not [query["sql"] for query in queries if "DISTINCT" in query["sql"] and "kpi_fact" in query["sql"]]


def test_a_year_of_facts_lists_its_months_from_the_first_to_the_last(hq_client, facts):
    response = hq_client.get("/admin/kpi/fact/?date__year=2026")

    # October and November 2026 have facts; the range is those two months (2025's December is another year).
    assert _links(response, "date__month") == ["10", "11"]


def test_a_month_lists_every_day_from_its_first_fact_to_its_last_an_empty_one_too(hq_client, facts):
    response = hq_client.get("/admin/kpi/fact/?date__year=2026&date__month=11")

    # The 20th and the 24th have facts; the 21st to the 23rd are listed too (the price of no DISTINCT) and
    # their lists are empty.
    assert _links(response, "date__day") == ["20", "21", "22", "23", "24"]
    assert "0 " in hq_client.get("/admin/kpi/fact/?date__year=2026&date__month=11&date__day=22").content.decode()


def test_a_time_of_day_is_ranged_in_the_banks_days(hq_client):
    """TargetChange.changed_at: 23:30 UTC on 30 November is 07:30 on 1 December in Shanghai (UTC+8), so
    the month's days run from the 1st to the 3rd, not from 30 November."""
    from kpi.models import TargetChange

    for moment in (datetime.datetime(2026, 11, 30, 23, 30), datetime.datetime(2026, 12, 3, 9, 0)):
        change = TargetChange.objects.create(
            metric_code="customers_served", entity_code="GZ0101", period="2026-12", source="admin"
        )
        TargetChange.objects.filter(pk=change.pk).update(changed_at=moment.replace(tzinfo=datetime.UTC))

    with CaptureQueriesContext(connection) as queries:
        response = hq_client.get("/admin/kpi/targetchange/")

    # Both in December in the bank's time: the drill-down opens at that month's days.
    assert _links(response, "changed_at__day") == ["1", "2", "3"]
    assert not [query["sql"] for query in queries if "DISTINCT" in query["sql"] and "targetchange" in query["sql"]]


def test_a_small_table_keeps_djangos_drill_down_of_the_days_that_have_rows(hq_client, network):
    from kpi.models import IngestBatch

    for day in (datetime.date(2026, 11, 20), datetime.date(2026, 11, 24)):
        batch = IngestBatch.objects.create(source=IngestBatch.Source.CSV, rows=0)
        IngestBatch.objects.filter(pk=batch.pk).update(
            created_at=datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
        )

    response = hq_client.get("/admin/kpi/ingestbatch/?created_at__year=2026&created_at__month=11")

    assert _links(response, "created_at__day") == ["20", "24"]
