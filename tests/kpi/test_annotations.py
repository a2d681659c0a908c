"""Notes on the figures (标注, issue 14): kpi.services.notes (who writes what), kpi.selectors.notes
(where a note shows, who reads it) and kpi.views.charts (the period starts and notes a chart marks).

The notes are those of tests/kpi/notes_data.py: HQ's 国庆节 1–7 October 2026 (every metric), GZ01's
system upgrade on 20 November, GZ0101's large deposit maturing on 20 November (deposit_balance only),
GZ0102's note on 21 November, SZ0101's on 20 November.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kpi.models import Annotation, AnnotationKind
from kpi.selectors import notes as notes_reads
from kpi.services.notes import MAX_DAYS, annotation_create, annotation_delete
from kpi.views.charts import boundary_label, chart_marks, period_boundaries
from lib.periods import PeriodKind, days_between
from staff.access import scope_for_user
from staff.models import StaffMember
from tests.factories import AssignmentFactory, StaffMemberFactory
from tests.kpi import notes_data
from tests.kpi.factories import metric
from tests.kpi.notes_data import D, note

pytestmark = pytest.mark.django_db

notes = notes_data.notes  # the fixture


def _texts(found) -> list[str]:
    return [item.text for item in found.shown]


# -- writing -----------------------------------------------------------------------------------------


def test_an_outlet_head_writes_a_note_on_her_outlet(outlet_head, network):
    written = annotation_create(
        scope=scope_for_user(outlet_head),
        unit=network["GZ0101"],
        kind=AnnotationKind.LARGE_MATURITY,
        start=D(2026, 11, 20),
        text="  某企业定期存款到期  ",
        metric=metric("deposit_balance"),
        created_by=outlet_head,
    )

    assert (written.start, written.end, written.text, written.created_by) == (
        D(2026, 11, 20),
        D(2026, 11, 20),
        "某企业定期存款到期",
        outlet_head,
    )


@pytest.mark.parametrize(
    ("persona", "code"),
    [("outlet_head", "GZ01"), ("outlet_head", "GZ0102"), ("unit_manager", "GZ"), ("unit_manager", "SZ0101")],
)
def test_nobody_writes_a_note_on_a_unit_beyond_their_own(persona, code, request, network):
    scope = scope_for_user(request.getfixturevalue(persona))

    with pytest.raises(PermissionDenied):
        annotation_create(scope=scope, unit=network[code], kind="other", start=D(2026, 11, 20), text="x")
    assert not Annotation.objects.exists()


@pytest.mark.parametrize("persona", ["auditor", "teller", "outsider"])
def test_readers_write_no_note(persona, request, network):
    with pytest.raises(PermissionDenied):
        annotation_create(
            scope=scope_for_user(request.getfixturevalue(persona)),
            unit=network["GZ0101"],
            kind="other",
            start=D(2026, 11, 20),
            text="x",
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "typhoon"}, "kind"),
        ({"end": D(2026, 11, 19)}, "end"),
        ({"end": D(2026, 11, 20) + datetime.timedelta(days=MAX_DAYS)}, "end"),  # 93 days
        ({"start": D(1899, 12, 31), "end": D(1900, 1, 1)}, "start"),
        ({"text": "   "}, "text"),
        ({"text": "长" * 201}, "text"),
    ],
)
def test_a_bad_note_is_refused_with_the_field_that_is_wrong(changes, field, hq_admin, network):
    values = {"kind": "other", "start": D(2026, 11, 20), "end": None, "text": "ok", **changes}

    with pytest.raises(ValidationError) as refused:
        annotation_create(scope=scope_for_user(hq_admin), unit=network["GZ0101"], **values)

    assert list(refused.value.message_dict) == [field]


def test_a_note_of_exactly_92_days_is_taken(hq_admin, network):
    written = annotation_create(
        scope=scope_for_user(hq_admin),
        unit=network["HQ"],
        kind="other",
        start=D(2026, 10, 1),
        end=D(2026, 12, 31),  # 31 + 30 + 31 = 92 days
        text="四季度旺季营销",
    )

    assert (written.end - written.start).days + 1 == 92


def test_a_manager_deletes_a_note_of_her_subtree_but_an_outlet_head_keeps_hqs_holiday(notes, unit_manager, outlet_head):
    annotation_delete(scope=scope_for_user(unit_manager), annotation=notes["maturity"])
    with pytest.raises(PermissionDenied):
        annotation_delete(scope=scope_for_user(outlet_head), annotation=notes["holiday"])

    assert sorted(Annotation.objects.values_list("text", flat=True)) == [
        "华强北停电",
        "国庆节",
        "核心系统升级",
        "网点装修",
    ]


# -- where a note shows, who reads it ---------------------------------------------------------------


def test_the_outlets_charts_show_its_own_notes_and_those_above_it_not_a_neighbours(notes, hq_admin, network):
    found = notes_reads.annotations_for(
        scope=scope_for_user(hq_admin), unit=network["GZ0101"], first=D(2026, 9, 1), last=D(2026, 11, 30)
    )

    assert _texts(found) == ["国庆节", "核心系统升级", "3,000 万元定期到期"]


def test_the_sub_branchs_charts_show_the_notes_of_its_outlets_too(notes, unit_manager, network):
    found = notes_reads.annotations_for(
        scope=scope_for_user(unit_manager), unit=network["GZ01"], first=D(2026, 9, 1), last=D(2026, 11, 30)
    )

    assert _texts(found) == ["国庆节", "核心系统升级", "3,000 万元定期到期", "网点装修"]


def test_a_metric_chart_shows_the_notes_on_every_metric_and_on_that_metric_only(notes, hq_admin, network):
    def texts(code):
        return _texts(
            notes_reads.annotations_for(
                scope=scope_for_user(hq_admin),
                unit=network["GZ0101"],
                first=D(2026, 11, 1),
                last=D(2026, 11, 30),
                metric=metric(code),
            )
        )

    assert texts("deposit_balance") == ["核心系统升级", "3,000 万元定期到期"]
    assert texts("customers_served") == ["核心系统升级"]


def test_only_the_days_shown_count(notes, hq_admin, network):
    found = notes_reads.annotations_for(
        scope=scope_for_user(hq_admin), unit=network["GZ0101"], first=D(2026, 10, 7), last=D(2026, 11, 19)
    )

    assert _texts(found) == ["国庆节"]  # its last day is the first day shown


def test_an_outlet_head_reads_hqs_holiday_on_her_outlet_but_not_her_neighbours_note_on_the_sub_branch(
    notes, outlet_head, network
):
    scope = scope_for_user(outlet_head)

    assert _texts(notes_reads.annotations_of_unit(scope=scope, unit=network["GZ0101"])) == [
        "3,000 万元定期到期",
        "核心系统升级",
        "国庆节",
    ]
    assert sorted(notes_reads.annotations_visible(scope=scope).values_list("text", flat=True)) == [
        "3,000 万元定期到期",
        "国庆节",
        "核心系统升级",
    ]


def test_a_tellers_charts_show_the_notes_of_the_outlet_she_worked_at(notes, teller, network):
    found = notes_reads.annotations_for(
        scope=scope_for_user(teller),
        staff=StaffMember.objects.get(user=teller),
        first=D(2026, 11, 1),
        last=D(2026, 11, 30),
    )

    assert _texts(found) == ["核心系统升级", "3,000 万元定期到期"]


def test_a_staff_members_charts_show_no_note_of_an_outlet_she_had_left(notes, hq_admin, network):
    moved = StaffMemberFactory(code="S2001")
    AssignmentFactory(staff=moved, unit=network["GZ0101"], start=D(2026, 1, 1), end=D(2026, 10, 31))
    AssignmentFactory(staff=moved, unit=network["SZ0101"], start=D(2026, 11, 1))

    found = notes_reads.annotations_for(
        scope=scope_for_user(hq_admin), staff=moved, first=D(2026, 11, 1), last=D(2026, 11, 30)
    )

    assert _texts(found) == ["华强北停电"]


def test_the_bulletin_of_a_day_has_the_notes_of_the_ranked_units_and_above(notes, unit_manager, network):
    scope = scope_for_user(unit_manager)

    subtree = notes_reads.annotations_of_day(scope=scope, day=D(2026, 11, 20), units=[network["GZ01"]], below=True)
    outlets = notes_reads.annotations_of_day(scope=scope, day=D(2026, 11, 21), units=[network["GZ0102"]])

    assert _texts(subtree) == ["核心系统升级", "3,000 万元定期到期"]
    assert _texts(outlets) == ["网点装修"]


def test_a_unit_high_in_the_tree_shows_twenty_notes_and_counts_the_rest(hq_admin, network):
    for day in range(1, 26):
        note(network["GZ0101"], D(2026, 11, day), text=f"第{day}天")
    note(network["HQ"], D(2026, 11, 1), text="总行通知")

    found = notes_reads.annotations_for(
        scope=scope_for_user(hq_admin), unit=network["HQ"], first=D(2026, 11, 1), last=D(2026, 11, 30)
    )

    # HQ's own note first (nearest), then the outlet's 19 latest; 6 more are counted, not shown.
    assert (len(found.shown), found.more) == (20, 6)
    assert "总行通知" in _texts(found) and "第25天" in _texts(found) and "第6天" not in _texts(found)


# -- what a chart marks ------------------------------------------------------------------------------


def test_a_month_chart_of_30_days_marks_the_first_of_december():
    days = days_between(D(2026, 11, 15), D(2026, 12, 14))

    with translation.override("en"):
        assert period_boundaries(days, "month") == [{"index": 16, "label": "Month 12"}]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        # 2026-11-15 (a Sunday) to 2027-01-13: Mondays 16, 23, 30 Nov, 7, 14, 21, 28 Dec, 4, 11 Jan.
        ("week", [1, 8, 15, 22, 29, 36, 43, 50, 57]),
        ("month", [16, 47]),
        ("quarter", [47]),
        ("year", [47]),
        ("day", []),
    ],
)
def test_each_period_kind_marks_its_own_starts(kind, expected):
    days = days_between(D(2026, 11, 15), D(2027, 1, 13))

    assert [boundary["index"] for boundary in period_boundaries(days, kind)] == expected


def test_the_boundary_labels_read_as_the_period():
    starts = (("week", D(2026, 11, 30)), ("month", D(2026, 12, 1)), ("quarter", D(2027, 1, 1)), ("year", D(2027, 1, 1)))

    with translation.override("en"):
        labels = [boundary_label(PeriodKind(kind), day) for kind, day in starts]

    # zh-Hans: 第49周, 12月, 第1季度, 2027年
    assert labels == ["Week 49", "Month 12", "Quarter 1", "Year 2027"]


def test_a_note_is_cut_to_the_days_shown(notes, network):
    days = days_between(D(2026, 10, 5), D(2026, 11, 3))

    with translation.override("en"):
        marks = chart_marks(days, "month", [notes["holiday"]])

    assert marks == {
        "boundaries": [{"index": 27, "label": "Month 11"}],
        "notes": [
            {
                "from": 0,
                "to": 2,
                "kind": "holiday",
                "label": "Holiday",
                "text": "国庆节",
                "unit": "HQ",
                "metric": None,
            }
        ],
    }
