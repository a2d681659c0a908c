"""The overview's reads (kpi.selectors.overview.overview_get, behind_pace_lines): a unit's
children × key metrics coloured by status, and the lines behind pace. Figures: tests/kpi/overview_data.py."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from branches.models import UnitStatus
from kpi.models import RollupDay, TemplateLine
from kpi.selectors import overview as overview_reads
from tests.factories import OrgUnitFactory
from tests.kpi.overview_data import DAY, TEMPLATE_METRICS, card, line, outlet_template, rolled_up_network
from tests.kpi.scorecard_factories import metric, published_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def rolled_up(network):
    return rolled_up_network(network)


def grid(overview) -> dict[str, list[str]]:
    """Unit code → the state of each cell, in column order."""
    return {row.unit.code: [cell.state for cell in row.cells] for row in overview.rows}


# -- the heatmap -------------------------------------------------------------------------------------


def test_the_rows_are_the_child_units_and_the_columns_the_lines_of_their_template(network, rolled_up):
    overview = overview_reads.overview_get(unit=network["GZ01"], date=DAY, period="month")

    assert [metric.code for metric in overview.metrics] == TEMPLATE_METRICS
    assert grid(overview) == {
        # deposits 0.922469 amber, sign-ups 1.05 green, risk events without a target
        "GZ0101": ["amber", "green", "none"],
        # deposits 0.75 red, sign-ups 0.625 red, no risk-events line at all
        "GZ0102": ["red", "red", "missing"],
    }


def test_a_cell_carries_the_figures_of_the_line(network, rolled_up):
    overview = overview_reads.overview_get(unit=network["GZ01"], date=DAY, period="month")

    signups = overview.rows[0].cells[1]
    assert (signups.metric.code, signups.actual, signups.target, signups.pace_attainment) == (
        "mobile_banking_signups",
        Decimal("420"),
        Decimal("500"),
        Decimal("1.05"),
    )
    with translation.override("en"):
        assert [str(cell.label) for cell in overview.rows[0].cells] == ["Slightly behind", "On pace", "No target"]
        assert [str(cell.label) for cell in overview.rows[1].cells] == ["Behind", "Behind", "No figures"]


def test_a_row_knows_whether_units_hang_under_it(network, rolled_up):
    overview = overview_reads.overview_get(unit=network["HQ"], date=DAY, period="month")

    assert [(row.unit.code, row.has_children) for row in overview.rows] == [("GZ", True), ("SZ", True)]
    outlets = overview_reads.overview_get(unit=network["GZ01"], date=DAY, period="month").rows
    assert [row.has_children for row in outlets] == [False, False]


def test_units_no_template_scores_get_the_default_headline_metrics(network, rolled_up):
    overview = overview_reads.overview_get(unit=network["HQ"], date=DAY, period="month")

    assert [metric.code for metric in overview.metrics] == list(overview_reads.DEFAULT_OVERVIEW_METRICS)
    # Deposit growth first: GZ 8,400 of 10,000 (0.84 at time progress 0.8: 1.05) green, SZ 1,472 of
    # 2,000 (0.736 / 0.8 = 0.92) amber; nothing else reported.
    assert grid(overview) == {
        "GZ": ["green", "missing", "missing", "missing", "missing", "missing"],
        "SZ": ["amber", "missing", "missing", "missing", "missing", "missing"],
    }


def test_the_period_kind_picks_the_scorecards_of_that_period(network, rolled_up):
    overview = overview_reads.overview_get(unit=network["GZ01"], date=DAY, period="year")

    # Only GZ0101 has a year scorecard: sign-ups 0.966284, amber.
    assert grid(overview) == {"GZ0101": ["missing", "amber", "missing"], "GZ0102": ["missing", "missing", "missing"]}


def test_before_the_first_rollup_the_children_are_listed_without_figures(network):
    overview = overview_reads.overview_get(unit=network["GZ01"], date=None, period="month")

    assert [metric.code for metric in overview.metrics] == list(overview_reads.DEFAULT_OVERVIEW_METRICS)
    assert grid(overview) == {"GZ0101": ["missing"] * 6, "GZ0102": ["missing"] * 6}


def test_a_closed_outlet_stays_only_while_it_has_a_scorecard(network, rolled_up):
    closed = OrgUnitFactory.outlet_of(network["GZ01"], code="GZ0103", name_zh="已撤并网点", status=UnitStatus.CLOSED)
    assert "GZ0103" not in grid(overview_reads.overview_get(unit=network["GZ01"], date=DAY, period="month"))

    line(card(RollupDay.objects.get(date=DAY), closed), "deposit_balance", 100, 200, "0.5", "red")

    assert grid(overview_reads.overview_get(unit=network["GZ01"], date=DAY, period="month"))["GZ0103"] == [
        "red",
        "missing",
        "missing",
    ]


def test_only_the_published_run_of_the_day_is_read(network, rolled_up):
    republished = published_day(DAY)  # a new run takes over the day; its GZ0101 is green on deposits
    fresh = card(republished, network["GZ0101"], template=outlet_template("T-NEW"))
    line(fresh, "deposit_balance", 51000, 50000, "1.02", "green")

    overview = overview_reads.overview_get(unit=network["GZ01"], date=DAY, period="month")

    # T-NEW has the same three lines; GZ0102 has no scorecard in the new run.
    assert grid(overview) == {"GZ0101": ["green", "missing", "missing"], "GZ0102": ["missing"] * 3}


def test_two_templates_give_the_union_of_their_metrics_each_once(network):
    day = published_day(DAY)
    first = outlet_template("T-A")
    second = outlet_template("T-B")
    second.lines.filter(metric__code="risk_events").delete()
    TemplateLine.objects.create(template=second, metric=metric("wealth_sales"), weight=10, sort_order=0)
    card(day, network["GZ0101"], template=first)
    card(day, network["GZ0102"], template=second)

    overview = overview_reads.overview_get(unit=network["GZ01"], date=DAY, period="month")

    # T-A's lines in order, then what T-B adds.
    assert [metric.code for metric in overview.metrics] == [*TEMPLATE_METRICS, "wealth_sales"]


def test_the_overview_reads_in_five_queries_whatever_the_number_of_units(network, django_assert_num_queries):
    day = published_day(DAY)
    template = outlet_template()
    big = OrgUnitFactory.sub_branch_of(network["GZ"], code="GZ09", name_zh="大支行")
    for number in range(15):
        outlet = OrgUnitFactory.outlet_of(big, code=f"GZ09{number:02d}", name_zh=f"网点{number}")
        scored = card(day, outlet, template=template, score=number)
        line(scored, "deposit_balance", 100, 200, "0.5", "red")
        line(scored, "mobile_banking_signups", 100, 100, "1.25", "green")
    small = card(day, network["GZ0101"], template=template)
    line(small, "deposit_balance", 100, 200, "0.5", "red")

    with django_assert_num_queries(5):
        small_overview = overview_reads.overview_get(unit=network["GZ01"], date=DAY, period="month")
    with django_assert_num_queries(5):
        big_overview = overview_reads.overview_get(unit=big, date=DAY, period="month")

    assert (len(small_overview.rows), len(big_overview.rows)) == (2, 15)
    assert {tuple(states) for states in grid(big_overview).values()} == {("red", "green", "missing")}


# -- behind pace ---------------------------------------------------------------------------------------


def test_the_lines_behind_pace_of_the_subtree_come_most_behind_first(network, rolled_up):
    lines, total = overview_reads.behind_pace_lines(unit=network["GZ01"], date=DAY, period="month")

    assert [(line.scorecard.unit.code, line.metric.code, line.pace_attainment) for line in lines] == [
        ("GZ0102", "mobile_banking_signups", Decimal("0.625")),
        ("GZ0102", "deposit_balance", Decimal("0.75")),
        ("GZ01", "deposit_balance", Decimal("0.845816")),
        ("GZ01", "mobile_banking_signups", Decimal("0.861111")),
    ]
    assert total == 4


def test_the_network_sees_every_red_line(network, rolled_up):
    lines, total = overview_reads.behind_pace_lines(unit=network["HQ"], date=DAY, period="month")

    # SZ0101 0.05, GZ0201 0.125, then the four of Tianhe.
    assert [line.scorecard.unit.code for line in lines][:2] == ["SZ0101", "GZ0201"]
    assert total == 6


def test_at_most_twenty_lines_are_listed_and_the_total_is_told(network):
    day = published_day(DAY)
    for number in range(25):
        outlet = OrgUnitFactory.outlet_of(network["GZ01"], code=f"GZ01{number + 10:02d}", name_zh=f"网点{number}")
        line(card(day, outlet), "customers_served", number, 100, f"0.{number:02d}", "red")

    lines, total = overview_reads.behind_pace_lines(unit=network["GZ01"], date=DAY, period="month")

    assert (len(lines), total) == (20, 25)
    assert [line.pace_attainment for line in lines][:3] == [Decimal("0"), Decimal("0.01"), Decimal("0.02")]
    assert lines[-1].pace_attainment == Decimal("0.19")


def test_nothing_is_behind_before_the_first_rollup(network):
    assert overview_reads.behind_pace_lines(unit=network["HQ"], date=None, period="month") == ([], 0)
