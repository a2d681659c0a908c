"""How the scorecard page explains its score (templates/kpi/_line_score*.html, _score_*.html,
_veto_reason.html, _unscored_day.html, _staff_scores.html), on the figures of
tests/kpi/explanation_data.py worked by hand: GZ0101 scores 24 + 40 + 5 − 2 = 67 out of 100 (+ up to 9),
GZ0102 is vetoed by a risk event, and the day of 15 November has no daily target."""

from __future__ import annotations

import re
from decimal import Decimal

from kpi.models import Scorecard
from kpi.services import rollup
from kpi.templatetags.kpi_format import kpi_score
from tests.factories import AssignmentFactory
from tests.kpi import explanation_data
from tests.kpi.explanation_data import DAY, VETO_WORDS, fact, target

explained = explanation_data.shared_explained  # the fixture, made once for the module
shared_explanation = explanation_data.shared_explanation  # what `explained` reads: made once for the module

MONTH = "/units/GZ0101/scorecard/?date=2026-11-15&period=month"
DAY_VIEW = "/units/GZ0101/scorecard/?date=2026-11-15&period=day"


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _row(page: str, metric_name: str) -> str:
    """The desktop table's row of a metric."""
    table = page[page.index('<table class="table scorecard">') : page.index("</table>")]
    row = next(row for row in table.split("<tr>") if f">{metric_name}</a></th>" in row)
    return row[: row.index("</tr>")]


def _card(page: str, metric_name: str) -> str:
    """The phone's card of a metric."""
    cards = page[page.index('<div class="scorecard-cards">') :]
    return next(card for card in cards.split("<li ") if f">{metric_name}</a></h3>" in card)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# -- each line: its kind, its rule, cap and floor, and its contribution --------------------------------


def test_a_weighted_line_shows_its_weight_its_pace_held_at_the_cap_and_its_score(english, outlet_head, explained):
    english.force_login(outlet_head)

    served = _text(_row(_page(english.get(MONTH)), "Customers served"))

    # pace 150 % held at the cap of 120 %: 20 × 120 % = 24
    assert served.endswith("24.00 weight 20 × 120.0% (cap) cap 120% · floor 0%")


def test_a_weighted_line_below_its_floor_is_counted_at_the_floor(english, outlet_head, explained):
    english.force_login(outlet_head)

    wealth = _text(_row(_page(english.get(MONTH)), "Wealth product sales"))

    # pace 20 % raised to the floor of 50 %: 80 × 50 % = 40
    assert wealth.endswith("40.00 weight 80 × 50.0% (floor) cap 100% · floor 50%")


def test_points_lines_show_units_times_points_up_to_the_maximum(english, outlet_head, explained):
    english.force_login(outlet_head)
    page = _page(english.get(MONTH))

    assert _text(_row(page, "Mobile banking sign-ups")).endswith("5.00 points: 3 × 2, max 5")  # 6, max 5
    assert _text(_row(page, "Valid complaints")).endswith(f"{kpi_score(Decimal(-2))} points: 1 × -2")


def test_a_veto_line_shows_what_it_vetoes_above(english, outlet_head, explained):
    english.force_login(outlet_head)

    assert _text(_row(_page(english.get(MONTH)), "Internal-control risk events")).endswith("Not vetoed veto above 0")


def test_on_a_phone_each_card_folds_how_its_line_scores(english, outlet_head, explained):
    english.force_login(outlet_head)
    page = _page(english.get(MONTH))

    served = _text(_card(page, "Customers served"))
    assert (
        "How this line scores 24.00 Scoring Weighted (权重) Weight 20 Cap 120% Floor 0% "
        "Score 20 × 120.0% = 24.00 pace-adjusted attainment 150.0%, above the cap: counted as 120%"
    ) in served
    signups = _text(_card(page, "Mobile banking sign-ups"))
    assert (
        "How this line scores 5.00 Scoring Points (台账计分) Points per unit 2 Maximum points 5 "
        "Score 3 × 2 = 6.00 above the maximum: counted as 5"
    ) in signups
    assert '<details class="line-score-details">' in _card(page, "Wealth product sales")


def test_a_metric_the_template_does_not_score_says_so(english, outlet_head, explained, network):
    fact(network["GZ0101"], "customer_visits", 4)
    rollup.rollup_day(day=DAY)
    english.force_login(outlet_head)
    page = _page(english.get(MONTH))

    visits = _row(page, "Customer visits")
    assert 'class="num line-score"><span aria-hidden="true">—</span>' in visits
    assert "Not scored by the template" in visits
    assert "line-score-details" not in _card(page, "Customer visits")


# -- the total: its scale, its template, its veto --------------------------------------------------------


def test_the_total_shows_its_scale_and_the_template_version_it_came_from(english, outlet_head, explained):
    english.force_login(outlet_head)
    page = _page(english.get(MONTH))

    assert (
        '<div class="summary-score"><dt>Score</dt><dd>67.00<small class="score-scale">'
        "out of 100 + bonus up to 9 · deductions possible</small></dd></div>"
    ) in page
    assert (
        '<div class="score-template"><dt>Scorecard template</dt><dd>Urban outlets'
        '<small class="muted">T-URBAN, version in force from 1 Jul 2026</small></dd></div>'
    ) in page


def test_a_veto_says_which_metric_fired_and_by_how_much_beside_the_templates_words(english, unit_manager, explained):
    english.force_login(unit_manager)

    page = _page(english.get("/units/GZ0102/scorecard/?date=2026-11-15&period=month"))

    assert '<div class="summary-score"><dt>Score</dt><dd>0.00' in page
    assert (
        '<div class="veto-fired"><dt>Veto (一票否决)</dt><dd><span class="vetoed"><span aria-hidden="true">✕</span> '
        f'Vetoed: Internal-control risk events 1 > 0</span><small class="veto-words">{VETO_WORDS}</small></dd></div>'
    ) in page


def test_the_veto_names_the_metric_in_the_readers_language(client, unit_manager, explained):
    client.force_login(unit_manager)

    page = _page(client.get("/units/GZ0102/scorecard/?date=2026-11-15&period=month"))

    assert "内控风险事件 1 > 0" in page
    assert "Internal-control risk events" not in page


# -- the day view: figures, no pretend score ----------------------------------------------------------


def test_the_day_view_without_a_daily_target_shows_the_days_figures_and_no_score_or_rank(
    english, outlet_head, explained
):
    english.force_login(outlet_head)

    page = _page(english.get(DAY_VIEW))

    assert "summary-score" not in page
    assert "Rank in peer group" not in page
    assert "Rank in the network" not in page
    assert (
        '<p class="score-note">The day view shows the day\'s figures. No scored line of this scorecard has a target '
        "for the day, so the day has no score and no rank: scores are given for the week, month, quarter and year.</p>"
    ) in page.replace("&#x27;", "'")
    assert _text(_row(page, "Customers served")).startswith("Customers served 人 225 —")
    assert _text(_row(page, "Customers served")).endswith("— weight 20 · no target cap 120% · floor 0%")


def test_a_day_published_with_a_pretend_score_does_not_show_it(english, outlet_head, explained, network):
    """A day rolled up before days needed a daily target kept its "0.00, rank 1/7": the page reads the rule
    from the lines and shows no score either."""
    Scorecard.objects.filter(unit=network["GZ0101"], period="day").update(total_score=3, rank=1, rank_of=2)
    english.force_login(outlet_head)

    page = _page(english.get(DAY_VIEW))

    assert "summary-score" not in page
    assert "Rank in peer group" not in page
    assert 'class="score-note"' in page


def test_a_day_with_a_daily_target_is_scored_on_it(english, outlet_head, explained, network):
    day = DAY.isoformat()
    target(network["GZ0101"], "customers_served", 150, kind="day", start=DAY, end=DAY, period=day)
    rollup.rollup_day(day=DAY)
    english.force_login(outlet_head)

    page = _page(english.get(DAY_VIEW))

    # customers served 225 of 150: 150 %, held at 120 %: 24; wealth has no daily target: no score; sign-ups 5,
    # complaints −2: 27. GZ0102 has no daily target and is not ranked: 1 of 1.
    assert '<div class="summary-score"><dt>Score</dt><dd>27.00' in page
    assert "<dt>Rank in peer group</dt><dd>1 / 1</dd>" in page
    assert 'class="score-note"' not in page
    assert _text(_row(page, "Wealth product sales")).endswith("— weight 80 · no target cap 100% · floor 50%")


# -- the staff of the outlet, ranked ------------------------------------------------------------------


def _staff_rows(page: str) -> list[str]:
    table = page[page.index('<div class="table-scroll staff-scores">') :]
    table = table[: table.index("</table>")]
    return [_text(row) for row in table.split("<tr>")[2:]]


def test_the_outlet_page_ranks_its_staff_with_their_scores_for_the_same_period(english, outlet_head, explained):
    english.force_login(outlet_head)

    page = _page(english.get(MONTH))

    assert _staff_rows(page) == [
        "李小梅 S1003 Teller 9.00 1 / 2",
        "黄丽娟 S1001 Teller 7.00 2 / 2",
        "何静 S1002 Lobby manager — No score — Not ranked",
    ]
    assert '<a href="/staff/S1003/scorecard/?date=2026-11-15&amp;period=month">李小梅</a>' in page


def test_the_staff_table_follows_the_period(english, outlet_head, explained):
    english.force_login(outlet_head)

    page = _page(english.get(DAY_VIEW))

    # The tellers' template has no weighted line, so no day of theirs is scored: all unscored, by post and code.
    assert _staff_rows(page) == [
        "何静 S1002 Lobby manager — No score — Not ranked",
        "黄丽娟 S1001 Teller — No score — Not ranked",
        "李小梅 S1003 Teller — No score — Not ranked",
    ]
    assert '<a href="/staff/S1003/scorecard/?date=2026-11-15&amp;period=day">李小梅</a>' in page


def test_a_vetoed_staff_member_is_marked(english, outlet_head, explained, teller):
    Scorecard.objects.filter(staff=teller.staff_member, period="month").update(total_score=0, vetoed=True)
    english.force_login(outlet_head)

    rows = _staff_rows(_page(english.get(MONTH)))

    assert "黄丽娟 S1001 Teller 0.00 ✕ Vetoed 2 / 2" in rows


# -- a fixed number of queries ------------------------------------------------------------------------

# tests/kpi/test_views.py's UNIT_PAGE_QUERIES (14: the staff with their scores, the notes and one's overdue
# action items among them), and one for the template's lines.
UNIT_PAGE_QUERIES_WITH_A_TEMPLATE = 15
OWN_MONTH = "/scorecard/?date=2026-11-15&period=month"


def test_the_explained_page_issues_the_same_queries_for_3_staff_as_for_23(
    english, outlet_head, explained, network, django_assert_num_queries
):
    english.force_login(outlet_head)

    with django_assert_num_queries(UNIT_PAGE_QUERIES_WITH_A_TEMPLATE):
        small = english.get(OWN_MONTH)
    assert len(small.context["staff_members"]) == 3

    for _ in range(20):
        AssignmentFactory(unit=network["GZ0101"], post="teller")
    with django_assert_num_queries(UNIT_PAGE_QUERIES_WITH_A_TEMPLATE):
        large = english.get(OWN_MONTH)
    assert len(large.context["staff_members"]) == 23
