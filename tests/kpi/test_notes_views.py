"""Notes on the pages (issue 14): the chart JSON of the metric history and scorecard pages carries the period
starts and the notes of the days shown; the notes panel says them in words; a unit's notes page lists,
adds and deletes them for whoever may.

Tianhe Road (GZ0101) has month scorecards on 31 October and 24 November 2026; the charts show the 30 days
26 October – 24 November, so 1 November is index 6 and 20 November index 25. The notes are those of
tests/kpi/notes_data.py (HQ's holiday is in early October, before the days shown).
"""

from __future__ import annotations

import json
import re

import pytest

from branches.services import peer_groups_rebuild
from kpi.models import Annotation
from tests.kpi import notes_data
from tests.kpi.history_data import day_card, line
from tests.kpi.notes_data import D
from tests.kpi.scorecard_factories import published_day

pytestmark = pytest.mark.django_db

notes = notes_data.notes  # the fixture


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def charted(network, notes):
    outlet = network["GZ0101"]
    for day, signups, deposits in ((D(2026, 10, 31), 460, "50100"), (D(2026, 11, 24), 420, "46123.45")):
        card = day_card(day, unit=outlet)
        line(card, "mobile_banking_signups", actual=signups, target=500)
        line(card, "deposit_balance", actual=deposits, target=50000)
    return notes


def _blob(page: str, source: str) -> dict:
    match = re.search(rf'<script id="{source}" type="application/json">(.*?)</script>', page, re.S)
    assert match, f"no {source} JSON on the page"
    return json.loads(match.group(1))


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


UPGRADE = {"from": 25, "to": 25, "kind": "system_outage", "label": "System outage", "text": "核心系统升级"}
MATURITY = {"from": 25, "to": 25, "kind": "large_maturity", "label": "Large maturity", "text": "3,000 万元定期到期"}


# -- the charts' JSON ----------------------------------------------------------------------------------


def test_the_metric_history_chart_marks_the_first_of_november_and_the_notes_of_its_metric(
    english, outlet_head, charted
):
    english.force_login(outlet_head)

    signups = _blob(
        _page(english.get("/units/GZ0101/metrics/mobile_banking_signups/?date=2026-11-24")), "metric-history"
    )
    deposits = _blob(_page(english.get("/units/GZ0101/metrics/deposit_balance/?date=2026-11-24")), "metric-history")

    assert signups["boundaries"] == [{"index": 6, "label": "Month 11"}]
    assert signups["notes"] == [{**UPGRADE, "unit": "GZ01", "metric": None}]
    assert deposits["notes"] == [
        {**UPGRADE, "unit": "GZ01", "metric": None},
        {**MATURITY, "unit": "GZ0101", "metric": "deposit_balance"},
    ]


def test_the_scorecards_sparklines_get_every_note_with_its_metric(english, outlet_head, charted):
    english.force_login(outlet_head)

    trends = _blob(_page(english.get("/units/GZ0101/scorecard/?date=2026-11-24")), "scorecard-trends")

    assert trends["boundaries"] == [{"index": 6, "label": "Month 11"}]
    assert trends["notes"] == [
        {**UPGRADE, "unit": "GZ01", "metric": None},
        {**MATURITY, "unit": "GZ0101", "metric": "deposit_balance"},
    ]


def test_the_year_charts_mark_no_boundary_in_these_days_and_the_day_charts_none_at_all(english, outlet_head, charted):
    english.force_login(outlet_head)
    outlet = charted["maturity"].unit
    line(day_card(D(2026, 11, 24), unit=outlet, period="year"), "mobile_banking_signups", actual=5210)
    line(day_card(D(2026, 11, 24), unit=outlet, period="day"), "mobile_banking_signups", actual=20)

    url = "/units/GZ0101/metrics/mobile_banking_signups/?date=2026-11-24&period="
    assert _blob(_page(english.get(url + "year")), "metric-history")["boundaries"] == []
    assert _blob(_page(english.get(url + "day")), "metric-history")["boundaries"] == []


def test_the_notes_panel_says_the_notes_in_words_and_links_to_add_one(english, outlet_head, charted):
    english.force_login(outlet_head)

    page = _page(english.get("/units/GZ0101/metrics/deposit_balance/?date=2026-11-24"))

    panel = page.split('<section class="card notes-panel"', 1)[1].split("</section>", 1)[0]
    assert "Notes on these days" in panel
    assert panel.index("核心系统升级") < panel.index("3,000 万元定期到期")
    assert "网点装修" not in panel and "国庆节" not in panel
    assert '<a href="/units/GZ0101/notes/?date=2026-11-24&amp;metric=deposit_balance">Add a note</a>' in panel


def test_a_tellers_scorecard_shows_her_outlets_notes_without_a_link(english, teller, charted):
    english.force_login(teller)

    page = _page(english.get("/scorecard/?date=2026-11-24"))

    assert "核心系统升级" in page
    assert "/notes/" not in page


def test_a_note_is_text_on_the_page_and_in_the_json(english, hq_admin, charted, network):
    notes_data.note(network["GZ0101"], D(2026, 11, 22), text='<img src=x onerror="alert(1)">')
    english.force_login(hq_admin)

    page = _page(english.get("/units/GZ0101/metrics/mobile_banking_signups/?date=2026-11-24"))

    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert _blob(page, "metric-history")["notes"][-1]["text"] == '<img src=x onerror="alert(1)">'


# -- the notes page ------------------------------------------------------------------------------------


NEW = {"kind": "large_maturity", "start": "2026-11-25", "end": "", "metric": "deposit_balance", "text": "大额存款到期"}


def test_the_outlet_head_adds_a_note_on_her_outlet(english, outlet_head, notes):
    english.force_login(outlet_head)

    response = english.post("/units/GZ0101/notes/", NEW)

    assert (response.status_code, response["Location"]) == (302, "/units/GZ0101/notes/")
    written = Annotation.objects.get(text="大额存款到期")
    assert (written.unit.code, written.start, written.end, written.metric.code, written.created_by) == (
        "GZ0101",
        D(2026, 11, 25),
        D(2026, 11, 25),
        "deposit_balance",
        outlet_head,
    )


def test_a_note_that_ends_before_it_starts_is_shown_again_with_the_error(english, outlet_head, notes):
    english.force_login(outlet_head)

    page = _page(english.post("/units/GZ0101/notes/", {**NEW, "end": "2026-11-24"}))

    assert "The note ends before it starts." in page
    assert not Annotation.objects.filter(text="大额存款到期").exists()


def test_the_notes_page_lists_the_notes_of_the_units_charts_and_offers_the_form(english, outlet_head, notes):
    english.force_login(outlet_head)

    page = _page(english.get("/units/GZ0101/notes/?date=2026-11-24&metric=deposit_balance"))

    listed = page.split("Notes on this unit's charts", 1)[1]
    assert [text for text in ("3,000 万元定期到期", "核心系统升级", "国庆节") if text in listed] == [
        "3,000 万元定期到期",
        "核心系统升级",
        "国庆节",
    ]
    assert "网点装修" not in page and "华强北停电" not in page
    assert 'name="start" value="2026-11-24"' in page
    assert '<option value="deposit_balance" selected>' in page
    # Her own outlet's note has a delete button; HQ's holiday and the sub-branch's upgrade do not.
    assert page.count(">Delete</button>") == 1


def test_the_auditor_reads_the_notes_page_without_a_form_and_may_not_post(english, auditor, notes):
    english.force_login(auditor)

    page = _page(english.get("/units/GZ0101/notes/"))

    assert "国庆节" in page and 'name="text"' not in page
    assert english.post("/units/GZ0101/notes/", NEW).status_code == 403


def test_a_unit_out_of_sight_has_no_notes_page(english, outlet_head, teller, notes):
    english.force_login(outlet_head)
    assert english.get("/units/GZ0102/notes/").status_code == 404
    english.force_login(teller)
    assert english.get("/units/GZ0101/notes/").status_code == 404


def test_the_unit_manager_deletes_an_outlets_note_from_its_page(english, unit_manager, notes):
    english.force_login(unit_manager)

    response = english.post(f"/units/GZ0101/notes/{notes['maturity'].pk}/delete/")

    assert (response.status_code, response["Location"]) == (302, "/units/GZ0101/notes/")
    assert not Annotation.objects.filter(pk=notes["maturity"].pk).exists()


def test_an_outlet_head_may_not_delete_hqs_holiday(english, outlet_head, notes):
    english.force_login(outlet_head)

    assert english.post(f"/units/GZ0101/notes/{notes['holiday'].pk}/delete/").status_code == 403
    assert Annotation.objects.filter(pk=notes["holiday"].pk).exists()


def test_a_note_of_another_branch_is_not_deleted_from_this_units_page(english, hq_admin, notes):
    english.force_login(hq_admin)

    assert english.post(f"/units/GZ0101/notes/{notes['shenzhen'].pk}/delete/").status_code == 404
    assert english.get(f"/units/GZ0101/notes/{notes['maturity'].pk}/delete/").status_code == 405
    assert Annotation.objects.count() == 5


# -- the bulletin --------------------------------------------------------------------------------------


def test_the_bulletin_of_a_sub_branch_lists_the_days_notes_of_its_subtree(english, unit_manager, notes):
    english.force_login(unit_manager)

    page = _page(english.get("/bulletin/", {"date": "2026-11-20"}))

    panel = page.split('<section class="card notes-panel bulletin-notes"', 1)[1].split("</section>", 1)[0]
    assert "Notes on this day" in panel
    assert panel.index("核心系统升级") < panel.index("3,000 万元定期到期")
    assert "华强北停电" not in panel and "网点装修" not in panel


def test_the_bulletin_of_a_peer_group_lists_its_outlets_notes_as_the_reader_may_read_them(
    english, outlet_head, hq_admin, notes
):
    peer_groups_rebuild()
    published_day(D(2026, 11, 21))  # rolled up: the bulletin has its rows (unranked here)
    english.force_login(hq_admin)
    for_hq = _page(english.get("/bulletin/", {"date": "2026-11-21", "group": "GZ01-urban"}))
    english.force_login(outlet_head)
    for_her = _page(english.get("/bulletin/", {"date": "2026-11-21", "group": "GZ01-urban"}))

    assert "网点装修" in for_hq  # GZ0102's note, in her peer group
    assert "网点装修" not in for_her and "bulletin-notes" not in for_her  # her neighbour's: not hers to read
