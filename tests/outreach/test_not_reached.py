"""A call nobody answered (未接通) is a call made, not a customer contacted: the customer stays to contact
(待联系, marked to contact again), and coverage (名单覆盖率) counts the customers reached, on the list's
page, in the progress table, on the phone, in the facts and in the API alike.

降级客户回访 of GZ0101 (tests/outreach/test_views.py): C-DOWN2 and C-DOWN1 to 王强 S1002; 沉睡客户唤醒 gives him
the six customers of GZ0101.
"""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from outreach.models import Contact, ListAssignment
from outreach.selectors import list_progress, progress_total
from outreach.services.building import ListFilter, candidates_count, list_build
from outreach.services.contacts import contact_record
from outreach.services.facts import outreach_facts_write
from staff.access import scope_for_user
from tests.outreach.conftest import NOVEMBER
from tests.outreach.test_facts import facts

pytestmark = pytest.mark.django_db


def build(outlet_head, network, customer_manager, today, *, name, criteria) -> object:
    return list_build(
        scope=scope_for_user(outlet_head),
        user=outlet_head,
        unit=network["GZ0101"],
        name=name,
        criteria=criteria,
        assign_mode="even",
        staff=[customer_manager],
        starts_on=today,
        due_on=today + datetime.timedelta(days=14),
    )


@pytest.fixture
def moved_down(outlet_head, network, book, customer_manager, today):
    return build(
        outlet_head,
        network,
        customer_manager,
        today,
        name="降级客户回访",
        criteria=ListFilter(month=NOVEMBER, movement="down"),
    )


def row_of(outreach_list, code: str) -> ListAssignment:
    return ListAssignment.objects.select_related("outreach_list__unit", "customer").get(
        outreach_list=outreach_list, customer__code=code
    )


def record(user, assignment, outcome: str, day=None) -> None:
    contact_record(scope=scope_for_user(user), user=user, assignment=assignment, outcome=outcome, day=day)


def test_a_call_not_answered_leaves_the_customer_to_contact_and_outside_the_coverage(
    client, manager_user, outlet_head, moved_down
):
    client.force_login(manager_user)
    client.post(
        reverse("outreach:card", args=[row_of(moved_down, "C-DOWN2").pk]), {"outcome": "no_answer", "channel": "call"}
    )

    assert Contact.objects.get().outcome == "no_answer"
    row = row_of(moved_down, "C-DOWN2")
    assert (row.last_outcome, row.first_contact_on) == ("no_answer", None)
    # Progress: 2 assigned, 0 reached: coverage 0 / 2, one to contact again.
    total = progress_total(list_progress(scope_for_user(outlet_head), moved_down))
    assert (total.assigned, total.contacted, total.coverage, total.to_retry) == (2, 0, 0, 1)
    work = client.get(reverse("outreach:work", args=[moved_down.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 waiting · of them 1 to contact again (未接通)" in work

    client.post(reverse("outreach:card", args=[row.pk]), {"outcome": "connected", "channel": "call"})

    # Reached on the second call: 1 of 2 covered (50 %), nobody left to contact again.
    total = progress_total(list_progress(scope_for_user(outlet_head), moved_down))
    assert (total.contacted, total.coverage, total.to_retry) == (1, 0.5, 0)
    work = client.get(reverse("outreach:work", args=[moved_down.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 waiting" in work and "to contact again" not in work


def test_the_list_page_marks_the_customer_to_contact_again(client, manager_user, outlet_head, moved_down):
    record(manager_user, row_of(moved_down, "C-DOWN2"), "no_answer")
    client.force_login(outlet_head)

    page = client.get(reverse("outreach:list", args=[moved_down.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "1 customer to contact again (未接通)." in page
    assert page.count(">To contact again</span>") == 1
    # The progress row of 王强: 2 assigned, 0 contacted, coverage 0.0%.
    assert '<td class="num">2</td><td class="num">0</td><td class="num">0.0%</td>' in page


def test_save_and_next_goes_on_to_those_not_called_and_not_back_to_those_to_contact_again(
    client, manager_user, outlet_head, network, book, customer_manager, today
):
    # 沉睡客户唤醒 over the six customers of GZ0101, by November's AUM: C-DOWN2, C-SAME, C-DOWN1, C-UP, C-NEW,
    # then C-LOST (no November AUM).
    everyone = build(
        outlet_head, network, customer_manager, today, name="沉睡客户唤醒", criteria=ListFilter(month=NOVEMBER)
    )
    order = list(ListAssignment.objects.filter(outreach_list=everyone).order_by("position"))
    assert [row.customer.code for row in order][:2] == ["C-DOWN2", "C-SAME"]
    client.force_login(manager_user)
    answer = {"outcome": "no_answer", "channel": "call"}

    # C-DOWN2 not answered: on to C-SAME; C-SAME not answered either: on to C-DOWN1, not back to C-DOWN2.
    first = client.post(reverse("outreach:card", args=[order[0].pk]), answer)
    second = client.post(reverse("outreach:card", args=[order[1].pk]), answer)

    assert first.url == reverse("outreach:card", args=[order[1].pk])
    assert second.url == reverse("outreach:card", args=[order[2].pk])
    for row in order[2:]:
        last = client.post(reverse("outreach:card", args=[row.pk]), answer)
    # Everyone called once, nobody reached: back to the list of one's customers, all 6 still waiting.
    assert last.url == reverse("outreach:work", args=[everyone.pk])
    work = client.get(last.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "6 waiting · of them 6 to contact again (未接通)" in work


def test_a_day_of_calls_not_answered_counts_calls_but_no_customer_contacted(
    manager_user, moved_down, network, customer_manager, today
):
    record(manager_user, row_of(moved_down, "C-DOWN2"), "no_answer")
    record(manager_user, row_of(moved_down, "C-DOWN1"), "no_answer")
    record(manager_user, row_of(moved_down, "C-DOWN1"), "interested")

    outreach_facts_write([today])

    # Calls 3, reached 1 (有意向); contacted 1 (C-DOWN1, reached on his second call); C-DOWN2 not.
    values = facts(today, network["GZ0101"], customer_manager)
    assert (values["outreach_calls"], values["outreach_calls_reached"], values["outreach_contacted"]) == (3, 1, 1)
    assert facts(today, network["GZ0101"])["outreach_contacted"] == 1


def test_the_api_counts_a_customer_not_answered_among_those_still_to_contact(client, manager_user, moved_down):
    record(manager_user, row_of(moved_down, "C-DOWN2"), "no_answer")
    client.force_login(manager_user)
    url = "/api/v1/outreach-assignments/"

    contacted = client.get(url, {"list": moved_down.pk, "contacted": "true"}).json()["results"]
    waiting = client.get(url, {"list": moved_down.pk, "contacted": "false"}).json()["results"]

    assert contacted == []
    assert sorted((row["last_outcome"], row["first_contact_on"]) for row in waiting) == [
        ("", None),
        ("no_answer", None),
    ]


def test_a_list_of_those_not_contacted_lately_takes_a_customer_only_called_without_an_answer(
    manager_user, outlet_head, network, moved_down, today
):
    record(manager_user, row_of(moved_down, "C-DOWN2"), "no_answer")
    record(manager_user, row_of(moved_down, "C-DOWN1"), "connected")
    # GZ0101's six customers but C-DOWN1, reached; C-DOWN2 was called but not reached: 5.
    criteria = ListFilter(month=NOVEMBER, no_contact_days=30)

    assert candidates_count(unit=network["GZ0101"], criteria=criteria, today=today) == 5


def test_the_migration_puts_the_first_contact_on_the_first_day_the_customer_was_reached(
    manager_user, moved_down, today
):
    yesterday = today - datetime.timedelta(days=1)
    down2, down1 = row_of(moved_down, "C-DOWN2"), row_of(moved_down, "C-DOWN1")
    record(manager_user, down2, "no_answer", day=yesterday)
    record(manager_user, down2, "connected", day=today)
    record(manager_user, down1, "no_answer", day=today)
    # As the rows were before: the first contact of any outcome.
    ListAssignment.objects.filter(pk=down2.pk).update(first_contact_on=yesterday)
    ListAssignment.objects.filter(pk=down1.pk).update(first_contact_on=today)

    migration = importlib.import_module("outreach.migrations.0003_contacted_means_reached")
    migration.first_reached(apps, None)

    down2.refresh_from_db()
    down1.refresh_from_db()
    assert (down2.first_contact_on, down1.first_contact_on) == (today, None)
