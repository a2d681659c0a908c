"""Writes of meetings: the 晨会 sheet (attendance, topics, decisions, the day's goals and their audit), the
Monday minutes and their action items, and the closing of action items whose linked object closed.

Who may do what is asked of staff.access (`may_run_meeting`, `may_settle_action_item`). Every write
checks everything it is given before it writes anything, and writes in one transaction: a bad row
leaves nothing half-applied. A refusal is a ValidationError keyed by what was wrong ("goal", "owner",
"due", "link"), in the reader's language; the pages show it, the API answers it as a 400.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.models import Metric
from kpi.templatetags.kpi_format import metric_scale, places_of
from lib.ids import is_id
from lib.links import link_kind, link_kind_of, link_kinds
from meetings.models import (
    ActionItem,
    ActionStatus,
    Attendance,
    AttendanceStatus,
    ChangeSource,
    Goal,
    GoalChange,
    Meeting,
    MeetingKind,
    Topic,
    TopicKind,
)
from staff.access import Scope
from staff.models import Assignment, Role, StaffMember, User

# A goal is a day's amount; a bigger number is a typing error (and would overflow the column).
GOAL_MAX = Decimal("1000000000")
# How far ahead a sheet may be prepared: the evening before, for tomorrow's morning meeting.
PREPARE_DAYS_AHEAD = 1
# How far ahead an action item may be due: a year covers any remedy a Monday meeting agrees.
DUE_WITHIN_DAYS = 366


@dataclass(frozen=True)
class GoalInput:
    """A goal to set: `value` None clears it."""

    staff: StaffMember
    metric: Metric
    value: Decimal | None


# -- who and when ----------------------------------------------------------------------------------------


def may_hold(scope: Scope, unit: OrgUnit, kind: str) -> bool:
    """Whether this scope may hold a meeting of this kind at this unit: the 晨会 is an outlet's."""
    if kind == MeetingKind.MORNING and not unit.is_outlet:
        return False
    return scope.may_run_meeting(unit)


def meeting_is_open(*, kind: str, day: datetime.date, today: datetime.date | None = None) -> bool:
    """A 晨会 sheet is written on its day (or prepared the evening before); once the day is over it is
    kept as held. The minutes of a Monday meeting are written during its week."""
    today = today or timezone.localdate()
    if kind == MeetingKind.MORNING:
        return today <= day <= today + datetime.timedelta(days=PREPARE_DAYS_AHEAD)
    return day - datetime.timedelta(days=PREPARE_DAYS_AHEAD) <= today <= day + datetime.timedelta(days=6)


def closed_problem(meeting_kind: str, day: datetime.date, today: datetime.date | None = None) -> str | None:
    """Why a meeting of this kind and day can no longer be written, or None while it can."""
    if meeting_is_open(kind=meeting_kind, day=day, today=today):
        return None
    if meeting_kind == MeetingKind.MORNING:
        return _(
            "The sheet of %(day)s can no longer change: a morning meeting's sheet is written on its day "
            "(or the evening before)."
        ) % {"day": day.isoformat()}
    return _("The minutes of the week of %(day)s can no longer change: they are written during the week.") % {
        "day": day.isoformat()
    }


def meeting_get_or_create(
    *, scope: Scope, by: User, unit: OrgUnit, kind: str, day: datetime.date, today: datetime.date | None = None
) -> Meeting:
    """The unit's meeting of that kind and day, made on first write. PermissionDenied for a reader who may
    not hold it; ValidationError for a day it cannot be held or written on."""
    if not may_hold(scope, unit, kind):
        raise PermissionDenied(_("You may not hold this unit's meetings."))
    if kind == MeetingKind.WEEKLY and day.weekday() != 0:
        raise ValidationError({"date": _("A Monday meeting is kept on its Monday: give the week's Monday.")})
    meeting = Meeting.objects.filter(unit=unit, kind=kind, date=day).first()
    if meeting is not None:
        return meeting
    problem = closed_problem(kind, day, today)
    if problem:
        raise ValidationError({"date": problem})
    meeting, _created = Meeting.objects.get_or_create(unit=unit, kind=kind, date=day, defaults={"held_by": by})
    return meeting


def _check_writable(scope: Scope, meeting: Meeting, today: datetime.date | None) -> None:
    if not may_hold(scope, meeting.unit, meeting.kind):
        raise PermissionDenied(_("You may not hold this unit's meetings."))
    problem = closed_problem(meeting.kind, meeting.date, today)
    if problem:
        raise ValidationError({"date": problem})


# -- the people of a meeting --------------------------------------------------------------------------


def meeting_people_condition(unit: OrgUnit, day: datetime.date) -> Q:
    """The assignments (staff.models.Assignment) that make someone one of the meeting's people on `day`:
    an outlet's staff at its 晨会; at a sub-branch's (or branch's) Monday meeting, its own staff and the
    heads of the outlets under it."""
    on_day = (Q(end__isnull=True) | Q(end__gte=day)) & Q(start__lte=day)
    if unit.is_outlet:
        return on_day & Q(unit=unit)
    return on_day & (Q(unit=unit) | Q(unit__path__startswith=unit.path, post__code="outlet_head"))


def _people_ids(meeting: Meeting) -> set[int]:
    condition = meeting_people_condition(meeting.unit, meeting.date)
    return set(Assignment.objects.filter(condition).values_list("staff_id", flat=True))


# -- goals ---------------------------------------------------------------------------------------------


def goal_metric_problem(metric: Metric) -> str | None:
    """Why a metric cannot carry a person's goal for a day, or None: a day's goal is an amount a person
    brings in (a flow or a net change) on a metric kept for staff."""
    if not metric.is_active:
        return _("%(metric)s is no longer in use.") % {"metric": metric.name}
    if not metric.for_staff:
        return _("%(metric)s is not kept for staff: choose a metric measured per person.") % {"metric": metric.name}
    if not metric.is_cumulative:
        return _(
            "%(metric)s is a level, not an amount brought in during the day: choose a flow (sign-ups, sales) "
            "or a net change."
        ) % {"metric": metric.name}
    return None


def goal_value_problem(metric: Metric, value: Decimal) -> str | None:
    """Why a value cannot be a day's goal on this metric, or None."""
    scale = metric_scale(metric)
    if not value.is_finite():
        return _("Give a number.")
    if value < 0:
        return _("A goal is 0 or more.")
    if abs(value) >= GOAL_MAX:
        return _("%(value)s is far more than a day can bring: check the figure.") % {"value": scale.write(value)}
    if places_of(metric.unit) == 0 and value != value.to_integral_value():
        return _("%(metric)s is counted in whole %(unit)s: give a whole number.") % {
            "metric": metric.name,
            "unit": metric.get_unit_display(),
        }
    if value != value.quantize(Decimal("0.0001")):
        return _("At most 4 decimals.")
    return None


def parse_goal(text: str) -> Decimal:
    """A goal as typed on the sheet (ASCII digits; "1,200" and "1200.5" read): ValueError otherwise."""
    cleaned = text.strip().replace(",", "")
    if not cleaned or not all(char in "0123456789.-" for char in cleaned):
        raise ValueError(text)
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(text) from exc


def goals_set(
    *,
    scope: Scope,
    by: User,
    meeting: Meeting,
    goals: Iterable[GoalInput],
    source: str = ChangeSource.PAGE,
    today: datetime.date | None = None,
) -> int:
    """Set (or clear, value None) each person's goal for the meeting's day on each metric; every change
    is written to GoalChange, old → new, with who. Everything is checked first: a single bad goal writes
    none (ValidationError keyed `goal-<staff code>-<metric code>`). Returns the number of goals changed."""
    _check_writable(scope, meeting, today)
    if meeting.kind != MeetingKind.MORNING:
        raise ValidationError({"meeting": _("Goals for the day are set at the morning meeting.")})
    goals = list(goals)
    people = _people_ids(meeting)
    errors: dict[str, str] = {}
    for goal in goals:
        key = f"goal-{goal.staff.code}-{goal.metric.code}"
        if goal.staff.pk not in people:
            errors[key] = _("%(code)s does not work at %(unit)s on %(day)s.") % {
                "code": goal.staff.code,
                "unit": meeting.unit.name,
                "day": meeting.date.isoformat(),
            }
            continue
        problem = goal_metric_problem(goal.metric)
        if problem is None and goal.value is not None:
            problem = goal_value_problem(goal.metric, goal.value)
        if problem:
            errors[key] = problem
    if errors:
        raise ValidationError(errors)

    changed = 0
    with transaction.atomic():
        existing = {
            (goal.staff_id, goal.metric_id): goal for goal in Goal.objects.select_for_update().filter(meeting=meeting)
        }
        changes = []
        # The goals set for the first time, written together after the loop (an INSERT each cost seed_demo
        # a query per person and metric of every morning it seeds); a second goal of the same person and
        # metric in `goals` changes the one waiting here.
        new: dict[tuple[int, int], Goal] = {}
        for goal in goals:
            key = (goal.staff.pk, goal.metric.pk)
            current = existing.get(key)
            old = current.value if current is not None else None
            if old == goal.value:  # 3 and 3.0000 alike
                continue
            if key in new:
                if goal.value is None:
                    del new[key], existing[key]
                else:
                    current.value = goal.value
            elif goal.value is None:
                current.delete()
            elif current is None:
                existing[key] = new[key] = Goal(
                    meeting=meeting, staff=goal.staff, metric=goal.metric, value=goal.value, set_by=by
                )
            else:
                current.value, current.set_by = goal.value, by
                current.save(update_fields=["value", "set_by", "set_at"])
            changes.append(
                GoalChange(
                    meeting=meeting,
                    staff=goal.staff,
                    metric=goal.metric,
                    old_value=old,
                    new_value=goal.value,
                    changed_by=by,
                    source=source,
                )
            )
            changed += 1
        Goal.objects.bulk_create(new.values())
        GoalChange.objects.bulk_create(changes)
        if changes:
            Meeting.objects.filter(pk=meeting.pk).update(updated_at=timezone.now())
    return changed


def sheet_saved(*, scope: Scope, meeting: Meeting, today: datetime.date | None = None) -> None:
    """Record that the 晨会 sheet was saved: each goal field on it was then decided, a field left empty
    included, so the sheet no longer proposes a goal where there is none (meetings.selectors)."""
    _check_writable(scope, meeting, today)
    if meeting.kind != MeetingKind.MORNING:
        raise ValidationError({"meeting": _("Goals for the day are set at the morning meeting.")})
    meeting.sheet_saved_at = timezone.now()
    meeting.save(update_fields=["sheet_saved_at", "updated_at"])


def goal_metrics_set(
    *, scope: Scope, meeting: Meeting, metrics: Iterable[Metric], today: datetime.date | None = None
) -> None:
    """The metrics the sheet sets goals on (the sheet's columns); each must be able to carry a goal."""
    _check_writable(scope, meeting, today)
    metrics = list(metrics)
    problems = [problem for metric in metrics if (problem := goal_metric_problem(metric))]
    if problems:
        raise ValidationError({"metrics": problems})
    meeting.goal_metrics.set(metrics)


# -- the sheet's other records ------------------------------------------------------------------------------


def attendance_set(
    *,
    scope: Scope,
    meeting: Meeting,
    marks: dict[StaffMember, str],
    today: datetime.date | None = None,
) -> None:
    """Who attended: present, late, on leave or absent, for the meeting's people only."""
    _check_writable(scope, meeting, today)
    people = _people_ids(meeting)
    errors = {}
    for staff_member, status in marks.items():
        if staff_member.pk not in people:
            errors[f"attendance-{staff_member.code}"] = _("%(code)s is not one of this meeting's people.") % {
                "code": staff_member.code
            }
        elif status not in AttendanceStatus.values:
            errors[f"attendance-{staff_member.code}"] = _("Choose present, late, on leave or absent.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Attendance.objects.bulk_create(
            [Attendance(meeting=meeting, staff=staff_member, status=status) for staff_member, status in marks.items()],
            update_conflicts=True,
            unique_fields=["meeting", "staff"],
            update_fields=["status"],
        )


def decisions_set(*, scope: Scope, meeting: Meeting, decisions: str, today: datetime.date | None = None) -> None:
    _check_writable(scope, meeting, today)
    meeting.decisions = decisions.strip()
    meeting.save(update_fields=["decisions", "updated_at"])


def topic_add(
    *, scope: Scope, by: User, meeting: Meeting, kind: str, text: str, today: datetime.date | None = None
) -> Topic:
    _check_writable(scope, meeting, today)
    errors = {}
    if kind not in TopicKind.values:
        errors["topic_kind"] = _("Choose a sales script, a product, a case or other.")
    text = text.strip()
    if not text:
        errors["topic_text"] = _("Write the topic.")
    elif len(text) > Topic._meta.get_field("text").max_length:
        errors["topic_text"] = _("At most 300 characters.")
    if errors:
        raise ValidationError(errors)
    return Topic.objects.create(meeting=meeting, kind=kind, text=text, added_by=by)


def topic_delete(*, scope: Scope, meeting: Meeting, topic_id: int, today: datetime.date | None = None) -> None:
    _check_writable(scope, meeting, today)
    Topic.objects.filter(meeting=meeting, pk=topic_id).delete()


# -- action items ------------------------------------------------------------------------------------------


def action_owner_candidates(unit: OrgUnit) -> Q:
    """The logins who may own an action item of a meeting at `unit` (a condition on User): HQ
    administrators, the heads of the unit and of the units above and below it, and the staff with a login
    who work in its subtree today."""
    today = timezone.localdate()
    working = Assignment.objects.on(today).filter(unit__path__startswith=unit.path).values("staff__user")
    heads = Q(role__in=(Role.UNIT_MANAGER, Role.OUTLET_HEAD)) & (
        Q(unit__path__startswith=unit.path) | Q(unit__code__in=[*unit.ancestor_codes, unit.code])
    )
    return Q(is_active=True) & (Q(role=Role.HQ_ADMIN) | heads | Q(role=Role.STAFF, pk__in=working))


def link_problem(scope: Scope, meeting: Meeting, kind_code: str, object_id: int | None) -> str | None:
    """Why (kind, id) cannot be what an item of this meeting is linked to, or None: a kind of lib.links,
    and an object of it the reader sees inside the meeting's unit."""
    kind = link_kind(kind_code)
    if kind is None:
        known = ", ".join(each.code for each in link_kinds())
        return _("“%(kind)s” is not something an action item links to (%(known)s).") % {
            "kind": kind_code,
            "known": known,
        }
    if object_id is None or not is_id(object_id):
        return _("Give the id of the %(kind)s.") % {"kind": kind.label}
    in_unit = kind.visible(kind.model._default_manager.filter(pk=object_id), scope.within(meeting.unit))
    if not scope.can_see_unit(meeting.unit) or not in_unit.exists():
        return _("No %(kind)s %(id)s in %(unit)s.") % {"kind": kind.label, "id": object_id, "unit": meeting.unit.name}
    return None


def action_item_add(
    *,
    scope: Scope,
    by: User,
    meeting: Meeting,
    text: str,
    owner: User | None,
    due: datetime.date | None,
    link_kind_code: str = "",
    link_id: int | None = None,
    today: datetime.date | None = None,
) -> ActionItem:
    """An action item agreed at the meeting: what, who, by when, and what it is about (optional)."""
    today = today or timezone.localdate()
    _check_writable(scope, meeting, today)
    errors: dict[str, str] = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = _("Say what is to be done.")
    elif len(text) > ActionItem._meta.get_field("text").max_length:
        errors["text"] = _("At most 300 characters.")
    if owner is None:
        errors["owner"] = _("Name who does it.")
    elif not type(owner).objects.filter(action_owner_candidates(meeting.unit), pk=owner.pk).exists():
        errors["owner"] = _("%(who)s cannot own an action item of %(unit)s.") % {
            "who": owner.username,
            "unit": meeting.unit.name,
        }
    if due is None:
        errors["due"] = _("Give the day it is due.")
    elif due < meeting.date:
        errors["due"] = _("The due day is before the meeting.")
    elif due > meeting.date + datetime.timedelta(days=DUE_WITHIN_DAYS):
        errors["due"] = _("Due more than a year after the meeting: check the date.")
    if link_kind_code or link_id is not None:
        problem = link_problem(scope, meeting, link_kind_code, link_id)
        if problem:
            errors["link"] = problem
    if errors:
        raise ValidationError(errors)
    return ActionItem.objects.create(
        meeting=meeting,
        text=text,
        owner=owner,
        due=due,
        link_kind=link_kind_code if link_id is not None else "",
        link_id=link_id if link_kind_code else None,
        created_by=by,
    )


def action_item_settle(*, scope: Scope, by: User, item: ActionItem, done: bool) -> ActionItem:
    """Mark an item done (or open again): whoever runs the meeting's unit, or its owner
    (staff.access.Scope.may_settle_action_item)."""
    if not scope.may_settle_action_item(item.meeting.unit, owns_it=item.owner_id == by.pk):
        raise PermissionDenied(_("You may not change this action item."))
    status = ActionStatus.DONE if done else ActionStatus.OPEN
    if item.status == status:
        return item
    item.status = status
    item.done_at, item.done_by = (timezone.now(), by) if done else (None, None)
    item.closed_with_link = False
    item.save(update_fields=["status", "done_at", "done_by", "closed_with_link"])
    return item


def action_items_close_linked(*, model, pks: Iterable[int]) -> int:
    """Close the open action items linked to these objects of `model`, which just closed (lib.links'
    objects_closed). One UPDATE; safe to run twice (a closed item is left as it is)."""
    kind = link_kind_of(model)
    pks = list(pks)
    if kind is None or not pks:
        return 0
    return ActionItem.objects.filter(link_kind=kind.code, link_id__in=pks, status=ActionStatus.OPEN).update(
        status=ActionStatus.DONE, done_at=timezone.now(), done_by=None, closed_with_link=True
    )


def action_items_reconcile() -> int:
    """The safety net behind the signal: close every open item whose linked object is closed now (an
    announcement lost with a worker that stopped). One query per kind that closes; safe to run twice."""
    closed = 0
    for kind in link_kinds():
        if kind.closed is None:
            continue
        linked = ActionItem.objects.filter(link_kind=kind.code, status=ActionStatus.OPEN).values("link_id")
        pks = list(kind.model._default_manager.filter(kind.closed, pk__in=linked).values_list("pk", flat=True))
        closed += action_items_close_linked(model=kind.model, pks=pks)
    return closed
