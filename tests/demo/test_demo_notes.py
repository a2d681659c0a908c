"""The demo's notes on the figures (demo/notes.py): dated from the last day of facts, written once, and read
by each demo login as staff.access says (the outlet head does not read her neighbour's note)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from demo import network as demo_network
from demo.notes import seed_notes
from kpi.models import Annotation
from kpi.selectors.notes import annotations_visible
from staff.access import scope_for_user
from staff.models import User
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

D = datetime.date
OUTLETS = 12


@pytest.fixture(scope="module")
def demo_network_seeded(django_db_setup, django_db_blocker):
    """The demo network, seeded once for the module (tests/shared_data.py; the notes each test seeds are
    undone after it): its plan."""
    with shared_data(django_db_blocker):
        with as_in_a_test():
            call_command("seed_demo", no_facts=True, outlets=OUTLETS, stdout=io.StringIO(), stderr=io.StringIO())
            plan = demo_network.network_plan(outlets=OUTLETS)
        yield plan


def test_the_notes_fall_on_the_days_before_the_last_day_of_facts(demo_network_seeded):
    # The last day of facts: Wednesday 2 December 2026.
    assert (
        seed_notes(plan=demo_network_seeded, end=D(2026, 12, 2)) == "Notes on the figures: 4 written, 0 already there"
    )

    assert [
        (note.unit.kind, note.kind, note.start, note.end, note.metric.code if note.metric else None)
        for note in Annotation.objects.order_by("start", "pk")
    ] == [
        ("hq", "holiday", D(2026, 10, 1), D(2026, 10, 7), None),
        ("outlet", "other", D(2026, 11, 17), D(2026, 11, 19), None),  # 15 days back, for three days
        ("branch", "system_outage", D(2026, 11, 21), D(2026, 11, 21), None),  # the Saturday before 24 Nov
        ("outlet", "large_maturity", D(2026, 11, 28), D(2026, 11, 28), "deposit_balance"),  # 4 days back
    ]


def test_seeding_the_notes_again_writes_nothing(demo_network_seeded):
    seed_notes(plan=demo_network_seeded, end=D(2026, 12, 2))

    assert (
        seed_notes(plan=demo_network_seeded, end=D(2026, 12, 2)) == "Notes on the figures: 0 written, 4 already there"
    )
    assert Annotation.objects.count() == 4


def test_before_october_the_holiday_is_last_years(demo_network_seeded):
    seed_notes(plan=demo_network_seeded, end=D(2027, 3, 15))

    assert Annotation.objects.get(kind="holiday").start == D(2026, 10, 1)


def test_the_outlet_head_reads_three_of_the_notes_and_her_manager_all_four(demo_network_seeded):
    seed_notes(plan=demo_network_seeded, end=D(2026, 12, 2))

    def kinds(username):
        scope = scope_for_user(User.objects.get(username=username))
        return sorted(annotations_visible(scope=scope).values_list("kind", flat=True))

    assert kinds("outlet_head") == ["holiday", "large_maturity", "system_outage"]
    assert kinds("unit_manager") == ["holiday", "large_maturity", "other", "system_outage"]
