"""The bulletin waits for the day's data (issue 17): an outlet expected to report the day that did not is
shown as 无数据 (no data), named, and not ranked last; the page says whether the ranking still waits.
The figures are those of tests/kpi/freshness_data.py: GZ0104 has not reported Sunday the 15th."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from branches.models import PeerGroup
from kpi.models import Scorecard
from kpi.selectors import bulletin as bulletin_reads
from tests.kpi import freshness_data
from tests.kpi.freshness_data import BEFORE_CUTOFF, LATE, report
from tests.kpi.ranking_data import DAY, roll, scored_day

late = freshness_data.shared_late_network  # the fixture: GZ0104 has not reported the 15th (made once for the module)
shared_late = freshness_data.shared_late  # what `late` reads

pytestmark = pytest.mark.django_db


def rows():
    return bulletin_reads.bulletin_rows(date=DAY, period="month", group=PeerGroup.objects.get(code="GZ01-urban"))


@pytest.fixture
def english(client, hq_admin):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(hq_admin)
    return client


def test_the_outlet_with_no_data_is_not_ranked_last_but_listed_as_no_data(late):
    ranked = rows()

    # 110, 100, 100 ranked 1, 2, 2 of 3; GZ0104 after them, unranked.
    assert [(row.outlet.code, row.rank, row.rank_of, row.no_data) for row in ranked] == [
        ("GZ0101", 1, 3, False),
        ("GZ0102", 2, 3, False),
        ("GZ0103", 2, 3, False),
        (LATE, None, None, True),
    ]


def test_it_would_otherwise_have_been_ranked_last_on_figures_it_never_sent(late):
    # Its month to date stands where the 14th left it: 60 × 50/150 + 40 × 20/50 = 36, the lowest score.
    card = Scorecard.objects.published(on=DAY).get(unit=late[LATE], period="month", staff=None)

    assert card.total_score == Decimal("36")
    assert card.rank == 4  # the rollup's stored peer-group rank knows nothing of freshness


def test_the_movement_of_the_others_compares_with_the_day_before(late):
    # 14th: GZ0102 1, GZ0103 2, GZ0101 3, GZ0104 4 (all reported then; Saturday is no habit day).
    by_code = {row.outlet.code: row for row in rows()}

    assert [(code, by_code[code].movement) for code in ("GZ0101", "GZ0102", "GZ0103")] == [
        ("GZ0101", 2),
        ("GZ0102", -1),
        ("GZ0103", 0),
    ]
    assert (by_code[LATE].movement, by_code[LATE].direction) == (None, None)


def test_once_the_late_outlet_reports_and_the_day_is_rolled_up_again_it_is_ranked(late):
    scored_day(late[LATE], (25, 26), DAY)
    roll(DAY)

    by_code = {row.outlet.code: row for row in rows()}

    # 75 served and 46 sign-ups: 60 × 0.5 + 40 × 0.92 = 66.8, fourth of four.
    assert (by_code[LATE].rank, by_code[LATE].rank_of, by_code[LATE].no_data) == (4, 4, False)


def test_the_next_day_an_outlet_that_had_no_data_is_not_counted_as_new(late):
    # Monday the 16th: everyone reports; nobody has the Monday habit, so only the 15th's gap matters.
    monday = DAY.replace(day=16)
    for code in ("GZ0101", "GZ0102", "GZ0103", LATE):
        scored_day(late[code], (10, 3), monday)
    roll(monday)

    by_code = {
        row.outlet.code: row
        for row in bulletin_reads.bulletin_rows(
            date=monday, period="month", group=PeerGroup.objects.get(code="GZ01-urban")
        )
    }

    assert by_code[LATE].rank is not None
    assert (by_code[LATE].is_new, by_code[LATE].movement) == (False, None)


def test_the_page_names_the_missing_outlet_once_the_cut_off_has_passed(late, english):
    page = english.get("/bulletin/", {"group": "GZ01-urban", "date": "2026-11-15"}).content.decode()

    assert "Published with outlets missing" in page
    assert "3 of 4 outlets had reported by the cut-off (2026-11-16 08:00)" in page
    assert "Shipai Outlet" in page
    assert '<span class="chip chip-none no-data">No data</span>' in page


def test_before_the_cut_off_the_page_says_the_ranking_waits(late, english, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: BEFORE_CUTOFF)

    page = english.get("/bulletin/", {"group": "GZ01-urban", "date": "2026-11-15"}).content.decode()

    assert "Waiting for data" in page
    assert "3 of 4 outlets have reported this day. The ranking below is provisional" in page


def test_a_complete_day_shows_no_freshness_notice(late, english):
    report(late[LATE], DAY)

    page = english.get("/bulletin/", {"group": "GZ01-urban", "date": "2026-11-15"}).content.decode()

    assert "bulletin-freshness" not in page


def test_the_download_writes_no_data_in_the_rank_column(late, english):
    response = english.get("/bulletin/", {"group": "GZ01-urban", "date": "2026-11-15", "export": "csv"})
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))

    assert [line[0] for line in table] == ["Rank", "1", "2", "2", "No data"]


def test_the_rankings_api_marks_the_outlet_and_says_who_is_missing(late, client, hq_admin):
    client.force_login(hq_admin)

    body = client.get("/api/v1/rankings/", {"group": "GZ01-urban", "date": "2026-11-15"}).json()

    assert body["freshness"] == {
        "expected": 4,
        "reported": 3,
        "missing": [LATE],
        "complete": False,
        "due_at": "2026-11-16T08:00:00+08:00",
        "final": True,
    }
    assert [(row["unit"], row["rank"], row["rank_of"], row["no_data"]) for row in body["results"]] == [
        ("GZ0101", 1, 3, False),
        ("GZ0102", 2, 3, False),
        ("GZ0103", 2, 3, False),
        (LATE, None, None, True),
    ]
