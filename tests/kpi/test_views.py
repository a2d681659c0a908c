"""The scorecard pages (kpi/views/scorecards.py, templates/kpi/scorecard.html): what the outlet head opens at the
08:30 morning meeting, and the drill-down to child units and staff.

The figures are those of DOMAIN.md §4 worked by hand for Tuesday 2026-11-24: the month of November has
30 days, 24 of them gone, so time progress is 24/30 = 80 % and 6 days remain.

  mobile_banking_signups  actual 420 of 500 → 84 %; pace 84/80 = 105 % (green); gap 420 − 400 = +20;
                          (500 − 420) / 6 = 13.33 a day
  deposit_balance         46,123.45 of 50,000.00 万元 → 92.2 % (a level: pace = attainment, amber)
  avg_wait_minutes        12.5 min against ≤ 10 → 10 / 12.5 = 80 % (red)
  complaints              1, no target → no status
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kpi.models import Metric, RollupDay, Scorecard, ScorecardLine
from tests.factories import AssignmentFactory, OrgUnitFactory, StaffMemberFactory
from tests.kpi.history_data import day_card, days_from, line
from tests.kpi.scorecard_factories import (
    BUSINESS_DATE,
    RollupRunFactory,
    ScorecardFactory,
    ScorecardLineFactory,
    metric,
    published_day,
    time_progress,
)


def _month_lines(card) -> None:
    ScorecardLineFactory(
        scorecard=card,
        metric=metric("mobile_banking_signups"),
        actual="420",
        target="500",
        attainment="0.84",
        pace_attainment="1.05",
        status="green",
        gap_to_pace="20",
        required_per_day="13.3333",
    )
    ScorecardLineFactory(
        scorecard=card,
        metric=metric("deposit_balance"),
        actual="46123.45",
        target="50000",
        attainment="0.922469",
        pace_attainment="0.922469",
        status="amber",
    )
    ScorecardLineFactory(
        scorecard=card,
        metric=metric("avg_wait_minutes"),
        actual="12.5",
        target="10",
        attainment="0.8",
        pace_attainment="0.8",
        status="red",
    )
    ScorecardLineFactory(scorecard=card, metric=metric("complaints"), actual="1")


@pytest.fixture
def rolled_up(network, teller):
    """2026-11-24 rolled up: Tianhe Road's month and year, its sibling's month, the sub-branch's month
    and the teller's month."""
    day = published_day()
    run = day.published_run
    month = ScorecardFactory(run=run, unit=network["GZ0101"], period="month")
    _month_lines(month)
    year = ScorecardFactory(run=run, unit=network["GZ0101"], period="year")
    ScorecardLineFactory(
        scorecard=year,
        metric=metric("mobile_banking_signups"),
        actual="5210",
        target="6000",
        attainment="0.868333",
        time_progress="0.898630",
        pace_attainment="0.966284",
        status="amber",
        gap_to_pace="-181.78",
        required_per_day="21.9444",
    )
    for code in ("GZ0102", "GZ01", "SZ0101"):
        sibling = ScorecardFactory(run=run, unit=network[code], period="month")
        ScorecardLineFactory(scorecard=sibling, metric=metric("mobile_banking_signups"), actual="77")
    mine = ScorecardFactory(run=run, staff=teller.staff_member, period="month")
    ScorecardLineFactory(
        scorecard=mine,
        metric=metric("mobile_banking_signups"),
        actual="36",
        target="40",
        attainment="0.9",
        pace_attainment="1.125",
        status="green",
        gap_to_pace="4",
        required_per_day="0.6667",
    )
    return day


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# -- the outlet head's morning -----------------------------------------------------------------------


def test_the_outlet_head_sees_her_outlets_month_scorecard_with_the_numbers(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert "Tianhe Road Outlet" in page
    assert '<time datetime="2026-11-24">Tue 24 Nov 2026</time>' in page
    assert "1 Nov 2026 – 30 Nov 2026" in page
    for figure in ("420", "500", "84.0%", "80.0%", "105.0%", "+20", "13.3"):
        assert f'<td class="num">{figure}</td>' in page, figure
    # 46,123.45 万元 reaches 1 亿, but a scorecard's rows are different metrics: it stays in 万元 with two
    # decimals (kpi_format's rule), whatever the period; minutes with one decimal.
    assert '<td title="万元 (10,000 CNY)">万元</td>' in page
    assert '<td class="num">46,123.45</td>' in page
    assert '<td class="num">50,000.00</td>' in page
    assert "亿元" not in page
    assert '<td class="num">92.2%</td>' in page
    assert '<td class="num">12.5</td>' in page
    assert '<td class="num">10.0</td>' in page


def test_the_status_is_said_in_words_not_only_in_colour(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert '<span class="chip chip-green"><span aria-hidden="true">✓</span> On pace</span>' in page
    assert '<span class="chip chip-amber"><span aria-hidden="true">!</span> Slightly behind</span>' in page
    assert '<span class="chip chip-red"><span aria-hidden="true">✕</span> Behind</span>' in page
    assert "No target" in page  # complaints has none


def test_in_chinese_a_line_on_pace_reads_normal_not_target_met(client, outlet_head, rolled_up):
    """Green is on pace (完成率 at or above 时间进度), not the target reached: 达标 beside 18.9 % of a month's
    target read as "met" to the staff. 正常 / 预警 / 落后."""
    client.force_login(outlet_head)

    page = _page(client.get("/scorecard/", HTTP_ACCEPT_LANGUAGE="zh-hans"))

    assert '<span class="chip chip-green"><span aria-hidden="true">✓</span> 正常</span>' in page
    assert '<span class="chip chip-amber"><span aria-hidden="true">!</span> 预警</span>' in page
    assert '<span class="chip chip-red"><span aria-hidden="true">✕</span> 落后</span>' in page
    assert "达标" not in page


def test_the_lines_are_grouped_by_metric_category(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    response = english.get("/scorecard/")

    sections = [(str(label), [line.metric.code for line in lines]) for label, lines in response.context["sections"]]
    assert sections == [
        ("Deposits", ["deposit_balance"]),
        ("Channels", ["mobile_banking_signups"]),
        ("Service", ["avg_wait_minutes", "complaints"]),
    ]


def _cards(page: str) -> dict[str, str]:
    """The phone's cards by the metric's name, each the HTML of one card."""
    cards = re.findall(r'<li class="metric-card .*?</li>', page, flags=re.S)
    return {re.search(r"<h3><a [^>]*>(.*?)</a></h3>", card).group(1): card for card in cards}


def test_on_a_phone_each_line_is_a_card_with_its_figures_and_each_categorys_red_lines_first(
    english, outlet_head, rolled_up
):
    english.force_login(outlet_head)

    response = english.get("/scorecard/")
    cards = _cards(_page(response))

    # The cards' groups are the table's, each with its red lines first, then amber, then the rest.
    assert [(str(label), [line.metric.code for line in lines]) for label, lines in response.context["cards"]] == [
        ("Deposits", ["deposit_balance"]),
        ("Channels", ["mobile_banking_signups"]),
        ("Service", ["avg_wait_minutes", "complaints"]),
    ]
    assert list(cards) == ["Deposit balance", "Mobile banking sign-ups", "Average waiting time", "Valid complaints"]
    # Sign-ups, cumulative: 420 of 500 → a bar filled to 84 %, the mark at 24/30 = 80 % of the month,
    # gap +20 and (500 − 420) / 6 = 13.3 a day, in 户.
    signups = cards["Mobile banking sign-ups"]
    assert 'data-status="green"' in signups
    assert (
        '<span class="pace-fill" style="width:84.0%"></span><span class="pace-mark" style="left:80.0%"></span>'
        in signups
    )
    figures = ('<strong class="num">420</strong> <span', ">500</span>", ">84.0%<", ">80.0%<", ">+20 <small>户</small><")
    for figure in (*figures, ">13.3 <small>户</small><", "On pace"):
        assert figure in signups, figure
    # The deposit balance, a level: in 万元 like its table row, and no time-progress mark (it is judged
    # against the target itself, DOMAIN.md §4).
    balance = cards["Deposit balance"]
    assert '<strong class="num">46,123.45</strong> <span title="万元 (10,000 CNY)">万元</span>' in balance
    assert 'style="width:92.2%"' in balance
    assert "pace-mark" not in balance and "Time progress" not in balance
    # Complaints, without a target: the actual alone, no bar.
    assert "pace-bar" not in cards["Valid complaints"] and ">1</strong>" in cards["Valid complaints"]


def test_metric_names_follow_the_active_language(client, outlet_head, rolled_up):
    client.force_login(outlet_head)

    assert "手机银行签约" in _page(client.get("/scorecard/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "Mobile banking sign-ups" in _page(client.get("/scorecard/", HTTP_ACCEPT_LANGUAGE="en"))


def test_the_outlet_head_switches_to_the_year(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/?date=2026-11-24&period=year"))

    assert "1 Jan 2026 – 31 Dec 2026" in page
    for figure in ("5,210", "6,000", "86.8%", "89.9%", "96.6%", "-182", "21.9"):
        assert f'<td class="num">{figure}</td>' in page, figure


def test_the_period_switch_keeps_the_date_and_marks_the_current_period(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    response = english.get("/units/GZ0101/scorecard/?date=2026-11-24&period=quarter")

    links = {link["kind"]: (link["url"], link["current"]) for link in response.context["period_links"]}
    assert links == {
        "day": ("/units/GZ0101/scorecard/?date=2026-11-24&period=day", False),
        "week": ("/units/GZ0101/scorecard/?date=2026-11-24&period=week", False),
        "month": ("/units/GZ0101/scorecard/?date=2026-11-24&period=month", False),
        "quarter": ("/units/GZ0101/scorecard/?date=2026-11-24&period=quarter", True),
        "year": ("/units/GZ0101/scorecard/?date=2026-11-24&period=year", False),
    }
    assert 'aria-current="page">Quarter</a>' in _page(response)


def test_a_period_without_a_scorecard_says_so(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/?period=week"))

    assert "There is no scorecard for this period on 24 Nov 2026" in page
    assert "23 Nov 2026 – 29 Nov 2026" in page  # the ISO week is still shown


def test_the_date_picker_shows_an_earlier_day(english, outlet_head, rolled_up, network):
    earlier = published_day(datetime.date(2026, 11, 20))
    card = ScorecardFactory(run=earlier.published_run, unit=network["GZ0101"])
    ScorecardLineFactory(scorecard=card, metric=metric("mobile_banking_signups"), actual="3333")
    english.force_login(outlet_head)

    response = english.get("/scorecard/?date=2026-11-20")

    assert response.context["scorecard"] == card
    page = _page(response)
    assert '<td class="num">3,333</td>' in page
    assert 'name="date" value="2026-11-20" max="2026-11-24"' in page
    assert "Show the latest rolled-up day" not in page  # only when the day has nothing


def test_a_bad_date_or_period_is_explained_and_the_latest_month_shown(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    response = english.get("/scorecard/?date=24.11.2026&period=fortnight")

    page = _page(response)
    assert "“24.11.2026” is not a date" in page
    assert "“fortnight” is not a period" in page
    assert response.context["day"] == BUSINESS_DATE
    assert response.context["period_kind"] == "month"
    assert '<td class="num">420</td>' in page


def test_an_unpublished_run_is_not_shown(english, outlet_head, network):
    published_day(BUSINESS_DATE)
    running = RollupRunFactory(date=BUSINESS_DATE, status="running")
    card = ScorecardFactory(run=running, unit=network["GZ0101"])
    ScorecardLineFactory(scorecard=card, metric=metric("mobile_banking_signups"), actual="999")
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert "999" not in page
    assert "There is no scorecard for this period" in page


def test_before_the_first_rollup_the_page_says_nothing_is_rolled_up_yet(english, outlet_head):
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert "Nothing has been rolled up yet." in page


# -- the summary band ---------------------------------------------------------------------------------


def _arrived(day: RollupDay) -> None:
    """Facts up to 22:12 UTC on the 24th (06:12 on the 25th in Guangzhou), published at 22:40 UTC."""
    utc = datetime.UTC
    day.published_run.facts_loaded_at = datetime.datetime(2026, 11, 24, 22, 12, tzinfo=utc)
    day.published_run.save()
    day.published_at = datetime.datetime(2026, 11, 24, 22, 40, tzinfo=utc)
    day.save()


def test_the_summary_band_gives_score_ranks_veto_behind_pace_and_when_the_figures_arrived(
    english, outlet_head, rolled_up, network
):
    _arrived(rolled_up)
    Scorecard.objects.filter(unit=network["GZ0101"], period="month").update(
        total_score="87.5", rank=2, rank_of=4, network_rank=5, network_rank_of=12
    )
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert '<div class="summary-score"><dt>Score</dt><dd>87.50</dd></div>' in page
    assert "<dt>Rank in peer group</dt><dd>2 / 4</dd>" in page
    assert "<dt>Rank in the network</dt><dd>5 / 12</dd>" in page
    assert '<span class="not-vetoed"><span aria-hidden="true">✓</span> Not vetoed</span>' in page
    # deposits amber and waiting time red; complaints have no target and do not count
    # (and each is said as its line is labelled: one 落后, one 预警)
    assert '<dd class="behind-count">2 of 3 metrics with a target (1 behind, 1 slightly behind)</dd>' in page
    assert "<dt>Figures received up to</dt><dd>25 Nov 2026 06:12</dd>" in page
    assert "<dt>Published</dt><dd>25 Nov 2026 06:40</dd>" in page


def test_a_vetoed_scorecard_says_so_with_a_sign_and_its_reason(english, outlet_head, rolled_up, network):
    Scorecard.objects.filter(unit=network["GZ0101"], period="month").update(
        total_score=0, vetoed=True, veto_reason="发生内控风险事件"
    )
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert '<span class="vetoed"><span aria-hidden="true">✕</span> Vetoed: 发生内控风险事件</span>' in page
    assert "Not vetoed" not in page


def test_a_scorecard_without_a_template_shows_no_score_and_no_veto(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert "summary-score" not in page
    assert "vetoed" not in page


def test_dates_and_times_are_written_in_chinese_by_default(client, outlet_head, rolled_up):
    _arrived(rolled_up)
    client.force_login(outlet_head)

    page = _page(client.get("/scorecard/"))

    assert '<time datetime="2026-11-24">2026年11月24日 星期二</time>' in page
    assert "2026年11月1日 – 2026年11月30日" in page
    assert "<dd>2026年11月25日 06:12</dd>" in page


def test_a_day_without_a_scorecard_offers_the_latest_day(english, outlet_head, rolled_up):
    published_day(datetime.date(2026, 11, 20))
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/?date=2026-11-20"))

    assert "There is no scorecard for this period on 20 Nov 2026" in page
    assert '<a href="/scorecard/?period=month">Show the latest rolled-up day (24 Nov 2026)</a>' in page


# -- trend charts and the drill-down to a metric's history -------------------------------------------


def _trends(page: str) -> dict:
    match = re.search(r'<script id="scorecard-trends" type="application/json">(.*?)</script>', page, re.S)
    assert match, "no trend JSON on the page"
    return json.loads(match.group(1))


def test_every_metric_has_a_sparkline_from_one_json_blob_with_gaps_as_gaps(english, outlet_head, rolled_up, network):
    """Sign-ups of the month to date on 22 and 23 Nov (none on the 21st): 360 and 400, pace 500 × 0.733333
    = 366.67 and 500 × 0.766667 = 383.33; on the 24th 420 against 400."""
    for day, actual in ((22, 360), (23, 400)):
        card = day_card(datetime.date(2026, 11, day), unit=network["GZ0101"])
        line(card, "mobile_banking_signups", actual=actual, target=500)
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    trends = _trends(page)
    assert len(trends["dates"]) == 30
    assert (trends["dates"][0], trends["dates"][-1]) == ("26 Oct", "24 Nov")
    assert set(trends["metrics"]) == {"deposit_balance", "mobile_banking_signups", "avg_wait_minutes", "complaints"}
    signups = trends["metrics"]["mobile_banking_signups"]
    assert signups["actual"][-4:] == [None, 360, 400, 420]
    assert signups["pace"][-4:] == [None, 367, 383, 400]
    deposits = trends["metrics"]["deposit_balance"]
    assert (deposits["actual"][-1], deposits["pace"][-1], deposits["unit"]) == (4.61, 5.0, "亿元")
    assert trends["metrics"]["complaints"]["pace"] == [None] * 30  # no target, no pace line
    for code in trends["metrics"]:
        assert f'data-chart="sparkline" data-source="scorecard-trends" data-metric="{code}"' in page
    assert page.count('type="application/json"') == 1
    assert '<script src="/static/vendor/echarts-6.1.0/echarts.min.js" defer></script>' in page
    assert '<script src="/static/js/charts.js" defer></script>' in page


def test_the_trend_switch_shows_90_days_and_every_link_keeps_it(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    response = english.get("/units/GZ0101/scorecard/?date=2026-11-24&days=90")

    page = _page(response)
    assert len(_trends(page)["dates"]) == 90
    assert _trends(page)["dates"][0] == "27 Aug"
    days = {link["days"]: (link["url"], link["current"]) for link in response.context["days_links"]}
    assert days == {
        30: ("/units/GZ0101/scorecard/?date=2026-11-24&period=month", False),
        90: ("/units/GZ0101/scorecard/?date=2026-11-24&period=month&days=90", True),
    }
    assert '<a href="/units/GZ0101/scorecard/?date=2026-11-24&amp;period=year&amp;days=90">Year</a>' in page
    assert '<a href="/units/GZ01/scorecard/?date=2026-11-24&amp;period=month&amp;days=90">' in page
    assert "Last 90 days" in page


def test_a_bad_number_of_days_is_explained(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    response = english.get("/scorecard/?days=365")

    assert "“365” is not a number of days to show; choose 30 or 90." in _page(response)
    assert response.context["params"].days == 30


def test_a_page_without_charts_loads_no_chart_script(english, outlet_head, network):
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert "echarts" not in page
    assert "charts.js" not in page


def test_a_metric_opens_its_daily_history(english, outlet_head, teller, rolled_up):
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    url = "/units/GZ0101/metrics/mobile_banking_signups/?date=2026-11-24&amp;period=month"
    assert f'<th scope="row"><a href="{url}">Mobile banking sign-ups</a></th>' in page
    # The sparkline links there too, out of the tab order (the name is the keyboard's way in).
    assert f'<a class="sparkline-link" href="{url}" tabindex="-1" aria-hidden="true">' in page

    english.force_login(teller)
    page = _page(english.get("/scorecard/"))
    assert '<a href="/staff/S1001/metrics/mobile_banking_signups/?date=2026-11-24&amp;period=month">' in page


def test_the_page_prints_without_inline_javascript(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    content = _page(english.get("/scorecard/")).split('<div class="scorecard-sheet">', 1)[1]

    assert '<button type="button" data-print>Print</button>' in content
    assert "onclick" not in content
    assert '<p class="page-actions no-print">' in content


# -- exports -----------------------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_scorecard_downloads_as_csv_with_numbers_in_the_metrics_own_unit(english, outlet_head, rolled_up):
    Metric.objects.filter(code="complaints").update(name_en="=1+2")
    month = Scorecard.objects.get(unit__code="GZ0101", period="month")
    Scorecard.objects.filter(pk=month.pk).update(
        total_score=Decimal("91.5834"), rank=4, rank_of=9, network_rank=19, network_rank_of=52
    )
    month.lines.filter(metric__code="deposit_balance").update(score=Decimal("38.4567"))
    english.force_login(outlet_head)

    response = english.get("/scorecard/?export=csv")

    assert response["Content-Disposition"] == 'attachment; filename="scorecard-GZ0101-2026-11-24-month.csv"'
    header, *rows = _csv_rows(response)
    assert header == [
        "Category",
        "Metric code",
        "Metric",
        "Unit",
        "Actual",
        "Target",
        "Attainment",
        "Time progress",
        "Pace-adjusted attainment",
        "Status",
        "Gap to pace",
        "Required per remaining day",
        "Time progress in",
        # Issue 14: the comparisons and the forecast, after the columns that were there.
        "Previous period: value then",
        "Previous period: change",
        "Previous period: change rate",
        "Same period last year: value then",
        "Same period last year: change",
        "Same period last year: change rate",
        "Start of the year: value",
        "Year to date: value",
        "Since the start of the year: change",
        "Since the start of the year: change rate",
        "Projected at period end",
        "Projected attainment",
        "Target reached on",
        "Forecast outcome",
        "Forecast basis",
        # The line's points, the scorecard's total and ranks on every row (as the page shows them).
        "Line score",
        "Total score",
        "Vetoed",
        "Rank in the peer group",
        "Ranked in the peer group",
        "Network rank",
        "Ranked in the network",
    ]
    assert [row[1] for row in rows] == ["deposit_balance", "mobile_banking_signups", "avg_wait_minutes", "complaints"]
    deposits, signups, _wait, complaints = rows
    assert deposits[:4] == ["Deposits", "deposit_balance", "Deposit balance", "万元"]  # 万元 in files, never 亿元
    assert [Decimal(cell) for cell in deposits[4:6]] == [Decimal("46123.45"), Decimal("50000")]
    assert deposits[9] == "Slightly behind"
    assert [Decimal(cell) for cell in signups[6:9]] == [Decimal("0.84"), Decimal("0.8"), Decimal("1.05")]
    assert [Decimal(cell) for cell in signups[10:12]] == [Decimal("20"), Decimal("13.3333")]
    assert signups[12] == "Calendar days"
    # Nothing earlier was rolled up: no comparison. The forecast: 420 in 24 of 30 days → 525, 105 % of 500,
    # reached on 11-29 at 17.5 a day.
    assert signups[13:23] == [""] * 10
    assert [Decimal(cell) for cell in signups[23:25]] == [Decimal("525"), Decimal("1.05")]
    assert signups[25:28] == ["2026-11-29", "On track to reach the target", "Run rate so far"]
    # The points as stored (the page rounds them to 2 places); the card's total and ranks on every row.
    assert deposits[28:] == ["38.4567", "91.5834", "", "4", "9", "19", "52"]
    assert signups[28:] == ["", "91.5834", "", "4", "9", "19", "52"]
    assert complaints[2] == "'=1+2"  # a formula is defused
    assert complaints[9] == "No target"


def test_the_scorecard_downloads_as_xlsx_with_numbers_as_numbers(english, teller, rolled_up):
    english.force_login(teller)

    response = english.get("/scorecard/?export=xlsx")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="scorecard-S1001-2026-11-24-month.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, signups = [[cell.value for cell in row] for row in sheet.iter_rows(max_row=2)]
    assert header[1] == "Metric code"
    assert signups[1:6] == ["mobile_banking_signups", "Mobile banking sign-ups", "户", 36, 40]
    assert signups[8] == 1.125


def test_an_export_follows_the_scope(english, outlet_head, rolled_up):
    english.force_login(outlet_head)

    assert english.get("/units/GZ0102/scorecard/?export=csv").status_code == 404
    assert english.get("/units/GZ0101/scorecard/?export=xlsx").status_code == 200


# -- scope: out of scope is 404 ----------------------------------------------------------------------


@pytest.mark.parametrize("code", ["GZ0102", "GZ01", "SZ0101", "NOPE"])
def test_the_outlet_head_is_refused_any_other_unit(english, outlet_head, rolled_up, code):
    english.force_login(outlet_head)

    assert english.get(f"/units/{code}/scorecard/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, rolled_up):
    response = client.get("/units/GZ0101/scorecard/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_the_outsider_has_no_scorecard(english, outsider, rolled_up):
    english.force_login(outsider)

    assert english.get("/scorecard/").status_code == 404
    assert english.get("/units/GZ0101/scorecard/").status_code == 404


# -- drill-down --------------------------------------------------------------------------------------


def test_the_unit_manager_drills_down_from_the_sub_branch_to_an_outlet(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    page = _page(english.get("/scorecard/?date=2026-11-24&period=month"))

    assert "Tianhe Sub-branch" in page
    assert '<a href="/units/GZ0101/scorecard/?date=2026-11-24&amp;period=month">Tianhe Road Outlet</a>' in page
    assert '<a href="/units/GZ0102/scorecard/?date=2026-11-24&amp;period=month">Zhujiang New Town Outlet</a>' in page

    outlet_page = _page(english.get("/units/GZ0101/scorecard/?date=2026-11-24&period=month"))
    assert '<td class="num">420</td>' in outlet_page
    # Back up to the sub-branch, but not above it: the branch is outside the manager's scope.
    assert '<a href="/units/GZ01/scorecard/?date=2026-11-24&amp;period=month">Tianhe Sub-branch</a>' in outlet_page
    assert "/units/GZ/scorecard/" not in outlet_page


def test_the_unit_manager_may_not_drill_into_another_sub_branch(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    assert english.get("/units/GZ0201/scorecard/").status_code == 404
    assert english.get("/units/GZ/scorecard/").status_code == 404


def test_an_outlets_page_links_to_the_staff_working_there(english, outlet_head, teller, rolled_up, network):
    lobby = StaffMemberFactory(code="S1002", name="何静")
    AssignmentFactory(staff=lobby, post="lobby_manager", unit=network["GZ0101"])
    gone = StaffMemberFactory(code="S1009", name="已调离")
    AssignmentFactory(staff=gone, unit=network["GZ0101"], end=datetime.date(2026, 6, 30))
    english.force_login(outlet_head)

    page = _page(english.get("/scorecard/"))

    assert '<a href="/staff/S1001/scorecard/?date=2026-11-24&amp;period=month">黄丽娟</a>' in page
    assert '<a href="/staff/S1002/scorecard/?date=2026-11-24&amp;period=month">何静</a>' in page
    assert "S1009" not in page

    staff_page = _page(english.get("/staff/S1001/scorecard/?date=2026-11-24&period=month"))
    assert "黄丽娟" in staff_page
    assert '<td class="num">36</td>' in staff_page
    assert '<td class="num">112.5%</td>' in staff_page


def test_the_hq_admins_scorecard_is_the_head_office(english, hq_admin, rolled_up):
    english.force_login(hq_admin)

    response = english.get("/scorecard/")

    assert response.context["unit"].code == "HQ"
    assert '<a href="/units/GZ/scorecard/' in _page(response)


# -- the teller --------------------------------------------------------------------------------------


def test_the_teller_sees_her_own_scorecard(english, teller, rolled_up):
    english.force_login(teller)

    page = _page(english.get("/scorecard/"))

    assert "黄丽娟" in page
    assert "S1001" in page
    for figure in ("36", "40", "90.0%", "112.5%", "+4", "0.7"):
        assert f'<td class="num">{figure}</td>' in page, figure
    # Where she works is named, but not linked: the outlet is outside her scope.
    assert "Tianhe Road Outlet" in page
    assert "/units/GZ0101/scorecard/" not in page


def test_the_teller_gets_404_on_her_outlet_and_on_a_colleague(english, teller, rolled_up, network):
    colleague = StaffMemberFactory(code="S1002")
    AssignmentFactory(staff=colleague, unit=network["GZ0101"])
    english.force_login(teller)

    assert english.get("/units/GZ0101/scorecard/").status_code == 404
    assert english.get("/staff/S1002/scorecard/").status_code == 404
    assert english.get("/staff/S1001/scorecard/").status_code == 200


def test_the_outlet_head_gets_404_on_staff_of_another_outlet(english, outlet_head, rolled_up, network):
    elsewhere = StaffMemberFactory(code="S2001")
    AssignmentFactory(staff=elsewhere, unit=network["SZ0101"])
    english.force_login(outlet_head)

    assert english.get("/staff/S2001/scorecard/").status_code == 404


# -- the landing page --------------------------------------------------------------------------------


# A unit manager lands on the overview of her subtree instead (tests/bankops/test_home.py).
@pytest.mark.parametrize("persona", ["outlet_head", "teller"])
def test_home_sends_the_outlet_head_and_the_teller_to_their_scorecard(english, rolled_up, persona, request):
    english.force_login(request.getfixturevalue(persona))

    response = english.get("/")

    assert response.status_code == 302
    assert response.url == "/scorecard/"


def test_home_stays_the_landing_page_before_the_first_rollup(english, outlet_head):
    english.force_login(outlet_head)

    assert english.get("/").status_code == 200


def test_home_stays_the_landing_page_for_the_hq_admin(english, hq_admin, rolled_up):
    english.force_login(hq_admin)

    assert english.get("/").status_code == 200


# -- a fixed number of queries -----------------------------------------------------------------------


# session, user, the user's unit (scope), latest day, scorecard, its lines, the published day (when the
# figures arrived), the history of every metric (the sparklines), ancestors, child units, staff, the header's
# alert badge, the notes (标注) of the days shown, and on one's own scorecard (/scorecard/) the action items
# one owns that are overdue (issue 17: meetings' strip, one query whatever their number)
UNIT_PAGE_QUERIES = 14
# session, user, the staff record (scope), the staff record (whose scorecard), latest day, scorecard,
# its lines, the published day, the history of every metric, where they work, the notes of the days shown,
# the overdue action items one owns
STAFF_PAGE_QUERIES = 12


def _history_of(entity: dict, *, days: list[datetime.date], metrics: int) -> None:
    """A month scorecard of the entity (unit=… or staff=…) with `metrics` lines on each of `days`."""
    catalog = list(Metric.objects.order_by("sort_order", "code")[:metrics])
    lines = []
    for day in days:
        card = day_card(day, **entity)
        progress = time_progress("month", day)
        lines += [
            ScorecardLine(
                scorecard=card, date=day, metric=each, actual=1, target=2, time_progress=progress, status="red"
            )
            for each in catalog
        ]
    ScorecardLine.objects.bulk_create(lines)


def test_the_unit_page_issues_the_same_queries_for_a_small_and_a_large_sub_branch(
    english, unit_manager, network, django_assert_num_queries
):
    """Small: 2 outlets, 3 staff, 3 metrics over 30 days. Large: 12 outlets, 20 staff, 12 metrics over
    90 days, shown with the 90-day trend."""
    gz01 = network["GZ01"]
    _history_of({"unit": gz01}, days=days_from(datetime.date(2026, 10, 26), 30), metrics=3)
    for _ in range(3):
        AssignmentFactory(unit=gz01, post="customer_manager")
    english.force_login(unit_manager)

    with django_assert_num_queries(UNIT_PAGE_QUERIES):
        small = english.get("/scorecard/")
    assert len(small.context["children"]) == 2
    assert len(small.context["staff_members"]) == 3
    assert len(small.context["trends"]["metrics"]) == 3

    # Start again with more metrics (lines first: they point to their scorecards without a constraint).
    ScorecardLine.objects.filter(scorecard__unit=gz01).delete()
    Scorecard.objects.filter(unit=gz01).delete()
    _history_of({"unit": gz01}, days=days_from(datetime.date(2026, 8, 27), 90), metrics=12)
    for number in range(10):
        OrgUnitFactory.outlet_of(gz01, code=f"GZ01{number + 3:02d}")
    for _ in range(17):
        AssignmentFactory(unit=gz01, post="customer_manager")

    with django_assert_num_queries(UNIT_PAGE_QUERIES):
        large = english.get("/scorecard/?days=90")
    assert len(large.context["children"]) == 12
    assert len(large.context["staff_members"]) == 20
    trends = large.context["trends"]
    assert len(trends["dates"]) == 90
    assert len(trends["metrics"]) == 12
    assert all(None not in series["actual"] for series in trends["metrics"].values())


def test_the_staff_page_issues_the_same_queries_for_30_days_as_for_90(
    english, teller, network, django_assert_num_queries
):
    staff = {"staff": teller.staff_member}
    _history_of(staff, days=days_from(datetime.date(2026, 10, 26), 30), metrics=2)
    english.force_login(teller)

    with django_assert_num_queries(STAFF_PAGE_QUERIES):
        small = english.get("/scorecard/")
    assert len(small.context["trends"]["dates"]) == 30

    _history_of(staff, days=days_from(datetime.date(2026, 8, 27), 60), metrics=2)
    AssignmentFactory(staff=teller.staff_member, unit=network["GZ0102"], post="lobby_manager")

    with django_assert_num_queries(STAFF_PAGE_QUERIES):
        large = english.get("/scorecard/?days=90")
    assert len(large.context["trends"]["dates"]) == 90
    assert len(large.context["workplaces"]) == 2


def test_the_top_bar_links_to_my_scorecard_for_anyone_with_a_role(english, auditor, outsider):
    english.force_login(auditor)
    assert '<a href="/scorecard/">Scorecard</a>' in _page(english.get("/"))

    english.force_login(outsider)
    assert '<a href="/scorecard/">Scorecard</a>' not in _page(english.get("/"))
