"""Banker-grade numbers on the pages (kpi/templatetags/kpi_format.py's rule, docs/architecture.md "Numbers
on pages"): no stored column's raw decimals (12934.0000, 89.3313) reach a page, a gap is never rounded away
by a change of unit, a percentage has its sign glued, a chart's axis has distinct ticks.

The real rollup (tests/kpi/ranking_data.py) writes its figures with four decimals (a score of 47.1429, a
required 14.6667 a day), and the figures below add a stored 12,934.0000 万元 and 89.3313 万元 on top:

  GZ0101, 2026-11-15, month to date: customers served 165 of 300, sign-ups 55 of 100 (ranking_data);
  wealth sales 12,934.0000 on the 14th + 89.3313 on the 15th = 13,023.3313 万元 against 2,500.0000,
  written 13,023.33 (a flow in 万元 on the scorecard however large: 亿元 only for a one-metric column
  or series, as its history).

The 亿 scorecard of tests/kpi/overview_data.py: GZ0101's deposit balance of 46,123.45 万元 against a
target of 50,000, 70 万元 behind its pace: the gap is "-70.00" 万元, not "-0.01" or "0.00" 亿元.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.utils import translation

from kpi.models import Fact, ScorecardLine, Target
from kpi.services.targets import target_set
from tests.factories import UserFactory
from tests.kpi import ranking_data
from tests.kpi.overview_data import DAY as OVERVIEW_DAY
from tests.kpi.overview_data import rolled_up_network


@pytest.fixture
def ranked(network):
    """Scored outlets, rolled up on the 14th and 15th (tests/kpi/ranking_data.py), made for each test: one of
    the module's tests makes its own network, which the module's shared data would stand in the way of."""
    return ranking_data.ranked_of(network)


RAW_DECIMALS = re.compile(r"\d+\.\d{4}\b")  # a stored column's four (or six) decimals
LANGUAGES = ("zh-hans", "en")


def _raw_numbers(html: str) -> list[str]:
    return RAW_DECIMALS.findall(html)


def _page(client, url: str, language: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


@pytest.fixture
def awkward(ranked):
    """The ranked network with wealth sales stored to four decimals and a target of 2,500.0000 万元."""
    tianhe_road = ranked["GZ0101"]
    for day, value in ((ranking_data.PREVIOUS, "12934.0000"), (ranking_data.DAY, "89.3313")):
        Fact.objects.create(
            date=day, unit=tianhe_road, metric=ranking_data.metric("wealth_sales"), value=Decimal(value)
        )
    Target.objects.create(
        unit=tianhe_road,
        metric=ranking_data.metric("wealth_sales"),
        period_kind="month",
        period_start=ranking_data.D(2026, 11, 1),
        period_end=ranking_data.D(2026, 11, 30),
        period="2026-11",
        value=Decimal("2500.0000"),
    )
    ranking_data.roll(ranking_data.PREVIOUS, ranking_data.DAY)
    return ranked


PAGES = (
    "/units/GZ0101/scorecard/?date=2026-11-15",
    "/units/GZ0101/scorecard/?date=2026-11-15&period=year",
    "/units/GZ0101/scorecard/?date=2026-11-15&period=day",
    "/units/GZ01/scorecard/?date=2026-11-15",
    "/units/GZ0101/metrics/wealth_sales/?date=2026-11-15",
    "/units/GZ0101/metrics/mobile_banking_signups/?date=2026-11-15&days=90",
    "/units/GZ01/overview/?date=2026-11-15",
    "/overview/?date=2026-11-15",
    "/bulletin/?unit=GZ01&date=2026-11-15",
    "/bulletin/?unit=GZ01&date=2026-11-15&period=day",
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_shows_a_stored_columns_raw_decimals(client, hq_admin, awkward, language):
    client.force_login(hq_admin)

    for url in PAGES:
        assert _raw_numbers(_page(client, url, language)) == [], url


def test_the_scorecard_writes_rolled_up_figures_by_the_rule(client, hq_admin, awkward):
    client.force_login(hq_admin)
    line = (
        ScorecardLine.objects.filter(
            scorecard__unit=awkward["GZ0101"],
            scorecard__run__date=ranking_data.DAY,
            scorecard__period="month",
            metric__code="wealth_sales",
        )
        .order_by("-scorecard__run__pk")
        .first()
    )
    assert (line.actual, line.target) == (Decimal("13023.3313"), Decimal("2500.0000"))  # as stored

    page = _page(client, "/units/GZ0101/scorecard/?date=2026-11-15", "en")

    # 13,023.3313 万元 passes 1 亿 but stays in 万元 on the scorecard; attainment 13,023.3313 / 2,500 =
    # 520.9 %, with the percent sign glued.
    assert '<td class="num">13,023.33</td>' in page
    assert '<td class="num">2,500.00</td>' in page
    assert '<td class="num">520.9%</td>' in page
    assert "亿元" not in page and " %" not in page


def test_the_history_of_a_large_flow_is_in_yi_yuan_as_a_whole_with_the_unit_in_its_headers(client, hq_admin, awkward):
    client.force_login(hq_admin)

    response = client.get("/units/GZ0101/metrics/wealth_sales/?date=2026-11-15", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()

    # The column's largest figure, 13,023.3313 万元, reaches 1 亿: the whole table in 亿元, the header says so
    # and the exact figure is the cell's title.
    assert response.context["scale"].unit == "亿元"
    assert 'Actual <small class="muted" title="亿元 (100,000,000 CNY)">(亿元)</small>' in page
    assert '<td class="num" title="13,023.33 万元">1.30</td>' in page
    assert '<td class="num" title="2,500.00 万元">0.25</td>' in page
    chart = json.loads(re.search(r'<script id="metric-history" type="application/json">(.*?)</script>', page).group(1))
    wealth = chart["metrics"]["wealth_sales"]
    assert (wealth["unit"], wealth["places"], wealth["actual"][-1]) == ("亿元", 2, 1.3)
    # The axis: the pace 2,500 × 14/30 = 1,166.67 万 (0.12 亿) … the actual 1.30 亿: (1.30 − 0.12) / 4 =
    # 0.295 → a step of 0.5: 0, 0.5, 1.0, 1.5.
    assert wealth["axis"] == {"min": 0.0, "max": 1.5, "interval": 0.5, "places": 2}


def test_a_gap_of_70_wan_on_a_yi_sized_balance_is_written_in_wan_yuan(client, unit_manager, network):
    rolled_up_network(network)
    balance = ScorecardLine.objects.get(
        scorecard__unit=network["GZ0101"], scorecard__period="month", metric__code="deposit_balance"
    )
    balance.gap_to_pace = Decimal("-70.0000")  # 46,123.45 against a pace of 46,193.45
    balance.save(update_fields=["gap_to_pace"])
    client.force_login(unit_manager)

    page = _page(client, f"/units/GZ0101/scorecard/?date={OVERVIEW_DAY}", "en")

    assert '<td class="num">-70.00</td>' in page  # the table
    assert ">-70.00 <small>万元</small><" in page  # the phone's card
    assert '<td class="num">0.00</td>' not in page and "-0.01" not in page
    assert _raw_numbers(page) == []


def test_the_admins_lists_write_stored_figures_by_their_metrics_unit(client, hq_admin, awkward):
    tianhe_road = awkward["GZ0101"]
    with translation.override("en"):
        target, _created = target_set(
            metric=ranking_data.metric("customers_served"),
            period=_month(),
            value=Decimal("4889"),
            unit=tianhe_road,
            changed_by=hq_admin,
            source="admin",
        )
    client.force_login(UserFactory(username="zhang.guodong", is_staff=True, is_superuser=True))

    facts = _page(client, "/admin/kpi/fact/?metric__id__exact=" + str(ranking_data.metric("wealth_sales").pk), "en")
    targets = _page(client, "/admin/kpi/target/", "en")
    changes = _page(client, "/admin/kpi/targetchange/", "en")
    change_form = _page(client, f"/admin/kpi/target/{target.pk}/change/", "en")

    assert "12,934.00" in facts and "89.33" in facts
    assert "4,889" in targets and "2,500.00" in targets
    assert "300 → 4889" not in changes and "4,889" in changes and "300" in changes  # customers: whole
    assert "4,889" in change_form
    for html in (facts, targets, changes):
        assert _raw_numbers(html) == []
    assert 'value="4889"' in change_form and "4889.0000" not in change_form  # the box to change it
    assert str(target) == "2026-11 GZ0101 customers_served → 4889"


def _month():
    from lib.periods import parse_period

    return parse_period("2026-11")
