"""The customers-by-tier page against the unit's scorecard: which day each counts.

The tiering of November 2026 (tests/customers/conftest.py) counts at 天河路网点 GZ0101: C1 三星, C2 三星,
C3 二星, C5 五星 (C4 lost): 3 premium customers (三星及以上), written as facts dated 2026-11-30, the day
the page counts. The scorecard of 2026-11-30 says 3 as well. A premium_customers fact reported after the
tiering (a daily extract) makes the scorecard of 2026-12-03 say 4, while its tier counts stay November's
(1 三星 … 1 五星 carried forward: 3): the page must say that the two count different days, with both
figures, and link the scorecard of the day it counts.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests.customers.clients import page_text
from tests.kpi.history_data import day_card, line

pytestmark = pytest.mark.django_db

URL = "/units/GZ0101/customers/"
NOV_END = datetime.date(2026, 11, 30)
DEC_3 = datetime.date(2026, 12, 3)


@pytest.fixture
def published_through_december_3(monkeypatch):
    """The scorecards open on the latest day rolled up before today: today is 2026-12-04 here."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: datetime.date(2026, 12, 4))


def premium_on_scorecard(outlet, day, customers: int) -> None:
    line(day_card(day, unit=outlet), "premium_customers", actual=customers)


def test_the_page_says_the_scorecard_of_a_later_day_counts_premium_customers_reported_since_the_tiering(
    english, outlet_head, network, tiered, published_through_december_3
):
    premium_on_scorecard(network["GZ0101"], NOV_END, 3)
    premium_on_scorecard(network["GZ0101"], DEC_3, 4)
    english.force_login(outlet_head)

    response = english.get(URL)
    page = page_text(response)

    assert response.context["pyramid"].premium == 3
    assert "Counted as of the month's end: <strong>2026-11-30</strong>" in page
    assert (
        "The scorecard of 2026-12-03 shows 4 premium customers (三星及以上客户数): a count reported after this "
        "tiering, while its tier counts stay those of 2026-11 until the next month is tiered. This page counts 3 "
        "premium customers, tiered on the average daily AUM of 2026-11, as of 2026-11-30." in page
    )
    assert '<a href="/units/GZ0101/scorecard/?date=2026-11-30">Scorecard of 2026-11-30' in page


def test_the_page_says_nothing_more_when_the_latest_scorecard_counts_what_the_tiering_counted(
    english, outlet_head, network, tiered, published_through_december_3
):
    premium_on_scorecard(network["GZ0101"], NOV_END, 3)
    premium_on_scorecard(network["GZ0101"], DEC_3, 3)
    english.force_login(outlet_head)

    page = page_text(english.get(URL))

    assert "The scorecard of 2026-12-03" not in page
    assert '<a href="/units/GZ0101/scorecard/?date=2026-11-30">' in page


def test_an_earlier_month_is_not_compared_with_the_latest_scorecard(
    english, outlet_head, network, tiered, published_through_december_3
):
    # October's tiering counted 2 premium customers at GZ0101 (C2 四星, C4 私行); the latest scorecard's 4
    # is compared with the latest month tiered only.
    premium_on_scorecard(network["GZ0101"], DEC_3, 4)
    english.force_login(outlet_head)

    response = english.get(URL, {"month": "2026-10"})
    page = page_text(response)

    assert response.context["pyramid"].premium == 2
    assert "Counted as of the month's end: <strong>2026-10-31</strong>" in page
    assert "The scorecard of 2026-12-03" not in page
    assert "?date=2026-10-31" not in page  # no scorecard of that day
