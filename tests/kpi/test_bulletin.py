"""The daily bulletin (每日通报): kpi.selectors.bulletin.bulletin_rows, the page /bulletin/ and its downloads.

The figures are those of tests/kpi/ranking_data.py, produced by the real rollup: on 2026-11-15 the
Tianhe peer group GZ01-urban ranks GZ0101 110, GZ0102 100, GZ0103 100, GZ0104 0 (vetoed) as 1, 2, 2, 4;
on the 14th it was GZ0102, GZ0103, GZ0101, GZ0104.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from branches.models import PeerGroup
from branches.services import peer_groups_rebuild
from kpi.selectors import bulletin as bulletin_reads
from kpi.templatetags.kpi_format import kpi_score
from staff.access import scope_for_user
from tests.factories import OrgUnitFactory
from tests.kpi import ranking_data
from tests.kpi.ranking_data import (
    DAY,
    PREVIOUS,
    VETO_REASON,
    D,
    fact,
    month_targets,
    roll,
    scored_day,
)

ranked = ranking_data.ranked  # the fixture: scored outlets, rolled up on the 14th and 15th
shared_ranking = ranking_data.shared_ranking  # what `ranked` reads: made once for the module

URL = "/bulletin/"
pytestmark = pytest.mark.django_db


def group(code: str) -> PeerGroup:
    return PeerGroup.objects.get(code=code)


def summary(rows) -> list[tuple]:
    return [(row.outlet.code, row.total_score, row.rank, row.rank_of, row.direction, row.movement) for row in rows]


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# -- the selector ------------------------------------------------------------------------------------


def test_outlets_rank_one_two_two_four_inside_their_peer_group(ranked):
    rows = bulletin_reads.bulletin_rows(date=DAY, period="month", group=group("GZ01-urban"))

    assert [(code, score, rank, of) for code, score, rank, of, *_ in summary(rows)] == [
        ("GZ0101", Decimal("110"), 1, 4),
        ("GZ0102", Decimal("100"), 2, 4),
        ("GZ0103", Decimal("100"), 2, 4),
        ("GZ0104", Decimal("0"), 4, 4),
    ]


def test_movement_compares_with_the_rank_in_the_same_set_the_day_before(ranked):
    rows = bulletin_reads.bulletin_rows(date=DAY, period="month", group=group("GZ01-urban"))

    # 14th: GZ0102 1, GZ0103 2, GZ0101 3, GZ0104 4.
    assert [(row.outlet.code, row.previous_rank, row.movement, row.direction) for row in rows] == [
        ("GZ0101", 3, 2, "up"),
        ("GZ0102", 1, -1, "down"),
        ("GZ0103", 2, 0, "same"),
        ("GZ0104", 4, 0, "same"),
    ]


def test_a_vetoed_outlet_scores_zero_and_says_why(ranked):
    last = bulletin_reads.bulletin_rows(date=DAY, period="month", group=group("GZ01-urban"))[-1]

    assert (last.outlet.code, last.vetoed, last.veto_reason, last.total_score) == (
        "GZ0104",
        True,
        VETO_REASON,
        Decimal("0"),
    )


def test_an_outlet_head_sees_her_peers_scores_but_not_their_chips_or_veto_reasons(ranked, outlet_head):
    rows = bulletin_reads.bulletin_rows(
        date=DAY, period="month", group=group("GZ01-urban"), scope=scope_for_user(outlet_head)
    )
    by_code = {row.outlet.code: row for row in rows}

    # Her own outlet (GZ0101) in full; the vetoed peer GZ0104 keeps its score of 0 and its veto mark.
    assert by_code["GZ0101"].chips and by_code["GZ0101"].details_visible
    assert (by_code["GZ0104"].total_score, by_code["GZ0104"].vetoed) == (Decimal("0"), True)
    assert (by_code["GZ0104"].chips, by_code["GZ0104"].veto_reason) == ([], "")


def test_chips_show_the_status_of_the_key_metrics(ranked):
    rows = {
        row.outlet.code: row
        for row in bulletin_reads.bulletin_rows(date=DAY, period="month", group=group("GZ01-urban"))
    }

    assert [(chip.metric.code, chip.status) for chip in rows["GZ0101"].chips] == [
        ("customers_served", "green"),
        ("mobile_banking_signups", "green"),
    ]
    # 75 of a pace of 150 (0.5) and 46 of 50 (0.92); the veto line is not a key metric.
    assert [(chip.metric.code, chip.status) for chip in rows["GZ0104"].chips] == [
        ("customers_served", "red"),
        ("mobile_banking_signups", "amber"),
    ]


def test_a_units_subtree_is_ranked_as_one_set(ranked):
    rows = bulletin_reads.bulletin_rows(date=DAY, period="month", unit=ranked["HQ"])

    # SZ0101 ties GZ0102 and GZ0103; GZ0201 has no scorecard: unranked, last.
    assert summary(rows) == [
        ("GZ0101", Decimal("110"), 1, 5, "up", 3),
        ("GZ0102", Decimal("100"), 2, 5, "down", -1),
        ("GZ0103", Decimal("100"), 2, 5, "up", 1),
        ("SZ0101", Decimal("100"), 2, 5, "down", -1),
        ("GZ0104", Decimal("0"), 5, 5, "same", 0),
        ("GZ0201", None, None, None, None, None),
    ]


def test_an_outlet_first_ranked_today_is_new(ranked):
    newcomer = OrgUnitFactory.outlet_of(ranked["GZ01"], code="GZ0105")
    peer_groups_rebuild()
    month_targets(newcomer)
    scored_day(newcomer, (150, 50), DAY)  # 100 points, from the 15th only
    roll(DAY)

    rows = bulletin_reads.bulletin_rows(date=DAY, period="month", group=group("GZ01-urban"))

    assert summary(rows) == [
        ("GZ0101", Decimal("110"), 1, 5, "up", 2),
        ("GZ0102", Decimal("100"), 2, 5, "down", -1),
        ("GZ0103", Decimal("100"), 2, 5, "same", 0),
        ("GZ0105", Decimal("100"), 2, 5, "new", None),
        ("GZ0104", Decimal("0"), 5, 5, "down", -1),
    ]


def test_an_outlet_without_a_score_is_listed_unranked_at_the_end(ranked):
    unscored = OrgUnitFactory.outlet_of(ranked["GZ01"], code="GZ0100")  # first in tree order
    peer_groups_rebuild()
    fact(unscored, "customers_served", 10, DAY)  # a scorecard, but no target: no score
    roll(DAY)

    rows = bulletin_reads.bulletin_rows(date=DAY, period="month", group=group("GZ01-urban"))

    assert summary(rows)[-1] == ("GZ0100", None, None, None, None, None)
    assert [row.rank for row in rows] == [1, 2, 2, 4, None]


def test_without_the_day_before_there_is_no_movement(ranked):
    rows = bulletin_reads.bulletin_rows(date=PREVIOUS, period="month", group=group("GZ01-urban"))

    assert [(row.outlet.code, row.rank, row.direction) for row in rows] == [
        ("GZ0102", 1, None),
        ("GZ0103", 2, None),
        ("GZ0101", 3, None),
        ("GZ0104", 4, None),
    ]


def test_a_day_not_rolled_up_has_no_bulletin(ranked):
    assert bulletin_reads.bulletin_rows(date=D(2026, 11, 16), period="month", group=group("GZ01-urban")) == []


def test_each_period_is_ranked_on_its_own_scores(ranked):
    rows = bulletin_reads.bulletin_rows(date=DAY, period="day", group=group("GZ01-urban"))

    # There are no day targets, so the day is not scored (kpi.services.scoring): no outlet has a score
    # or a rank on it, not even GZ0104, whose veto (the day's risk event) once made it 0 and "1 of 1".
    # The veto itself is still marked.
    assert [(row.outlet.code, row.total_score, row.rank, row.rank_of, row.vetoed) for row in rows] == [
        ("GZ0101", None, None, None, False),
        ("GZ0102", None, None, None, False),
        ("GZ0103", None, None, None, False),
        ("GZ0104", None, None, None, True),
    ]


def test_it_wants_exactly_one_of_group_and_unit(ranked):
    with pytest.raises(ValueError):
        bulletin_reads.bulletin_rows(date=DAY, period="month")
    with pytest.raises(ValueError):
        bulletin_reads.bulletin_rows(date=DAY, period="month", group=group("GZ01-urban"), unit=ranked["GZ01"])


# -- who sees what -----------------------------------------------------------------------------------


def test_the_outlet_head_sees_her_peer_group_by_default(english, outlet_head, ranked):
    english.force_login(outlet_head)

    page = _page(english.get(URL))

    assert "Tianhe Sub-branch · urban outlets" in page
    for name in ("Tianhe Road Outlet", "Zhujiang New Town Outlet", "Tiyu West Outlet", "Shipai Outlet"):
        assert name in page
    assert "2026-11-15" in page
    assert '<td class="num">110.00</td>' in page


def test_the_outlet_head_opens_only_her_own_outlets_scorecard_from_the_bulletin(english, outlet_head, ranked):
    english.force_login(outlet_head)

    page = _page(english.get(URL))

    assert "/units/GZ0101/scorecard/" in page
    for other in ("GZ0102", "GZ0103", "GZ0104"):
        assert f"/units/{other}/scorecard/" not in page
    assert english.get("/units/GZ0102/scorecard/").status_code == 404


def test_the_outlet_head_gets_404_for_another_group_or_unit(english, outlet_head, ranked):
    english.force_login(outlet_head)

    assert english.get(URL, {"group": "GZ01-urban"}).status_code == 200
    for query in ({"group": "SZ01-urban"}, {"group": "GZ02-township"}, {"group": "NOPE"}, {"unit": "GZ01"}):
        assert english.get(URL, query).status_code == 404, query


def test_the_outlet_head_sees_a_hand_made_group_her_outlet_belongs_to(english, outlet_head, ranked):
    pk = PeerGroup.objects.create(code="PK-2026", name_zh="PK 小组", name_en="PK group")
    pk.members.add(ranked["GZ0101"], ranked["SZ0101"])
    english.force_login(outlet_head)

    page = _page(english.get(URL, {"group": "PK-2026"}))

    assert "Huaqiangbei Outlet" in page
    assert "/units/SZ0101/scorecard/" not in page


def test_the_unit_manager_sees_his_subtree_by_default(english, unit_manager, ranked):
    english.force_login(unit_manager)

    page = _page(english.get(URL))

    assert "Tianhe Sub-branch" in page
    for code in ("GZ0101", "GZ0102", "GZ0103", "GZ0104"):
        assert f"/units/{code}/scorecard/" in page
    assert "GZ0201" not in page
    assert "SZ0101" not in page


def test_the_unit_manager_reads_his_groups_but_not_others(english, unit_manager, ranked):
    english.force_login(unit_manager)

    assert english.get(URL, {"group": "GZ01-urban"}).status_code == 200
    assert english.get(URL, {"unit": "GZ0102"}).status_code == 200
    assert english.get(URL, {"group": "SZ01-urban"}).status_code == 404
    assert english.get(URL, {"unit": "GZ"}).status_code == 404


def test_hq_and_the_auditor_pick_any_group_or_unit(english, hq_admin, auditor, ranked):
    for user in (hq_admin, auditor):
        english.force_login(user)
        assert "Huaqiangbei Outlet" in _page(english.get(URL, {"group": "SZ01-urban"}))
        assert "Taiping Town Outlet" in _page(english.get(URL, {"unit": "GZ02"}))
        # By default, the whole network.
        page = _page(english.get(URL))
        assert "Huaqiangbei Outlet" in page and "Tianhe Road Outlet" in page


def test_a_teller_and_a_login_without_a_role_get_404(client, teller, outsider, ranked):
    for user in (teller, outsider):
        client.force_login(user)
        assert client.get(URL).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, ranked):
    response = client.get(URL)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_bulletin_link_is_in_the_top_bar_for_managers_not_tellers(english, unit_manager, teller, ranked):
    english.force_login(unit_manager)
    assert 'href="/bulletin/"' in _page(english.get("/scorecard/"))
    english.force_login(teller)
    assert 'href="/bulletin/"' not in _page(english.get("/scorecard/"))


# -- the table ---------------------------------------------------------------------------------------


def test_movement_is_an_arrow_with_words_for_screen_readers(english, unit_manager, ranked):
    english.force_login(unit_manager)

    page = _page(english.get(URL, {"group": "GZ01-urban"}))

    assert '<span aria-hidden="true">↑ 2</span><span class="visually-hidden">up 2 places</span>' in page
    assert '<span aria-hidden="true">↓ 1</span><span class="visually-hidden">down 1 place</span>' in page
    assert '<span aria-hidden="true">=</span><span class="visually-hidden">unchanged</span>' in page


def test_the_table_shows_scores_the_veto_and_chips_in_words(english, unit_manager, ranked):
    english.force_login(unit_manager)

    page = _page(english.get(URL, {"group": "GZ01-urban"}))

    assert '<td class="num">110.00</td>' in page
    assert '<td class="num">0.00</td>' in page
    assert f"Vetoed</span> <small>{VETO_REASON}</small>" in page
    assert '<span class="chip chip-red"><span aria-hidden="true">✕</span> Customers served: Behind</span>' in page
    amber = '<span class="chip chip-amber"><span aria-hidden="true">!</span> Mobile banking sign-ups: Slightly behind'
    assert f"{amber}</span>" in page
    assert "4 outlets ranked" in page


def test_a_day_not_rolled_up_says_so_and_links_to_the_latest(english, unit_manager, ranked):
    english.force_login(unit_manager)

    page = _page(english.get(URL, {"date": "2026-11-20"}))

    assert "There is no bulletin for 2026-11-20" in page
    assert "Show the latest rolled-up day (2026-11-15)" in page


def test_a_bad_date_is_reported_and_the_latest_day_shown(english, unit_manager, ranked):
    english.force_login(unit_manager)

    page = _page(english.get(URL, {"date": "15/11/2026"}))

    assert "is not a date" in page
    assert '<td class="num">110.00</td>' in page


def test_the_page_prints_without_the_controls(english, unit_manager, ranked):
    english.force_login(unit_manager)

    page = _page(english.get(URL))

    assert 'class="bulletin-sheet"' in page
    assert page.count("no-print") >= 2  # the controls and the print / download links


# -- downloads ---------------------------------------------------------------------------------------


def test_the_csv_download_escapes_a_cell_a_spreadsheet_would_run(english, unit_manager, ranked):
    ranked["GZ0103"].name_zh = ranked["GZ0103"].name_en = '=HYPERLINK("http://evil.example","open")'
    ranked["GZ0103"].save()
    english.force_login(unit_manager)

    response = english.get(URL, {"group": "GZ01-urban", "export": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="bulletin-GZ01-urban-2026-11-15-month.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == [
        "Rank",
        "Places gained",
        "Outlet code",
        "Outlet",
        "Score",
        "Vetoed",
        "Veto reason",
        "Customers served",
        "Mobile banking sign-ups",
    ]
    assert rows[1] == ["1", "2", "GZ0101", "Tianhe Road Outlet", "110.0000", "", "", "On pace", "On pace"]
    assert rows[3][2:4] == ["GZ0103", """'=HYPERLINK("http://evil.example","open")"""]
    assert rows[4] == ["4", "0", "GZ0104", "Shipai Outlet", "0.0000", "yes", VETO_REASON, "Behind", "Slightly behind"]


def test_the_xlsx_download_reads_back_with_numbers_as_numbers(english, unit_manager, ranked):
    english.force_login(unit_manager)

    response = english.get(URL, {"group": "GZ01-urban", "export": "xlsx"})

    assert response.status_code == 200
    assert 'filename="bulletin-GZ01-urban-2026-11-15-month.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Rank", "Places gained", "Outlet code", "Outlet", "Score")
    assert [row[:5] for row in rows[1:]] == [
        (1, 2, "GZ0101", "Tianhe Road Outlet", 110),
        (2, -1, "GZ0102", "Zhujiang New Town Outlet", 100),
        (2, 0, "GZ0103", "Tiyu West Outlet", 100),
        (4, 0, "GZ0104", "Shipai Outlet", 0),
    ]
    assert rows[4][5:] == ("yes", VETO_REASON, "Behind", "Slightly behind")


def test_a_download_is_scoped_like_the_page(english, outlet_head, ranked):
    english.force_login(outlet_head)

    assert english.get(URL, {"group": "SZ01-urban", "export": "csv"}).status_code == 404


# -- number format -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("110"), "110.00"), (Decimal("66.8049"), "66.80"), (Decimal("1234.5"), "1,234.50"), (None, "—")],
)
def test_a_score_is_written_with_two_decimals(value, text):
    assert kpi_score(value) == text
