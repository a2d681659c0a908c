"""Sense early in a period (kpi.selectors.pace, kpi.models.too_early_to_judge) and a behind-pace list that
ranks what matters (kpi.selectors.overview.behind_pace_lines).

Early: Monday 2026-11-02 is day 2 of November's 30, time progress 2/30 = 6.7 %, below the 10 % of
EARLY_PERIOD_BELOW. Tianhe Road (GZ0101):

  metric                   October final (31 Oct, progress 100 %)     November to 2 Nov
  deposit_growth           4,750 of 5,000 → 95.0 %, amber             800 of 5,400 → 14.8 %; pace 0.148148 /
                                                                      0.066667 = 222.2 %, green
  mobile_banking_signups   520 of 500 → 104.0 %, green                4 of 600 → 0.7 %; pace 0.006667 /
                                                                      0.066667 = 10.0 %, red
  wealth_sales             (no line in October)                       12, no target
  complaints               3, no target                               (no line yet)
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kpi.models import EARLY, LineKind, ScorecardLine, shown_status, too_early_to_judge
from kpi.selectors import overview as overview_reads
from kpi.selectors.pace import early_period_get
from kpi.selectors.scorecards import scorecard_get
from tests.kpi.overview_data import card, outlet_template
from tests.kpi.scorecard_factories import ScorecardLineFactory, metric, published_day

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)
OCTOBER_END = datetime.date(2026, 10, 31)


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def figures(scorecard, code, actual, target=None, attainment=None, pace=None, status=None, **extra) -> ScorecardLine:
    def number(value):
        return None if value is None else Decimal(str(value))

    return ScorecardLineFactory(
        scorecard=scorecard,
        metric=metric(code),
        actual=number(actual),
        target=number(target),
        attainment=number(attainment),
        pace_attainment=number(pace),
        status=status,
        **{name: number(value) if name != "target_from_children" else value for name, value in extra.items()},
    )


@pytest.fixture
def two_months(network):
    """October's final and November to date of GZ0101 (the module docstring)."""
    october = card(published_day(OCTOBER_END), network["GZ0101"])
    figures(october, "deposit_growth", 4750, 5000, "0.95", "0.95", "amber")
    figures(october, "mobile_banking_signups", 520, 500, "1.04", "1.04", "green")
    figures(october, "complaints", 3)
    november = card(published_day(DAY), network["GZ0101"])
    figures(november, "deposit_growth", 800, 5400, "0.148148", "2.222222", "green")
    figures(november, "mobile_banking_signups", 4, 600, "0.006667", "0.1", "red")
    figures(november, "wealth_sales", 12)
    return november


# -- when it is too early ---------------------------------------------------------------------------------


def test_pace_is_too_early_to_judge_below_ten_percent_of_the_period():
    # Day 2 of 30 (6.7 %) and day 3 of 31 (9.7 %) are early; day 3 of 30 is exactly 10 %: judged.
    assert too_early_to_judge(Decimal("0.066667")) is True
    assert too_early_to_judge(Decimal("0.096774")) is True
    assert too_early_to_judge(Decimal("0.100000")) is False
    # A day's own period is always whole (100 %); a week's first day is 1/7 = 14.3 %.
    assert too_early_to_judge(Decimal("1")) is False
    assert too_early_to_judge(Decimal("0.142857")) is False
    assert too_early_to_judge(None) is False


def test_the_threshold_is_a_setting(settings):
    settings.EARLY_PERIOD_BELOW = 0.15
    assert too_early_to_judge(Decimal("0.142857")) is True  # a week's Monday, now early
    settings.EARLY_PERIOD_BELOW = 0
    assert too_early_to_judge(Decimal("0.000001")) is False  # never early


def test_an_early_status_is_shown_muted_whatever_it_is_and_no_target_stays_no_target():
    early = Decimal("0.066667")
    assert [shown_status(status, early) for status in ("green", "amber", "red", None)] == [EARLY, EARLY, EARLY, None]
    assert shown_status("red", Decimal("0.8")) == "red"


# -- the previous period's final ------------------------------------------------------------------------


def test_early_in_the_month_the_previous_months_final_comes_beside_the_month_to_date(network, two_months):
    scorecard = scorecard_get(date=DAY, period="month", unit=network["GZ0101"])

    early = early_period_get(scorecard=scorecard)

    assert (early.period.code, early.previous.code, early.time_progress) == ("2026-11", "2026-10", Decimal("0.066667"))
    assert early.previous_scorecard.date == OCTOBER_END
    rows = [
        (
            row.metric.code,
            row.final and (row.final.actual, row.final.attainment, row.final.status),
            row.to_date and row.to_date.actual,
        )
        for row in early.rows
    ]
    # November's lines in catalog order, then what October had and November has not yet.
    assert rows == [
        ("deposit_growth", (Decimal("4750"), Decimal("0.95"), "amber"), Decimal("800")),
        ("mobile_banking_signups", (Decimal("520"), Decimal("1.04"), "green"), Decimal("4")),
        ("wealth_sales", None, Decimal("12")),
        ("complaints", (Decimal("3"), None, None), None),
    ]
    # The final's status is judged on the whole period: shown as it is.
    assert early.rows[0].final.shown_status == "amber"


def test_the_previous_final_is_read_in_two_queries(network, two_months, django_assert_num_queries):
    scorecard = scorecard_get(date=DAY, period="month", unit=network["GZ0101"])
    list(scorecard.lines.all())

    with django_assert_num_queries(2):
        early_period_get(scorecard=scorecard)


def test_later_in_the_month_there_is_no_previous_final_to_lead_with(network, django_assert_num_queries):
    # 4 November: 4/30 = 13.3 %, judged as usual; nothing is read.
    later = card(published_day(datetime.date(2026, 11, 4)), network["GZ0101"])
    figures(later, "mobile_banking_signups", 40, 600, "0.066667", "0.5", "red")
    scorecard = scorecard_get(date=datetime.date(2026, 11, 4), period="month", unit=network["GZ0101"])
    list(scorecard.lines.all())

    with django_assert_num_queries(0):
        assert early_period_get(scorecard=scorecard) is None


def test_early_in_the_year_the_final_is_last_years_31_december(network):
    # 20 January 2027: 20/365 = 5.5 % of the year.
    last_year = card(published_day(datetime.date(2026, 12, 31)), network["GZ0101"], period="year")
    figures(last_year, "mobile_banking_signups", 6100, 6000, "1.016667", "1.016667", "green")
    this_year = card(published_day(datetime.date(2027, 1, 20)), network["GZ0101"], period="year")
    figures(this_year, "mobile_banking_signups", 300, 6500, "0.046154", "0.843942", "red")

    early = early_period_get(
        scorecard=scorecard_get(date=datetime.date(2027, 1, 20), period="year", unit=network["GZ0101"])
    )

    assert (early.previous.code, early.time_progress) == ("2026", Decimal("0.054795"))
    assert [(row.final.actual, row.to_date.actual) for row in early.rows] == [(Decimal("6100"), Decimal("300"))]


def test_without_a_published_final_the_rows_say_so(network):
    november = card(published_day(DAY), network["GZ0101"])
    figures(november, "mobile_banking_signups", 4, 600, "0.006667", "0.1", "red")

    early = early_period_get(scorecard=scorecard_get(date=DAY, period="month", unit=network["GZ0101"]))

    assert early.previous_scorecard is None
    assert [(row.metric.code, row.final) for row in early.rows] == [("mobile_banking_signups", None)]


# -- the scorecard page -----------------------------------------------------------------------------------


def test_the_early_scorecard_page_leads_with_october_and_mutes_novembers_statuses(english, outlet_head, two_months):
    english.force_login(outlet_head)

    response = english.get("/units/GZ0101/scorecard/", {"date": DAY.isoformat(), "period": "month"})

    page = response.content.decode()
    assert response.status_code == 200
    lead = page.index('id="early-period-title"')
    assert lead < page.index('class="table scorecard"') and lead < page.index('class="scorecard-cards"')
    assert "How 2026-10 ended" in page
    assert "Only 6.7% of 2026-11 has passed: too early to judge pace" in page
    # October's final deposit growth, its attainment and status, beside November so far.
    assert "4,750.00 <small>万元</small>" in page and "Attainment 95.0%" in page
    assert '<span class="chip chip-amber"><span aria-hidden="true">!</span> Slightly behind</span>' in page
    # November's red sign-ups (10 % of pace) are muted on the table and on the phone's cards: no red at all.
    assert "chip-red" not in page and "metric-card-red" not in page
    assert page.count('<span class="chip chip-early"><span aria-hidden="true">◔</span> Too early to judge</span>') == 4
    assert '<dd class="behind-count">Too early to judge</dd>' in page
    assert response.context["behind"] == 0


def test_a_month_judged_as_usual_has_no_previous_period_section(english, outlet_head, network):
    judged = card(published_day(datetime.date(2026, 11, 3)), network["GZ0101"])
    figures(judged, "mobile_banking_signups", 30, 600, "0.05", "0.5", "red")  # 3/30 = 10 %: judged
    english.force_login(outlet_head)

    page = english.get("/units/GZ0101/scorecard/", {"date": "2026-11-03", "period": "month"}).content.decode()

    assert "early-period" not in page
    assert "chip-red" in page


# -- the overview ----------------------------------------------------------------------------------------


def test_early_in_the_month_the_heatmap_and_the_behind_list_colour_nothing_red(english, unit_manager, network):
    day = published_day(DAY)
    template = outlet_template()
    early_red = card(day, network["GZ0101"], template=template)
    figures(early_red, "mobile_banking_signups", 4, 600, "0.006667", "0.1", "red")
    english.force_login(unit_manager)

    response = english.get("/")

    cell = response.context["heatmap"].rows[0].cells[1]
    assert (cell.metric.code, cell.status, cell.state, str(cell.label)) == (
        "mobile_banking_signups",
        "red",
        "early",
        "Too early to judge",
    )
    assert (response.context["behind"], response.context["behind_count"]) == ([], 0)
    page = response.content.decode()
    assert "nothing is listed as behind before 10.0% of the period has passed" in page
    assert "◔: too early in the period to judge pace." in page


# -- the behind-pace list: points lost, then gap in the metric's unit -----------------------------------------
#
# Tuesday 2026-11-24, time progress 0.8. Template T-PACE weighs deposit growth 30, sign-ups 20 and premium
# customer growth 5 (floor 0, cap 1.2). Every line below is red.
#
#  unit    metric                    actual / target  pace-adjusted       points lost       gap to pace
#  GZ0101  premium_customers_growth  −2 / 1           −2 / 0.8 = −250 %   5 × (1 − 0) = 5   −2 − 0.8 = −2.8
#  GZ0102  deposit_growth            2,000 / 5,000    0.4 / 0.8 = 50 %    30 × 0.5 = 15     2,000 − 4,000 = −2,000
#  GZ0101  mobile_banking_signups    280 / 500        0.56 / 0.8 = 70 %   20 × 0.3 = 6      280 − 400 = −120
#  GZ01    deposit_growth            6,000 / 12,000   0.5 / 0.8 = 62.5 %  (no template)     6,000 − 9,600 = −3,600
#  GZ02    deposit_growth            100 / 1,000      0.1 / 0.8 = 12.5 %  (no template)     100 − 800 = −700
#  GZ01    complaints (lower)        9 / allowed 8    6.4 / 9 = 71.1 %    (no template)     9 − 6.4 = 2.6 over
#  GZ02    complaints (lower)        4 / allowed 2    1.6 / 4 = 40 %      (no template)     4 − 1.6 = 2.4 over
#
# By ratio the order was GZ0101 premium (−250 %), GZ02 deposits, GZ02 complaints, GZ0102 deposits… By what
# matters: 15, 6, 5 points lost; then deposit growth by its gap in 万元 (−3,600 before −700, though GZ02's
# ratio is worse); then complaints by how far over the allowance (2.6 before 2.4).


@pytest.fixture
def behind_day(network):
    day = published_day()
    template = outlet_template("T-PACE")
    template.lines.all().delete()
    for order, (code, weight) in enumerate(
        [("deposit_growth", 30), ("mobile_banking_signups", 20), ("premium_customers_growth", 5)]
    ):
        template.lines.create(metric=metric(code), kind=LineKind.WEIGHTED, weight=weight, sort_order=order)
    tianhe_road = card(day, network["GZ0101"], template=template)
    figures(tianhe_road, "premium_customers_growth", -2, 1, -2, "-2.5", "red", gap_to_pace="-2.8")
    figures(tianhe_road, "mobile_banking_signups", 280, 500, "0.56", "0.7", "red", gap_to_pace=-120)
    zhujiang = card(day, network["GZ0102"], template=template)
    figures(zhujiang, "deposit_growth", 2000, 5000, "0.4", "0.5", "red", gap_to_pace=-2000)
    tianhe = card(day, network["GZ01"])
    figures(tianhe, "deposit_growth", 6000, 12000, "0.5", "0.625", "red", gap_to_pace=-3600, target_from_children=True)
    figures(tianhe, "complaints", 9, 8, "0.888889", "0.711111", "red", gap_to_pace="2.6")
    conghua = card(day, network["GZ02"])
    figures(conghua, "deposit_growth", 100, 1000, "0.1", "0.125", "red", gap_to_pace=-700)
    figures(conghua, "complaints", 4, 2, "0.5", "0.4", "red", gap_to_pace="2.4")
    return day


def test_behind_pace_ranks_by_points_lost_then_by_gap_in_the_metrics_unit_never_by_ratio(network, behind_day):
    lines, total = overview_reads.behind_pace_lines(unit=network["GZ"], date=behind_day.date, period="month")

    assert [(line.scorecard.unit.code, line.metric.code, line.points_lost) for line in lines] == [
        ("GZ0102", "deposit_growth", Decimal("15")),
        ("GZ0101", "mobile_banking_signups", Decimal("6")),
        ("GZ0101", "premium_customers_growth", Decimal("5")),
        ("GZ01", "deposit_growth", None),
        ("GZ02", "deposit_growth", None),
        ("GZ01", "complaints", None),
        ("GZ02", "complaints", None),
    ]
    assert total == 7
    # The old order, by pace-adjusted attainment, would have led with the −250 % of a target of 1.
    by_ratio = sorted(lines, key=lambda line: line.pace_attainment)
    assert [(line.scorecard.unit.code, line.metric.code) for line in by_ratio][:2] == [
        ("GZ0101", "premium_customers_growth"),
        ("GZ02", "deposit_growth"),
    ]


def test_a_lines_floor_limits_the_points_it_can_lose(network, behind_day):
    # With a floor of 0.8 the sign-ups line (pace 0.7) scores at least 20 × 0.8 = 16: it loses 20 × 0.2 = 4,
    # not 6; the premium line with a floor of 0.9 loses 5 × (1 − 0.9) = 0.5, not 5.
    template_lines = behind_day.published_run.scorecard_set.get(unit=network["GZ0101"]).template.lines
    template_lines.filter(metric__code="mobile_banking_signups").update(floor=Decimal("0.8"))
    template_lines.filter(metric__code="premium_customers_growth").update(floor=Decimal("0.9"))

    lines, _total = overview_reads.behind_pace_lines(unit=network["GZ01"], date=behind_day.date, period="month")

    assert [(line.scorecard.unit.code, line.metric.code, line.points_lost) for line in lines][:3] == [
        ("GZ0102", "deposit_growth", Decimal("15")),
        ("GZ0101", "mobile_banking_signups", Decimal("4")),
        ("GZ0101", "premium_customers_growth", Decimal("0.5")),
    ]


def test_the_overview_says_what_the_behind_list_is_sorted_by(english, hq_admin, behind_day):
    english.force_login(hq_admin)

    response = english.get("/units/GZ/overview/")

    page = response.content.decode()
    assert "Sorted by the points each line loses against pace" in page
    assert "the largest gap to pace in the metric's unit first" in page
    # The first row: Zhujiang's deposit growth, 15.00 points, 2,000 万元 below pace; its ratio plain.
    first = page[page.index('<table class="table behind-pace">') :].split("<tbody>")[1].split("</tr>")[0]
    assert "Zhujiang New Town Outlet" in first and "15.00" in first and "-2,000.00 <small>万元</small>" in first
    # Tianhe's target is the sum of its outlets': marked.
    assert 'class="target-sum"' in page


# -- a target added up from the units below, on the pages ----------------------------------------------------


def test_a_sub_branch_scorecard_marks_the_target_added_up_from_its_outlets(english, unit_manager, network):
    # GZ0101's 300 and GZ0102's 200; Tianhe (GZ01) has none of its own: 500, from its children.
    tianhe = card(published_day(), network["GZ01"])
    figures(tianhe, "mobile_banking_signups", 420, 500, "0.84", "1.05", "green", target_from_children=True)
    figures(tianhe, "customers_served", 900, 1000, "0.9", "1.125", "green")
    english.force_login(unit_manager)

    page = english.get("/units/GZ01/scorecard/", {"date": "2026-11-24", "period": "month"}).content.decode()

    marker = (
        '<span class="target-sum" title="Sum of the targets of the units below (no target of its own)">∑'
        '<span class="visually-hidden"> Sum of the targets of the units below (no target of its own)</span></span>'
    )
    # Once on the table and once on the phone's card, only beside the 500.
    assert page.count(marker) == 2
    assert f"500{marker}" in page
    assert "∑: no target of its own for the metric; the target is the sum of the targets of the units below." in page


def test_the_heatmap_marks_a_cell_whose_target_is_added_up(english, hq_admin, network):
    day = published_day()
    guangzhou = card(day, network["GZ"])
    figures(guangzhou, "deposit_growth", 8400, 10000, "0.84", "1.05", "green", target_from_children=True)
    shenzhen = card(day, network["SZ"])
    figures(shenzhen, "deposit_growth", 1472, 2000, "0.736", "0.92", "amber")
    english.force_login(hq_admin)

    response = english.get("/units/HQ/overview/")

    cells = {row.unit.code: row.cells[0] for row in response.context["heatmap"].rows}
    assert (cells["GZ"].target_from_children, cells["SZ"].target_from_children) == (True, False)
    assert response.content.decode().count('class="target-sum"') == 1
