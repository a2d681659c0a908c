"""kpi/tables.py: the ranking of outlets, declared once, as the bulletin's download, the overview's page
table and the API's rows. Rows are built by hand (no database): two outlets of a peer group of four."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from django.utils import translation

from kpi.models import Status
from kpi.selectors.bulletin import BulletinChip, BulletinRow
from kpi.serializers import RankingRowSerializer
from kpi.tables import RANKING_PAGE, bulletin_table

DEPOSITS = SimpleNamespace(pk=1, code="deposit_balance", name="Deposit balance")
SIGN_UPS = SimpleNamespace(pk=2, code="mobile_banking_signups", name="Mobile banking sign-ups")


def outlet_row(code, name, *, score, rank, movement, is_new=False, vetoed=False, reason="", chips=()):
    scorecard = SimpleNamespace(total_score=score, vetoed=vetoed, veto_reason=reason)
    return BulletinRow(
        outlet=SimpleNamespace(code=code, name=name),
        scorecard=scorecard,
        rank=rank,
        rank_of=4,
        previous_rank=None,
        movement=movement,
        is_new=is_new,
        chips=list(chips),
    )


# Second, one place lost since yesterday; deposits on pace, sign-ups behind.
TIANHE = outlet_row(
    "GZ0101",
    "Tianhe Road Outlet",
    score=Decimal("110.0000"),
    rank=2,
    movement=-1,
    chips=[BulletinChip(DEPOSITS, Status.GREEN), BulletinChip(SIGN_UPS, Status.RED)],
)
# Vetoed (score 0), last, ranked for the first time today; no sign-ups line.
HUADU = outlet_row(
    "GZ0104",
    "Huadu Outlet",
    score=Decimal("0.0000"),
    rank=4,
    movement=None,
    is_new=True,
    vetoed=True,
    reason="发生内控风险事件",
    chips=[BulletinChip(DEPOSITS, Status.AMBER)],
)


def test_the_bulletin_download_has_a_column_per_key_metric_in_the_order_first_seen():
    with translation.override("en"):
        table = bulletin_table([TIANHE, HUADU])
        assert table.header() == [
            "Rank",
            "Places gained",
            "Outlet code",
            "Outlet",
            "Score",
            "Vetoed",
            "Veto reason",
            "Deposit balance",
            "Mobile banking sign-ups",
        ]
        assert list(table.file_rows([TIANHE, HUADU])) == [
            [2, -1, "GZ0101", "Tianhe Road Outlet", Decimal("110.0000"), "", "", "On pace", "Behind"],
            [4, "new", "GZ0104", "Huadu Outlet", Decimal("0.0000"), "yes", "发生内控风险事件", "Slightly behind", ""],
        ]


def test_the_overview_page_links_each_outlet_and_marks_a_veto():
    with translation.override("en"):
        page = RANKING_PAGE.page([TIANHE, HUADU], keep="period=month")
    assert page.headers == [("Rank", "num"), ("Outlet", ""), ("Score", "num"), ("Veto", "")]
    assert [cell.content for cell in page.rows[0]] == [
        "2",
        '<a href="/units/GZ0101/scorecard/?period=month">Tianhe Road Outlet</a> <small class="muted">GZ0101</small>',
        "110.00",
        "",
    ]
    assert page.rows[1][3].content == '<span class="veto"><span aria-hidden="true">✕</span> Vetoed</span>'


def test_an_unranked_outlet_says_so_to_a_screen_reader():
    unranked = outlet_row("GZ0105", "Conghua Outlet", score=None, rank=None, movement=None)
    with translation.override("en"):
        page = RANKING_PAGE.page([unranked], keep="")
    assert page.rows[0][0].content == '<span aria-hidden="true">—</span><span class="visually-hidden">Not ranked</span>'


def test_the_api_row_writes_the_score_with_four_decimals_and_null_movement_for_a_new_outlet():
    assert RankingRowSerializer([TIANHE, HUADU], many=True).data == [
        {
            "unit": "GZ0101",
            "total_score": "110.0000",
            "vetoed": False,
            "veto_reason": "",
            "rank": 2,
            "rank_of": 4,
            "movement": -1,
            "no_data": False,
        },
        {
            "unit": "GZ0104",
            "total_score": "0.0000",
            "vetoed": True,
            "veto_reason": "发生内控风险事件",
            "rank": 4,
            "rank_of": 4,
            "movement": None,
            "no_data": False,
        },
    ]
