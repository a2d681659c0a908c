"""The comparisons and the forecast on the scorecard page (templates/kpi/_scorecard_comparisons.html and
_metric_card_comparisons.html) and in its download, for Tuesday 2026-11-24 (24 of November's 30 days).

  mobile_banking_signups  420 of 500; October 1–24: 350 (+70, +20.0 %);
                          November 1–24 2025: 480 (−60, −12.5 %); the year to date 5,210 from 0.
                          Forecast: 420 / 24 × 30 = 525, 105 % of 500, reached on 11-29 (run rate).
  deposit_balance         46,123.45 万元; 2025-12-31 40,000.00 → +6,123.45 (+15.3 %); no forecast (a level).
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from tests.kpi.scorecard_factories import ScorecardFactory, ScorecardLineFactory, metric, published_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def compared(network):
    card = ScorecardFactory(run=published_day().published_run, unit=network["GZ0101"], period="month")
    ScorecardLineFactory(
        scorecard=card,
        metric=metric("mobile_banking_signups"),
        actual="420",
        target="500",
        attainment="0.84",
        pace_attainment="1.05",
        status="green",
        previous_actual="350",
        last_year_actual="480",
        year_start_actual="0",
        year_to_date_actual="5210",
    )
    ScorecardLineFactory(
        scorecard=card,
        metric=metric("deposit_balance"),
        actual="46123.45",
        year_start_actual="40000",
        year_to_date_actual="46123.45",
    )
    return card


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_desktop_table_shows_each_comparison_and_the_forecast(english, outlet_head, compared):
    english.force_login(outlet_head)

    page = english.get("/scorecard/").content.decode()
    table = _text(page.split('class="table-scroll scorecard-table scorecard-comparisons"', 1)[1].split("</table>")[0])

    assert "Previous period, to 24 Oct" in table and "Same period last year, to 24 Nov 2025" in table
    assert (
        "Mobile banking sign-ups 户 350 +70 +20.0% 480 -60 -12.5% 0 +5,210 525 105.0% 29 Nov Run rate so far" in table
    )
    # A balance: its change since 31 December with its rate, and no forecast; in 万元, as its row of the
    # scorecard (the number rule: a scorecard's rows stay in their metric's unit, 46,123.45 万元 included).
    assert "Deposit balance 万元 — — — — 40,000.00 +6,123.45 +15.3% — — — —" in table


def test_each_phone_card_carries_the_changes_and_the_forecast(english, outlet_head, compared):
    english.force_login(outlet_head)

    page = english.get("/scorecard/").content.decode()
    cards = page.split('<div class="scorecard-cards">', 1)[1]
    signups = _text(cards.split("Mobile banking sign-ups", 1)[1].split("</li>", 1)[0])

    assert "Previous period +70 +20.0%" in signups
    assert "Same period last year -60 -12.5%" in signups
    assert "Since the start of the year +5,210" in signups
    assert "Projected attainment 105.0% Target date 29 Nov Forecast: Run rate so far" in signups


def test_the_day_view_has_no_forecast_columns(english, outlet_head, network):
    card = ScorecardFactory(run=published_day().published_run, unit=network["GZ0101"], period="day")
    ScorecardLineFactory(scorecard=card, metric=metric("mobile_banking_signups"), actual="20", previous_actual="16")
    english.force_login(outlet_head)

    page = english.get("/scorecard/?period=day").content.decode()

    assert "Previous period, to 23 Nov" in page
    assert "Forecast of the period end" not in page
    assert "+4 <small>+25.0%</small>" in page


def test_the_download_has_the_comparisons_after_the_old_columns(english, outlet_head, compared):
    english.force_login(outlet_head)

    header, *rows = list(csv.reader(io.StringIO(english.get("/scorecard/?export=csv").content.decode("utf-8-sig"))))
    by_metric = {row[1]: dict(zip(header, row, strict=True)) for row in rows}

    signups = by_metric["mobile_banking_signups"]
    assert (signups["Previous period: value then"], signups["Previous period: change"]) == ("350.0000", "70.0000")
    assert Decimal(signups["Previous period: change rate"]) == Decimal("0.2")
    assert Decimal(signups["Same period last year: change"]) == Decimal("-60")
    assert Decimal(signups["Same period last year: change rate"]) == Decimal("-0.125")
    assert signups["Since the start of the year: change rate"] == ""
    assert signups["Target reached on"] == "2026-11-29"
    deposits = by_metric["deposit_balance"]
    assert (deposits["Start of the year: value"], deposits["Since the start of the year: change"]) == (
        "40000.0000",
        "6123.4500",
    )
    assert deposits["Projected at period end"] == ""
