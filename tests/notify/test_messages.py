"""The message of a day (notify.messages): each end of a long ranking, and WeCom's 4,096-byte limit."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from branches.models import OrgUnit, PeerGroup
from kpi.selectors.freshness import Freshness
from lib.periods import PeriodKind
from notify.messages import WECOM_MARKDOWN_BYTES, summary_message
from notify.models import ChannelKind, DeliveryKind
from notify.selectors import PUSH_TOP, DaySummary, GroupRanking, RankedOutlet, _group_ranking

DAY = datetime.date(2026, 11, 15)
NOW = datetime.datetime(2026, 11, 16, 8, 30, tzinfo=datetime.UTC)
LINK = "https://bankops.example.com/bulletin/?unit=GZ&date=2026-11-15&period=month"


def outlet(number: int) -> OrgUnit:
    return OrgUnit(code=f"GZ01{number:02d}", name_zh=f"第{number}网点", name_en=f"Outlet {number}")


def ranked(count: int) -> list[RankedOutlet]:
    # Scores 100, 99, 98, …: ranks 1, 2, 3, …
    return [RankedOutlet(outlet(n), n, Decimal(101 - n), False) for n in range(1, count + 1)]


def summary(groups: list[GroupRanking]) -> DaySummary:
    freshness = Freshness(day=DAY, expected=0, reported=0, missing=[], due_at=NOW, now=NOW)
    unit = OrgUnit(code="GZ", name_zh="广州分行", name_en="Guangzhou Branch")
    return DaySummary(unit, DAY, PeriodKind.MONTH, "2026-11", freshness, groups, [], LINK)


def group(code: str, count: int) -> GroupRanking:
    top = ranked(count)
    return GroupRanking(PeerGroup(code=code, name_zh=f"{code} peers", name_en=f"{code} peers"), top, [], count, [])


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def test_a_group_of_more_than_six_shows_its_top_three_and_its_bottom_three():
    class Row:
        def __init__(self, entry):
            self.outlet, self.rank, self.total_score, self.vetoed, self.no_data = (
                entry.outlet, entry.rank, entry.score, entry.vetoed, False,
            )  # fmt: skip

    ranking = _group_ranking(PeerGroup(code="G", name_zh="G", name_en="G"), [Row(entry) for entry in ranked(8)])

    assert PUSH_TOP == 3
    assert [entry.rank for entry in ranking.top] == [1, 2, 3]
    assert [entry.rank for entry in ranking.bottom] == [6, 7, 8]
    lines = summary_message(summary([ranking])).markdown(kind=ChannelKind.WECOM).split("\n")
    assert "Top 3: 1 Outlet 1 100.00; 2 Outlet 2 99.00; 3 Outlet 3 98.00" in lines
    assert "Bottom 3: 6 Outlet 6 95.00; 7 Outlet 7 94.00; 8 Outlet 8 93.00" in lines


def test_a_vetoed_outlet_says_so():
    vetoed = GroupRanking(
        PeerGroup(code="G", name_zh="G", name_en="G"), [RankedOutlet(outlet(4), 1, Decimal(0), True)], [], 1, []
    )

    text = summary_message(summary([vetoed])).markdown(kind=ChannelKind.WECOM)

    assert "Ranking: 1 Outlet 4 0.00(vetoed)" in text


def test_a_message_over_wecoms_limit_leaves_out_the_last_groups_and_keeps_the_link():
    groups = [group(f"G{number:02d}", 6) for number in range(40)]  # far over 4,096 bytes

    text = summary_message(summary(groups)).markdown(kind=ChannelKind.WECOM)

    assert len(text.encode()) <= WECOM_MARKDOWN_BYTES
    assert text.startswith("### Daily bulletin · Guangzhou Branch · 2026-11-15")
    assert "#### G00 peers (6 outlets ranked)" in text
    assert "#### G39 peers" not in text
    lines = text.split("\n")
    assert lines[-1] == f"[Open the whole bulletin]({LINK})"
    assert lines[-2].endswith("more peer groups: see the whole bulletin.")
    assert "#### Red lines of Guangzhou Branch" in text


def test_a_correction_says_so_in_its_title():
    message = summary_message(summary([group("G", 2)]), kind=DeliveryKind.CORRECTION)

    assert message.title == "[Correction] Daily bulletin · Guangzhou Branch · 2026-11-15"
    assert "changed after the summary was sent" in message.plain_text()
