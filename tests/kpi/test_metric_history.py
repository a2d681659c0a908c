"""The daily history of a metric (kpi.selectors.history.metric_history) and its page, /units/<code>/metrics/<metric>/
and /staff/<code>/metrics/<metric>/ (kpi/views/history.py, templates/kpi/metric_history.html).

The Tianhe Road outlet (GZ0101), month scorecards of November 2026 (30 days). The pace line is where the
target says the actual should be that day: target × time progress (as the rollup stores it, six
decimals) for a cumulative kind, the target itself for a level.

  day          mobile_banking_signups (sum, target 500)          deposit_balance (last, 50,000 万元)
               actual  progress   pace                 status    actual        pace
  Fri 20 Nov    330    0.666667   333.3335  → 333      amber
  Sat 21 Nov     —   (not rolled up: a gap, not a zero)
  Sun 22 Nov    360    0.733333   366.6665  → 367      amber
  Mon 23 Nov    400    0.766667   383.3335  → 383      green
  Tue 24 Nov    420    0.8        400                  green     46,123.45     50,000 (4.61 / 5.00 亿元)
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from kpi.models import Fact, Metric, Target
from kpi.selectors import history as history_reads
from kpi.services import rollup
from tests.factories import AssignmentFactory, StaffMemberFactory
from tests.kpi.history_data import day_card, days_from, line, published_run
from tests.kpi.scorecard_factories import RollupRunFactory, ScorecardFactory, ScorecardLineFactory, metric

D = datetime.date
NOV = {20: ("330", "0.989999", "amber"), 22: ("360", "0.981818", "amber"), 23: ("400", "1.043478", "green")}


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def november(network):
    """The table of the module docstring, plus the October month end (target 450, reached: 460)."""
    outlet = network["GZ0101"]
    for day, (actual, pace_attainment, status) in NOV.items():
        card = day_card(D(2026, 11, day), unit=outlet)
        line(card, "mobile_banking_signups", actual=actual, target=500, pace_attainment=pace_attainment, status=status)
    card = day_card(D(2026, 11, 24), unit=outlet)
    signups = {"target": 500, "attainment": "0.84", "pace_attainment": "1.05", "status": "green"}
    line(card, "mobile_banking_signups", actual=420, **signups)
    line(card, "deposit_balance", actual="46123.45", target=50000, pace_attainment="0.922469", status="amber")
    line(card, "complaints", actual=1)
    line(card, "avg_wait_minutes", actual="12.5", target=10, pace_attainment="0.8", status="red")
    october = day_card(D(2026, 10, 31), unit=outlet)
    line(october, "mobile_banking_signups", actual=460, target=450, pace_attainment="1.022222", status="green")
    return outlet


def _signups(signups: Metric | None = None, **options) -> list[history_reads.HistoryPoint]:
    """Sign-ups of the month scorecards from 20 to 24 November."""
    options.setdefault("unit", None)
    signups = signups or metric("mobile_banking_signups")
    first, last = D(2026, 11, 20), D(2026, 11, 24)
    return history_reads.metric_history(period="month", first=first, last=last, metric=signups, **options)


# -- the selector ------------------------------------------------------------------------------------


def test_the_history_is_read_in_one_query_with_the_pace_of_the_target(november, django_assert_num_queries):
    signups = metric("mobile_banking_signups")

    with django_assert_num_queries(1):
        points = _signups(signups, unit=november)

    assert [(point.date.day, point.actual, point.status) for point in points] == [
        (20, Decimal("330"), "amber"),
        (22, Decimal("360"), "amber"),
        (23, Decimal("400"), "green"),
        (24, Decimal("420"), "green"),
    ]
    # 500 × 0.666667, 500 × 0.733333, 500 × 0.766667, 500 × 0.8
    assert [point.pace for point in points] == [Decimal("333.3335"), Decimal("366.6665"), Decimal("383.3335"), 400]
    assert points[-1].pace_attainment == Decimal("1.05")


def test_a_level_paces_at_its_target_whatever_the_time_progress(november):
    deposits = history_reads.metric_history(
        period="month", first=D(2026, 11, 1), last=D(2026, 11, 24), unit=november, metric=metric("deposit_balance")
    )
    waiting = history_reads.metric_history(
        period="month", first=D(2026, 11, 1), last=D(2026, 11, 24), unit=november, metric=metric("avg_wait_minutes")
    )

    assert [(point.actual, point.pace) for point in deposits] == [(Decimal("46123.45"), 50000)]
    assert [(point.actual, point.pace) for point in waiting] == [(Decimal("12.5"), 10)]  # lower is better


def test_a_metric_without_a_target_has_no_pace_line(november):
    (point,) = history_reads.metric_history(
        period="month", first=D(2026, 11, 24), last=D(2026, 11, 24), unit=november, metric=metric("complaints")
    )

    assert point.pace is None
    assert point.status is None
    with translation.override("en"):
        assert str(point.status_label) == "No target"


def test_the_pace_line_starts_again_with_each_period(november):
    card = day_card(D(2026, 11, 1), unit=november)
    line(card, "mobile_banking_signups", actual=20, target=500)

    signups = metric("mobile_banking_signups")
    points = history_reads.metric_history(
        period="month", first=D(2026, 10, 31), last=D(2026, 11, 1), unit=november, metric=signups
    )

    # 31 Oct: 450 × 31/31; 1 Nov: 500 × 0.033333 (1/30 as stored)
    assert [(point.date, point.pace) for point in points] == [
        (D(2026, 10, 31), 450),
        (D(2026, 11, 1), Decimal("16.6665")),
    ]


def test_only_the_published_run_of_each_day_is_read(november):
    superseded = RollupRunFactory(date=D(2026, 11, 22), status="superseded")
    old = ScorecardFactory(run=superseded, unit=november)
    ScorecardLineFactory(scorecard=old, metric=metric("mobile_banking_signups"), actual="999")
    running = RollupRunFactory(date=D(2026, 11, 21), status="running")  # the gap day, still rolling up
    pending = ScorecardFactory(run=running, unit=november)
    ScorecardLineFactory(scorecard=pending, metric=metric("mobile_banking_signups"), actual="888")

    points = _signups(unit=november)

    assert [point.actual for point in points] == [Decimal("330"), Decimal("360"), Decimal("400"), Decimal("420")]


def test_other_period_kinds_units_and_staff_stay_out(november, network, teller):
    run = published_run(D(2026, 11, 24))
    year = ScorecardFactory(run=run, unit=november, period="year")
    ScorecardLineFactory(scorecard=year, metric=metric("mobile_banking_signups"), actual="5210")
    sibling = ScorecardFactory(run=run, unit=network["GZ0102"])
    ScorecardLineFactory(scorecard=sibling, metric=metric("mobile_banking_signups"), actual="77")
    mine = ScorecardFactory(run=run, staff=teller.staff_member)
    ScorecardLineFactory(scorecard=mine, metric=metric("mobile_banking_signups"), actual="36")

    assert [point.actual for point in _signups(unit=november)][-1] == Decimal("420")
    assert [point.actual for point in _signups(unit=network["GZ0102"])] == [Decimal("77")]
    assert [point.actual for point in _signups(staff=teller.staff_member)] == [Decimal("36")]


def test_every_metric_of_an_entity_comes_in_the_same_one_query(november, django_assert_num_queries):
    with django_assert_num_queries(1):
        points = history_reads.metric_history(
            period="month", first=D(2026, 11, 20), last=D(2026, 11, 24), unit=november
        )

    by_metric: dict[str, list[int]] = {}
    codes = dict(Metric.objects.values_list("pk", "code"))
    for point in points:
        by_metric.setdefault(codes[point.metric_id], []).append(point.date.day)
    assert by_metric == {
        "mobile_banking_signups": [20, 22, 23, 24],
        "deposit_balance": [24],
        "complaints": [24],
        "avg_wait_minutes": [24],
    }


def test_the_history_names_exactly_one_entity(november, teller):
    with pytest.raises(ValueError):
        _signups()
    with pytest.raises(ValueError):
        _signups(unit=november, staff=teller.staff_member)


def test_the_history_reads_what_the_rollup_published_and_old_days_keep_only_period_ends(network, settings):
    """Through the real rollup, looked back on from 15 February 2027 (more than 62 days later): of Sunday
    29 Nov (a week end), Monday 30 Nov (a month end), 1 and 2 Dec, only the period ends keep scorecards.
    Ten sign-ups a day from the 29th, target 300 for November: month to date 10 and 20, pace
    300 × 0.966667 = 290.0001 and 300 × 1."""
    settings.SCORECARD_RETENTION_DAYS = 62
    outlet = network["GZ0101"]
    signups = metric("mobile_banking_signups")
    Target.objects.create(
        unit=outlet, metric=signups, period_kind="month", period_start=D(2026, 11, 1), period_end=D(2026, 11, 30),
        period="2026-11", value=Decimal(300),
    )  # fmt: skip
    days = days_from(D(2026, 11, 29), 4)
    for day in days:
        Fact.objects.create(date=day, unit=outlet, metric=signups, value=Decimal(10))
    for day in days:
        rollup.rollup_day(day=day, today=D(2027, 2, 15))

    points = history_reads.metric_history(period="month", first=days[0], last=days[-1], unit=outlet, metric=signups)

    assert [(point.date, point.actual, point.status) for point in points] == [
        (D(2026, 11, 29), Decimal("10"), "red"),  # 10 against a pace of 290
        (D(2026, 11, 30), Decimal("20"), "red"),
    ]
    assert [point.pace for point in points] == [Decimal("290.0001"), 300]


# -- the page ----------------------------------------------------------------------------------------


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _chart(page: str, source: str = "metric-history") -> dict:
    match = re.search(rf'<script id="{source}" type="application/json">(.*?)</script>', page, re.S)
    assert match, f"no {source} JSON on the page"
    return json.loads(match.group(1))


def _body_rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr.*?</tr>", body, re.S)


def test_the_outlet_head_reads_the_daily_history_of_a_metric(english, outlet_head, november):
    english.force_login(outlet_head)

    page = _page(english.get("/units/GZ0101/metrics/mobile_banking_signups/?date=2026-11-24"))

    assert "Mobile banking sign-ups" in page
    rows = _body_rows(page)
    assert len(rows) == 30  # 26 Oct – 24 Nov, newest first
    newest = rows[0]
    assert "Tue 24 Nov 2026" in newest
    for figure in ("420", "500", "400", "84.0%", "105.0%"):
        assert f'<td class="num">{figure}</td>' in newest, figure
    assert '<span class="chip chip-green"><span aria-hidden="true">✓</span> On pace</span>' in newest
    assert '<td class="num">383</td>' in rows[1]  # 23 Nov: 500 × 0.766667 = 383.33
    assert "Sat 21 Nov 2026" in rows[3]
    assert "No published figures for this day" in rows[3]
    assert "Days with figures" in page
    assert "<dd>5 / 30</dd>" in page  # 20, 22, 23, 24 Nov and the October month end
    assert "the pace line is the target × time progress" in page


def test_the_chart_draws_the_same_days_with_gaps_as_gaps(english, outlet_head, november):
    english.force_login(outlet_head)

    page = _page(english.get("/units/GZ0101/metrics/mobile_banking_signups/?date=2026-11-24"))

    chart = _chart(page)
    assert len(chart["dates"]) == 30
    assert (chart["dates"][0], chart["dates"][-1]) == ("26 Oct", "24 Nov")
    series = chart["metrics"]["mobile_banking_signups"]
    assert series["actual"][-5:] == [330, None, 360, 400, 420]
    assert series["pace"][-5:] == [333, None, 367, 383, 400]
    assert series["actual"][:5] == [None] * 5
    assert (series["unit"], series["places"]) == ("户", 0)
    assert 'data-chart="trend" data-source="metric-history" data-metric="mobile_banking_signups"' in page
    # ECharts from the vendored copy only: the chart draws with the network unplugged.
    assert '<script src="/static/vendor/echarts-6.1.0/echarts.min.js" defer></script>' in page
    assert '<script src="/static/js/charts.js" defer></script>' in page
    assert not re.search(r'<script[^>]+src="(https?:)?//', page)


def test_large_money_is_written_in_yi_yuan_in_the_table_and_the_chart(english, outlet_head, november):
    english.force_login(outlet_head)

    page = _page(english.get("/units/GZ0101/metrics/deposit_balance/?date=2026-11-24"))

    newest = _body_rows(page)[0]
    assert '<td class="num" title="46,123.45 万元">4.61</td>' in newest
    assert '<td class="num" title="50,000.00 万元">5.00</td>' in newest
    assert '<td class="num">5.00</td>' in newest  # the pace of a level: the target
    assert "亿元" in page
    series = _chart(page)["metrics"]["deposit_balance"]
    assert (series["actual"][-1], series["pace"][-1], series["unit"], series["places"]) == (4.61, 5.0, "亿元", 2)
    assert "A level (a balance, an average or a rate): the pace line is the target itself." in page


def test_ninety_days_show_the_pruned_days_as_gaps(english, outlet_head, network):
    """Days older than SCORECARD_RETENTION_DAYS keep only period ends: 31 Aug, 30 Sep and 31 Oct here, and
    the recent 24 Nov. 90 days up to 24 Nov start on 27 Aug."""
    outlet = network["GZ0101"]
    for day, actual in ((D(2026, 8, 31), 300), (D(2026, 9, 30), 310), (D(2026, 10, 31), 460), (D(2026, 11, 24), 420)):
        line(day_card(day, unit=outlet), "mobile_banking_signups", actual=actual)
    english.force_login(outlet_head)

    page = _page(english.get("/units/GZ0101/metrics/mobile_banking_signups/?date=2026-11-24&days=90"))

    chart = _chart(page)
    assert len(chart["dates"]) == 90
    assert chart["dates"][0] == "27 Aug"
    actual = chart["metrics"]["mobile_banking_signups"]["actual"]
    assert {index: value for index, value in enumerate(actual) if value is not None} == {
        4: 300,  # 31 Aug
        34: 310,  # 30 Sep
        65: 460,  # 31 Oct
        89: 420,  # 24 Nov
    }
    rows = _body_rows(page)
    assert len(rows) == 90
    assert sum("No published figures for this day" in row for row in rows) == 86
    assert 'aria-current="page">90 days</a>' in page
    assert "<dd>4 / 90</dd>" in page


def test_the_page_speaks_chinese_by_default(client, outlet_head, november):
    client.force_login(outlet_head)

    page = _page(client.get("/units/GZ0101/metrics/mobile_banking_signups/?date=2026-11-24"))

    assert "手机银行签约" in page
    # The heading names the metric in Chinese and whose history it is, not the metric's code.
    heading = page.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert "手机银行签约" in heading and "GZ0101" in heading and "mobile_banking_signups" not in heading
    assert "2026年11月24日 星期二" in page
    assert _chart(page)["dates"][-1] == "11月24日"


def test_the_teller_reads_her_own_history_and_no_one_elses(english, teller, network):
    card = day_card(D(2026, 11, 24), staff=teller.staff_member)
    line(card, "mobile_banking_signups", actual=36, target=40, pace_attainment="1.125", status="green")
    colleague = StaffMemberFactory(code="S1002")
    AssignmentFactory(staff=colleague, unit=network["GZ0101"])
    english.force_login(teller)

    page = _page(english.get("/staff/S1001/metrics/mobile_banking_signups/"))

    newest = _body_rows(page)[0]
    for figure in ("36", "40", "32", "112.5%"):  # pace 40 × 0.8 = 32
        assert f'<td class="num">{figure}</td>' in newest, figure
    assert '<a href="/staff/S1001/scorecard/?date=2026-11-24&amp;period=month">' in page
    assert english.get("/staff/S1002/metrics/mobile_banking_signups/").status_code == 404
    assert english.get("/units/GZ0101/metrics/mobile_banking_signups/").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/units/GZ0102/metrics/mobile_banking_signups/",  # a sibling outlet
        "/units/GZ01/metrics/mobile_banking_signups/",  # the sub-branch above
        "/units/GZ0101/metrics/no_such_metric/",
        "/units/NOPE/metrics/mobile_banking_signups/",
    ],
)
def test_the_outlet_head_gets_404_outside_her_outlet_or_on_an_unknown_metric(english, outlet_head, november, url):
    english.force_login(outlet_head)

    assert english.get(url).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, november):
    response = client.get("/units/GZ0101/metrics/mobile_banking_signups/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_a_bad_number_of_days_is_explained_and_30_shown(english, outlet_head, november):
    english.force_login(outlet_head)

    page = _page(english.get("/units/GZ0101/metrics/mobile_banking_signups/?date=2026-11-24&days=7"))

    assert "“7” is not a number of days to show; choose 30 or 90." in page
    assert len(_chart(page)["dates"]) == 30


def test_a_metric_without_figures_says_so_and_draws_nothing(english, outlet_head, november):
    english.force_login(outlet_head)

    page = _page(english.get("/units/GZ0101/metrics/wealth_sales/?date=2026-11-24"))

    assert "There are no published figures of this metric in the 30 days up to 24 Nov 2026." in page
    assert "echarts" not in page
    assert "data-chart=" not in page


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_history_downloads_as_csv_newest_first_with_the_gaps(english, outlet_head, november):
    Metric.objects.filter(code="mobile_banking_signups").update(name_en="=HYPERLINK(1)")
    english.force_login(outlet_head)

    response = english.get("/units/GZ0101/metrics/mobile_banking_signups/?date=2026-11-24&export=csv")

    assert response["Content-Disposition"] == (
        'attachment; filename="history-GZ0101-mobile_banking_signups-2026-11-24-month-30d.csv"'
    )
    header, *rows = _csv(response)
    assert header == [
        "Business date",
        "Metric",
        "Unit",
        "Actual",
        "Target",
        "Pace of the target",
        "Time progress",
        "Attainment",
        "Pace-adjusted attainment",
        "Status",
    ]
    assert len(rows) == 30
    newest = rows[0]
    assert newest[:3] == ["2026-11-24", "'=HYPERLINK(1)", "户"]  # a formula is defused
    assert [Decimal(cell) for cell in newest[3:7]] == [Decimal(420), Decimal(500), Decimal(400), Decimal("0.8")]
    assert (Decimal(newest[8]), newest[9]) == (Decimal("1.05"), "On pace")
    assert rows[3][:3] == ["2026-11-21", "'=HYPERLINK(1)", "户"]
    assert rows[3][3:] == [""] * 7  # the gap stays a gap


def test_the_history_downloads_as_xlsx_with_numbers_as_numbers(english, outlet_head, november):
    english.force_login(outlet_head)

    response = english.get("/units/GZ0101/metrics/deposit_balance/?date=2026-11-24&export=xlsx")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, newest = [[cell.value for cell in row] for row in sheet.iter_rows(max_row=2)]
    assert header[0] == "Business date"
    assert newest[1:6] == ["Deposit balance", "万元", 46123.45, 50000, 50000]  # 万元 in files, never 亿元


def test_an_export_out_of_scope_is_404(english, outlet_head, november):
    english.force_login(outlet_head)

    assert english.get("/units/GZ0102/metrics/mobile_banking_signups/?export=csv").status_code == 404


# -- a fixed number of queries -----------------------------------------------------------------------

# session, user, the user's unit (scope), the unit, the metric, the latest day, the history, the alert badge,
# the notes (标注) of the days shown
HISTORY_QUERIES = 9


def test_the_page_issues_the_same_queries_for_30_days_as_for_90(
    english, outlet_head, network, django_assert_num_queries
):
    outlet = network["GZ0101"]
    for day in days_from(D(2026, 10, 26), 30):
        line(day_card(day, unit=outlet), "mobile_banking_signups", actual=day.day, target=500)
    english.force_login(outlet_head)
    url = "/units/GZ0101/metrics/mobile_banking_signups/?date=2026-11-24"
    with django_assert_num_queries(HISTORY_QUERIES):
        page = _page(english.get(url))
    assert len(_body_rows(page)) == 30

    for day in days_from(D(2026, 8, 27), 60):
        line(day_card(day, unit=outlet), "mobile_banking_signups", actual=day.day, target=500)
    with django_assert_num_queries(HISTORY_QUERIES):
        page = _page(english.get(f"{url}&days=90"))
    assert sum("No published figures" in row for row in _body_rows(page)) == 0
    assert len(_body_rows(page)) == 90


def test_the_history_of_the_first_day_there_is_starts_that_day_and_is_no_error(english, outlet_head, november):
    english.force_login(outlet_head)

    # The first date the pages take is 1900-01-01 (lib.periods' supported range; 0001-01-01 − 29 days
    # was before the first date Python has: a 500).
    response = english.get("/units/GZ0101/metrics/mobile_banking_signups/?date=1900-01-01")

    assert response.status_code == 200
    assert "Show the latest rolled-up day (24 Nov 2026)" in _page(response)
