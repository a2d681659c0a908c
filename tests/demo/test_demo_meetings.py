"""The demo's meetings (demo/meetings.py, issue 17): a small seed_demo (twelve outlets, facts of 23 January
to Thursday 5 February 2026, all rolled up), and the meeting pages are alive for the demo logins.

The morning sheets are those of the last five weekdays rolled up (Friday 30 January, then 2 to 5
February); the unit manager's sub-branch held its Monday meetings on 26 January and 2 February.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from alerts.selectors import badge_count
from demo import meetings as demo_meetings
from meetings.models import ActionItem, Goal, Meeting, Topic
from meetings.selectors import evening_sheet
from staff.access import scope_for_user
from staff.models import User

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 2, 5)
MONDAY = datetime.date(2026, 2, 2)
MORNINGS = [datetime.date(2026, 1, 30), *(datetime.date(2026, 2, day) for day in (2, 3, 4, 5))]


@pytest.fixture(autouse=True)
def _keep_daily_scorecards(settings):
    settings.SCORECARD_RETENTION_DAYS = 100_000


@pytest.fixture
def demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--outlets=12", "--days=14", f"--end={END}", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_demo_logins_find_sheets_goals_against_actuals_and_the_monday_meetings_items(demo, client):
    outlet_head = User.objects.get(username="outlet_head")
    unit_manager = User.objects.get(username="unit_manager")
    outlet = outlet_head.unit
    assert "Meetings:" in demo

    # Five morning sheets, each with attendance, a topic, a decision and goals of the people measured.
    mornings = Meeting.objects.filter(unit=outlet, kind="morning").order_by("date")
    assert [meeting.date for meeting in mornings] == MORNINGS
    for meeting in mornings:
        assert meeting.attendance.exists() and meeting.topics.exists() and meeting.decisions
    assert Goal.objects.filter(meeting__unit=outlet).count() >= 5
    assert Topic.objects.filter(kind__in=("script", "product", "case")).exists()
    # The 夕会 of the last day: its goals beside the day's actuals, some met and some not across the outlets.
    evening = evening_sheet(unit=outlet, day=END, scope=scope_for_user(outlet_head))
    assert evening.published and evening.goals >= 1
    assert all(each.actual is not None for person in evening.people for each in person.goals)

    # The sub-branch's Monday meetings: last week's overdue item for the outlet head, this week's linked
    # to her plan (一点一策) and to an open alert.
    items = ActionItem.objects.filter(meeting__unit=unit_manager.unit)
    overdue = items.filter(status="open", owner=outlet_head, due__lt=datetime.date.today())
    assert overdue.exists()
    assert items.filter(meeting__date=MONDAY, link_kind="improvement_plan").exists()
    assert items.filter(meeting__date=MONDAY, link_kind="alert").exists()
    assert items.filter(status="done").exists()
    assert badge_count(outlet_head) >= overdue.count()
    assert ActionItem.objects.filter(owner__username="teller").exists()

    pages = {
        "outlet_head": [
            f"/meetings/{outlet.code}/morning/?date={END}",
            f"/meetings/{outlet.code}/evening/?date={END}",
            f"/meetings/{outlet.code}/weekly/?week={MONDAY}",
            "/meetings/actions/",
            "/scorecard/",
        ],
        "unit_manager": ["/meetings/", f"/meetings/{unit_manager.unit.code}/weekly/?week={MONDAY}"],
        "hq_admin": ["/meetings/", f"/meetings/{outlet.code}/morning/?date={END}"],
        "auditor": [f"/meetings/{unit_manager.unit.code}/weekly/?week={MONDAY}"],
        "teller": ["/meetings/actions/"],
    }
    for username, urls in pages.items():
        client.force_login(User.objects.get(username=username))
        for url in urls:
            assert client.get(url).status_code == 200, (username, url)
    client.force_login(outlet_head)
    assert "action-overdue" in client.get("/meetings/actions/").content.decode()


def test_seeding_the_meetings_again_writes_nothing(demo):
    counts = (Meeting.objects.count(), Goal.objects.count(), ActionItem.objects.count())

    again = demo_meetings.seed_meetings(seed=2026, end=END)
    linked = demo_meetings.link_alert_items(end=END)

    assert (again.mornings, again.goals, again.weekly, again.items) == (0, 0, 0, 0)
    assert "is there" in linked
    assert (Meeting.objects.count(), Goal.objects.count(), ActionItem.objects.count()) == counts
