"""The meeting pages (meetings/views.py) on the morning of 24 November 2026 at 天河路网点 (conftest.py):
the outlet head opens today's sheet, prefilled, saves attendance and goals (all or nothing), reads the
夕会; who may not hold the meeting reads it or gets a 404; the Monday minutes and one's action items."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings.models import ActionItem, Attendance, Goal, GoalChange, Meeting, Topic
from tests.alerts.factories import AlertFactory
from tests.meetings.conftest import D

pytestmark = pytest.mark.django_db
SHEET = "/meetings/GZ0101/morning/"
SHEET_GOALS = ["goal-S1001-mobile_banking_signups", "goal-S1002-mobile_banking_signups", "goal-S1001-counter_referrals"]


@pytest.fixture(autouse=True)
def _today_is_d(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: D)


def _post_sheet(client, **fields):
    data = {"action": "save", "decisions": "", **fields}
    return client.post(SHEET, data)


def test_the_outlet_head_opens_meetings_on_todays_sheet_prefilled_with_each_persons_proposal(
    client, outlet_head, morning_of_d
):
    client.force_login(outlet_head)

    response = client.get("/meetings/", follow=True)

    assert response.redirect_chain == [(SHEET, 302)]
    page = response.content.decode()
    assert "黄丽娟" in page and "张伟" in page
    # The proposals: 3 sign-ups for 黄丽娟 (2.43 a day, rounded up), 2 for 张伟, 1 counter referral.
    assert 'name="goal-S1001-mobile_banking_signups" value="3"' in page
    assert 'name="goal-S1002-mobile_banking_signups" value="2"' in page
    assert 'name="goal-S1001-counter_referrals" value="1"' in page
    assert "23 / 40" in page and "2.4" in page  # month to date / target, and 2.43 a day to one decimal
    # Why 3 beside 2.4: the proposal says it is rounded up.
    assert page.count("建议值：剩余每天需完成量，向上取整") == 3
    assert not Meeting.objects.exists()  # reading writes nothing


def test_saving_the_sheet_records_attendance_goals_and_decisions_and_audits_the_goals(
    client, outlet_head, morning_of_d
):
    client.force_login(outlet_head)

    response = _post_sheet(
        client,
        **{
            "attendance-S1001": "present",
            "attendance-S1002": "late",
            "goal-S1001-mobile_banking_signups": "4",
            "goal-S1002-mobile_banking_signups": "2",
            "goal-S1001-counter_referrals": "",
            "decisions": "今日主推手机银行，大堂经理每小时巡检一次",
        },
    )

    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert (meeting.held_by, meeting.decisions) == (outlet_head, "今日主推手机银行，大堂经理每小时巡检一次")
    assert dict(Attendance.objects.values_list("staff__code", "status")) == {"S1001": "present", "S1002": "late"}
    assert sorted(Goal.objects.values_list("staff__code", "metric__code", "value")) == [
        ("S1001", "mobile_banking_signups", Decimal(4)),
        ("S1002", "mobile_banking_signups", Decimal(2)),
    ]
    assert GoalChange.objects.filter(changed_by=outlet_head, old_value=None).count() == 2
    assert [m.code for m in meeting.goal_metrics.all()] == ["mobile_banking_signups", "counter_referrals"]


def _as_shown(page, **changes) -> dict:
    """The sheet's form as the page holds it (what the browser posts back), with `changes` typed over it."""
    form = page.context["form"]
    shown = {name: form[name].value() or "" for name in form.fields}
    return {"action": "save", **shown, **changes}


def _message(response) -> str:
    [message] = [str(message) for message in response.context["messages"]]
    return message


def test_a_goal_cleared_on_the_sheet_stays_cleared_and_saving_the_sheet_again_changes_no_goal(
    client, english, outlet_head, morning_of_d
):
    client.force_login(outlet_head)
    # The morning: the three proposals taken as they are (3 and 2 sign-ups, 1 counter referral)...
    taken = client.post(SHEET, _as_shown(client.get(SHEET)), follow=True)
    assert _message(taken) == "The sheet is saved (3 goals changed)."
    # ... then 黄丽娟's 3 sign-ups cleared.
    cleared = client.post(SHEET, _as_shown(client.get(SHEET), **{"goal-S1001-mobile_banking_signups": ""}))
    assert cleared.status_code == 302

    page = client.get(SHEET)

    # The field stays empty (no proposal of 3 again) and says no proposal.
    assert page.context["form"]["goal-S1001-mobile_banking_signups"].value() == ""
    assert "proposed: what each remaining day must bring" not in page.content.decode()
    # Only the decisions changed: no goal comes back, and the message says 0 goals changed.
    again = client.post(SHEET, _as_shown(page, decisions="今日主推手机银行"), follow=True)
    assert _message(again) == "The sheet is saved (0 goals changed)."
    assert sorted(Goal.objects.values_list("staff__code", "metric__code", "value")) == [
        ("S1001", "counter_referrals", Decimal(1)),
        ("S1002", "mobile_banking_signups", Decimal(2)),
    ]
    assert Meeting.objects.get().decisions == "今日主推手机银行"
    # The audit: 3 set, then 3 → none; nothing after.
    assert GoalChange.objects.filter(staff__code="S1001", metric__code="mobile_banking_signups").count() == 2
    assert client.get("/meetings/GZ0101/evening/").context["sheet"].goals == 2


def test_a_proposal_emptied_before_the_first_save_is_not_proposed_again(client, english, outlet_head, morning_of_d):
    client.force_login(outlet_head)
    fresh = client.get(SHEET)
    assert fresh.context["form"]["goal-S1001-mobile_banking_signups"].value() == "3"

    first = client.post(SHEET, _as_shown(fresh, **{"goal-S1001-mobile_banking_signups": ""}), follow=True)
    assert _message(first) == "The sheet is saved (2 goals changed)."
    page = client.get(SHEET)
    again = client.post(SHEET, _as_shown(page), follow=True)

    assert page.context["form"]["goal-S1001-mobile_banking_signups"].value() == ""
    assert _message(again) == "The sheet is saved (0 goals changed)."
    assert not Goal.objects.filter(staff__code="S1001", metric__code="mobile_banking_signups").exists()


def test_the_sheet_still_proposes_goals_after_a_topic_is_added_before_it_is_saved(client, outlet_head, morning_of_d):
    client.force_login(outlet_head)
    client.post(SHEET, {"action": "topic", "topic_kind": "product", "topic_text": "手机银行新版"})

    form = client.get(SHEET).context["form"]

    assert Meeting.objects.get().sheet_saved_at is None
    assert [form[name].value() for name in SHEET_GOALS] == ["3", "2", "1"]


def test_a_sheet_with_one_bad_goal_answers_400_saying_where_and_writes_nothing(client, outlet_head, morning_of_d):
    client.force_login(outlet_head)

    response = _post_sheet(
        client,
        **{
            "attendance-S1001": "present",
            "goal-S1001-mobile_banking_signups": "3",
            "goal-S1002-mobile_banking_signups": "2.5",  # half a customer
            "goal-S1001-counter_referrals": "many",
        },
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"goal-S1002-mobile_banking_signups", "goal-S1001-counter_referrals"}
    # What was typed stays in the fields.
    assert 'value="2.5"' in response.content.decode()
    assert not Meeting.objects.exists() and not Goal.objects.exists() and not Attendance.objects.exists()


def test_topics_are_added_and_removed_on_the_sheet(client, outlet_head, morning_of_d):
    client.force_login(outlet_head)

    client.post(SHEET, {"action": "topic", "topic_kind": "case", "topic_text": "他行到期客户成功挽留案例分享"})
    bad = client.post(SHEET, {"action": "topic", "topic_kind": "case", "topic_text": ""})

    assert bad.status_code == 400
    topic = Topic.objects.get()
    assert (topic.kind, topic.text, topic.added_by) == ("case", "他行到期客户成功挽留案例分享", outlet_head)
    assert "他行到期客户成功挽留案例分享" in client.get(SHEET).content.decode()
    client.post(SHEET, {"action": "topic_delete", "topic": str(topic.pk)})
    assert not Topic.objects.exists()


def test_the_auditor_reads_the_sheet_without_a_form_and_may_not_post(client, auditor, morning_of_d):
    client.force_login(auditor)

    page = client.get(SHEET)

    assert page.status_code == 200
    assert 'name="goal-S1001-mobile_banking_signups"' not in page.content.decode()
    assert client.post(SHEET, {"action": "save"}).status_code == 403


@pytest.mark.parametrize("persona", ["teller", "outsider"])
def test_who_sees_no_unit_gets_a_404_for_the_sheet(client, persona, request, morning_of_d):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(SHEET).status_code == 404
    assert client.get("/meetings/GZ0101/evening/").status_code == 404


def test_another_outlets_sheet_is_a_404_for_the_outlet_head_and_a_sub_branch_has_no_morning_sheet(
    client, outlet_head, unit_manager, morning_of_d
):
    client.force_login(outlet_head)
    assert client.get("/meetings/SZ0101/morning/").status_code == 404
    client.force_login(unit_manager)
    assert client.get("/meetings/GZ01/morning/").status_code == 404
    assert client.get("/meetings/GZ0102/morning/").status_code == 200


def test_a_past_day_is_read_only_and_a_post_to_it_is_refused(client, outlet_head, morning_of_d):
    client.force_login(outlet_head)
    yesterday = (D - datetime.timedelta(days=1)).isoformat()

    page = client.get(SHEET, {"date": yesterday})
    posted = client.post(f"{SHEET}?date={yesterday}", {"action": "save", "attendance-S1001": "present"})

    assert 'name="goal-S1001-mobile_banking_signups"' not in page.content.decode()
    assert posted.status_code == 400
    assert not Meeting.objects.exists()


def test_a_bad_date_is_reported_and_today_shown(client, outlet_head, morning_of_d):
    client.force_login(outlet_head)

    response = client.get(SHEET, {"date": "2026-02-30"})

    assert response.status_code == 400
    assert response.context["day"] == D


def test_the_sheet_costs_the_same_queries_for_two_people_as_for_five(client, outlet_head, morning_of_d, network):
    from tests.factories import AssignmentFactory

    client.force_login(outlet_head)
    client.get(SHEET)
    with CaptureQueriesContext(connection) as two:
        client.get(SHEET)
    for _ in range(3):
        AssignmentFactory(unit=network["GZ0101"])
    with CaptureQueriesContext(connection) as five:
        client.get(SHEET)

    assert len(five) == len(two)


def test_the_evening_view_shows_each_persons_goals_and_waits_for_the_rollup(client, outlet_head, morning_of_d):
    client.force_login(outlet_head)
    _post_sheet(client, **{"goal-S1001-mobile_banking_signups": "3", "goal-S1002-mobile_banking_signups": "2"})

    page = client.get("/meetings/GZ0101/evening/")

    assert page.status_code == 200
    assert not page.context["sheet"].published
    assert page.context["sheet"].goals == 2


def test_the_unit_manager_holds_the_monday_meeting_and_adds_an_item_linked_to_an_alert(
    client, unit_manager, outlet_head, morning_of_d, network
):
    monday = D - datetime.timedelta(days=1)
    alert = AlertFactory(unit=network["GZ0101"])
    client.force_login(unit_manager)
    url = f"/meetings/GZ01/weekly/?week={monday.isoformat()}"

    page = client.get(url)
    assert page.status_code == 200
    assert f'value="alert:{alert.pk}"' in page.content.decode()
    saved = client.post(url, {"action": "minutes", "decisions": "各网点本周主攻手机银行签约"})
    added = client.post(
        url,
        {
            "action": "item",
            "text": "天河路网点高峰时段增开弹性窗口",
            "owner": str(outlet_head.pk),
            "due": (monday + datetime.timedelta(days=4)).isoformat(),
            "link": f"alert:{alert.pk}",
        },
    )
    refused = client.post(url, {"action": "item", "text": "x", "owner": str(outlet_head.pk), "due": "2026-13-01"})

    assert (saved.status_code, added.status_code, refused.status_code) == (302, 302, 400)
    item = ActionItem.objects.get()
    assert (item.owner, item.link_kind, item.link_id, item.meeting.unit.code) == (
        outlet_head,
        "alert",
        alert.pk,
        "GZ01",
    )
    assert "天河路网点高峰时段增开弹性窗口" in client.get(url).content.decode()


def test_the_owner_finds_the_item_on_their_action_items_and_their_scorecard_once_overdue(
    client, unit_manager, outlet_head, morning_of_d, network, monkeypatch
):
    monday = D - datetime.timedelta(days=1)
    meeting = Meeting.objects.create(unit=network["GZ01"], kind="weekly", date=monday, held_by=unit_manager)
    item = ActionItem.objects.create(
        meeting=meeting, text="走访辖内10户商户", owner=outlet_head, due=D, created_by=unit_manager
    )
    client.force_login(outlet_head)

    assert "走访辖内10户商户" in client.get("/meetings/actions/").content.decode()
    assert "走访辖内10户商户" not in client.get("/scorecard/").content.decode()  # due today: not overdue yet

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: D + datetime.timedelta(days=1))
    assert "走访辖内10户商户" in client.get("/scorecard/").content.decode()

    done = client.post("/meetings/actions/", {"action": "settle", "item": str(item.pk), "done": "1"})
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.status == "done"


def test_settling_an_item_outside_ones_reach_is_a_404(client, teller, unit_manager, network, morning_of_d):
    meeting = Meeting.objects.create(unit=network["SZ01"], kind="weekly", date=D - datetime.timedelta(days=1))
    item = ActionItem.objects.create(meeting=meeting, text="x", owner=unit_manager, due=D)
    client.force_login(teller)

    assert client.post("/meetings/actions/", {"item": str(item.pk), "done": "1"}).status_code == 404
    assert client.post("/meetings/actions/", {"item": "x", "done": "1"}).status_code == 404


def test_a_staff_member_opening_meetings_lands_on_their_action_items(client, teller, morning_of_d):
    client.force_login(teller)

    assert client.get("/meetings/").url == "/meetings/actions/"


def test_hq_picks_a_unit_by_code_and_a_wrong_code_is_said(client, hq_admin, morning_of_d):
    client.force_login(hq_admin)

    assert client.get("/meetings/", {"unit": "GZ0101"}).url == SHEET
    assert client.get("/meetings/", {"unit": "GZ01"}).url == "/meetings/GZ01/weekly/"
    assert client.get("/meetings/", {"unit": "NOPE"}).status_code == 400


def test_a_teller_sees_her_items_meeting_named_without_a_link_to_minutes_she_may_not_open(
    client, teller, outlet_head, network, morning_of_d
):
    monday = D - datetime.timedelta(days=3)
    meeting = Meeting.objects.create(unit=network["GZ0101"], kind="weekly", date=monday, held_by=outlet_head)
    due = D - datetime.timedelta(days=1)  # overdue: the outlet head's page lists it too
    ActionItem.objects.create(meeting=meeting, text="整理厅堂宣传折页", owner=teller, due=due, created_by=outlet_head)
    minutes = f"/meetings/GZ0101/weekly/?week={monday:%Y-%m-%d}"

    client.force_login(teller)
    page = client.get("/meetings/actions/").content.decode()
    assert "整理厅堂宣传折页" in page and minutes not in page
    assert client.get(minutes).status_code == 404

    client.force_login(outlet_head)
    page = client.get("/meetings/actions/").content.decode()
    assert "整理厅堂宣传折页" in page and minutes in page
