"""The meeting pages (issue 17): the 晨会 sheet of an outlet (phone and A4), its 夕会 view, the Monday meeting's
minutes with their action items, and one's own action items.

A view looks the unit up through the reader's scope (404 outside it), reads a selector, and shows the
forms only to those who may hold the meeting (staff.access.Scope.may_run_meeting) while it may still be
written (meetings.services.meeting_is_open). Every write is POST → redirect → GET with a message; a
refused write answers the page again with what was wrong next to the field, status 400, having written
nothing.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lib.forms import refusal_on_form
from lib.ids import is_id
from lib.periods import PeriodKind, parse_date, parse_period, period_of
from meetings import selectors, services
from meetings.forms import ActionItemForm, MetricsForm, MinutesForm, MorningSheetForm, TopicForm
from meetings.models import AttendanceStatus, MeetingKind
from staff.access import get_unit_or_404, scope_for_user

PAGE_SIZE = 50


def _day(request: HttpRequest, default: datetime.date) -> tuple[datetime.date, str | None]:
    """The page's `?date=` (YYYY-MM-DD), or the default with the reason when it is not a date."""
    text = (request.GET.get("date") or "").strip()
    if not text:
        return default, None
    try:
        return parse_date(text), None
    except ValueError:
        return default, _("“%(value)s” is not a date; pick one as YYYY-MM-DD.") % {"value": text[:40]}


def _monday(request: HttpRequest, default: datetime.date) -> tuple[datetime.date, str | None]:
    """The page's `?week=`: a week's Monday (2026-11-23), any day of it, or an ISO week (2026-W48)."""
    text = (request.GET.get("week") or "").strip()
    if not text:
        return period_of(PeriodKind.WEEK, default).start, None
    try:
        if "W" in text.upper():
            return parse_period(text.upper(), kinds=(PeriodKind.WEEK,)).start, None
        return period_of(PeriodKind.WEEK, parse_date(text)).start, None
    except ValueError:
        return period_of(PeriodKind.WEEK, default).start, _(
            "“%(value)s” is not a week; give its Monday (2026-11-23) or 2026-W48."
        ) % {"value": text[:40]}


def _outlet_of(request: HttpRequest):
    """The outlet a login heads itself, if any: where /meetings/ opens today's sheet."""
    unit = request.user.unit if request.user.unit_id else None
    scope = scope_for_user(request.user)
    if unit is not None and unit.is_outlet and scope.unit_path == unit.path:
        return unit
    return None


# -- the list --------------------------------------------------------------------------------------------------


@login_required
def meeting_index(request: HttpRequest) -> HttpResponse:
    """/meetings/: an outlet head opens today's 晨会 sheet; others pick a unit (?unit=) and see the latest
    meetings of the units they see. A staff member has none to open: their action items instead."""
    scope = scope_for_user(request.user)
    if not scope.sees_units:
        return redirect("meetings:action_items")
    code = (request.GET.get("unit") or "").strip()
    problem = None
    if code:
        unit = scope.units().filter(code=code[:40]).first()
        if unit is not None:
            view = "meetings:morning" if unit.is_outlet else "meetings:weekly"
            return redirect(view, code=unit.code)
        problem = _("“%(code)s” is not a unit you can see; write a unit's code, e.g. GZ01 or GZ0101.") % {
            "code": code[:40]
        }
    elif (outlet := _outlet_of(request)) is not None:
        return redirect("meetings:morning", code=outlet.code)
    page = Paginator(selectors.meetings_visible(scope=scope), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "meetings/meeting_list.html",
        {"section": "meetings", "page": page, "problem": problem, "unit_code": code[:40]},
        status=400 if problem else 200,
    )


# -- the 晨会 sheet -----------------------------------------------------------------------------------------------


@login_required
def morning(request: HttpRequest, code: str) -> HttpResponse:
    """/meetings/<outlet>/morning/?date=: the 晨会 sheet of the outlet for the day (today by default)."""
    scope = scope_for_user(request.user)
    unit = get_unit_or_404(scope, code)
    if not unit.is_outlet:
        raise Http404("A morning meeting is an outlet's.")
    today = timezone.localdate()
    day, problem = _day(request, today)
    sheet = selectors.morning_sheet(unit=unit, day=day, scope=scope)
    may_hold = services.may_hold(scope, unit, MeetingKind.MORNING)
    writable = may_hold and services.meeting_is_open(kind=MeetingKind.MORNING, day=day, today=today)
    form = MorningSheetForm(sheet=sheet)
    topic_form = TopicForm()
    metrics_form = MetricsForm(catalog=sheet.catalog, chosen=sheet.metrics)
    status = 400 if problem else 200
    if request.method == "POST":
        if not may_hold:
            raise PermissionDenied(_("You may not hold this unit's meetings."))
        if not writable:
            problem = services.closed_problem(MeetingKind.MORNING, day, today)
            status = 400
        else:
            done, posted = _morning_post(request, scope, sheet, request.POST.get("action"))
            if done:
                messages.success(request, done)
                return redirect(f"{reverse('meetings:morning', args=[unit.code])}?date={day.isoformat()}")
            form = posted.get("save", form)
            topic_form = posted.get("topic", topic_form)
            metrics_form = posted.get("metrics", metrics_form)
            status = 400
    return render(
        request,
        "meetings/morning.html",
        {
            "section": "meetings",
            "unit": unit,
            "sheet": sheet,
            "day": day,
            "today": today,
            "yesterday": day - datetime.timedelta(days=1),
            "tomorrow": day + datetime.timedelta(days=1),
            "problem": problem,
            "writable": writable,
            "form": form,
            "topic_form": topic_form,
            "metrics_form": metrics_form,
            "attendance_choices": AttendanceStatus.choices,
        },
        status=status,
    )


def _morning_post(request: HttpRequest, scope, sheet, action: str | None) -> tuple[str | None, dict]:
    """Apply the sheet's POST: (the success message, {}), or (None, the posted form by name) when refused,
    the form holding what was typed and what was wrong."""
    unit, day = sheet.unit, sheet.day

    def meeting():
        return services.meeting_get_or_create(
            scope=scope, by=request.user, unit=unit, kind=MeetingKind.MORNING, day=day
        )

    if action == "save":
        form = MorningSheetForm(request.POST, sheet=sheet)
        if not form.is_valid():
            return None, {"save": form}
        try:
            with transaction.atomic():
                held = meeting()
                if not held.goal_metrics.exists() and sheet.metrics:
                    services.goal_metrics_set(scope=scope, meeting=held, metrics=sheet.metrics)
                services.attendance_set(scope=scope, meeting=held, marks=form.attendance())
                changed = services.goals_set(scope=scope, by=request.user, meeting=held, goals=form.goals())
                services.sheet_saved(scope=scope, meeting=held)
                services.decisions_set(scope=scope, meeting=held, decisions=form.cleaned_data["decisions"])
        except ValidationError as refused:
            refusal_on_form(form, refused)
            return None, {"save": form}
        return _("The sheet is saved (%(count)s goals changed).") % {"count": changed}, {}
    if action == "topic":
        topic_form = TopicForm(request.POST)
        if not topic_form.is_valid():
            return None, {"topic": topic_form}
        try:
            with transaction.atomic():
                services.topic_add(
                    scope=scope,
                    by=request.user,
                    meeting=meeting(),
                    kind=topic_form.cleaned_data["topic_kind"],
                    text=topic_form.cleaned_data["topic_text"],
                )
        except ValidationError as refused:
            refusal_on_form(topic_form, refused)
            return None, {"topic": topic_form}
        return _("The topic is added."), {}
    if action == "topic_delete" and sheet.meeting is not None:
        try:
            topic_id = int(request.POST.get("topic", ""))
        except ValueError:
            topic_id = 0
        if is_id(topic_id):
            services.topic_delete(scope=scope, meeting=sheet.meeting, topic_id=topic_id)
        return _("The topic is removed."), {}
    if action == "metrics":
        metrics_form = MetricsForm(request.POST, catalog=sheet.catalog, chosen=sheet.metrics)
        if not metrics_form.is_valid():
            return None, {"metrics": metrics_form}
        try:
            with transaction.atomic():
                services.goal_metrics_set(scope=scope, meeting=meeting(), metrics=metrics_form.chosen())
        except ValidationError as refused:
            refusal_on_form(metrics_form, refused)
            return None, {"metrics": metrics_form}
        return _("The metrics with goals are chosen."), {}
    form = MorningSheetForm(sheet=sheet)
    form.add_error(None, _("Nothing to do: use one of the sheet's buttons."))
    return None, {"save": form}


# -- the 夕会 ----------------------------------------------------------------------------------------------------


@login_required
def evening(request: HttpRequest, code: str) -> HttpResponse:
    """/meetings/<outlet>/evening/?date=: the day's goals beside its actuals, person by person, once the
    rollup of the morning after has published the day."""
    scope = scope_for_user(request.user)
    unit = get_unit_or_404(scope, code)
    if not unit.is_outlet:
        raise Http404("A morning meeting is an outlet's.")
    today = timezone.localdate()
    day, problem = _day(request, today)
    sheet = selectors.evening_sheet(unit=unit, day=day, scope=scope)
    return render(
        request,
        "meetings/evening.html",
        {
            "section": "meetings",
            "unit": unit,
            "sheet": sheet,
            "day": day,
            "next_morning": day + datetime.timedelta(days=1),
            "yesterday": day - datetime.timedelta(days=1),
            "tomorrow": day + datetime.timedelta(days=1),
            "problem": problem,
        },
        status=400 if problem else 200,
    )


# -- the Monday meeting (周例会) ------------------------------------------------------------------------------------


@login_required
def weekly(request: HttpRequest, code: str) -> HttpResponse:
    """/meetings/<unit>/weekly/?week=: the minutes of the unit's Monday meeting: last week's misses, who came,
    the decisions and the action items (owner, due day, what each is linked to)."""
    scope = scope_for_user(request.user)
    unit = get_unit_or_404(scope, code)
    today = timezone.localdate()
    monday, problem = _monday(request, today)
    sheet = selectors.weekly_sheet(unit=unit, monday=monday, scope=scope, user=request.user)
    may_hold = services.may_hold(scope, unit, MeetingKind.WEEKLY)
    writable = may_hold and services.meeting_is_open(kind=MeetingKind.WEEKLY, day=monday, today=today)
    minutes = MinutesForm(
        people=sheet.people,
        attendance=sheet.attendance,
        decisions=sheet.meeting.decisions if sheet.meeting else "",
    )
    item_form = None
    if writable:
        item_form = ActionItemForm(
            owners=selectors.owner_choices(unit=unit),
            link_groups=selectors.link_options(scope=scope, unit=unit, day=monday),
        )
    status = 400 if problem else 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "settle":
            return _settle(request, scope, back=request.get_full_path())
        if not may_hold:
            raise PermissionDenied(_("You may not hold this unit's meetings."))
        if not writable:
            problem = services.closed_problem(MeetingKind.WEEKLY, monday, today)
            status = 400
        elif action == "minutes":
            minutes = MinutesForm(request.POST, people=sheet.people, attendance=sheet.attendance)
            if minutes.is_valid():
                try:
                    with transaction.atomic():
                        meeting = services.meeting_get_or_create(
                            scope=scope, by=request.user, unit=unit, kind=MeetingKind.WEEKLY, day=monday
                        )
                        services.attendance_set(scope=scope, meeting=meeting, marks=minutes.attendance())
                        services.decisions_set(
                            scope=scope, meeting=meeting, decisions=minutes.cleaned_data["decisions"]
                        )
                except ValidationError as refused:
                    refusal_on_form(minutes, refused)
                else:
                    messages.success(request, _("The minutes are saved."))
                    return redirect(_weekly_url(unit, monday))
            status = 400
        elif action == "item":
            item_form = ActionItemForm(
                request.POST,
                owners=selectors.owner_choices(unit=unit),
                link_groups=selectors.link_options(scope=scope, unit=unit, day=monday),
            )
            if item_form.is_valid():
                kind, object_id = item_form.link_target()
                try:
                    with transaction.atomic():
                        meeting = services.meeting_get_or_create(
                            scope=scope, by=request.user, unit=unit, kind=MeetingKind.WEEKLY, day=monday
                        )
                        services.action_item_add(
                            scope=scope,
                            by=request.user,
                            meeting=meeting,
                            text=item_form.cleaned_data["text"],
                            owner=item_form.cleaned_data["owner"],
                            due=item_form.cleaned_data["due"],
                            link_kind_code=kind,
                            link_id=object_id,
                        )
                except ValidationError as refused:
                    refusal_on_form(item_form, refused)
                else:
                    messages.success(request, _("The action item is added."))
                    return redirect(_weekly_url(unit, monday))
            status = 400
        else:
            problem = _("Nothing to do: use one of the page's buttons.")
            status = 400
    labels = dict(AttendanceStatus.choices)
    return render(
        request,
        "meetings/weekly.html",
        {
            "section": "meetings",
            "unit": unit,
            "sheet": sheet,
            "monday": monday,
            "sunday": monday + datetime.timedelta(days=6),
            "previous_week": monday - datetime.timedelta(days=7),
            "next_week": monday + datetime.timedelta(days=7),
            "today": today,
            "problem": problem,
            "writable": writable,
            "minutes": minutes,
            "item_form": item_form,
            "items": _item_rows(sheet.items, sheet.links, scope, request.user, today),
            "attendance_read": [
                (person.name, labels.get(sheet.attendance.get(person.staff.pk, ""), "")) for person in sheet.people
            ],
        },
        status=status,
    )


def _weekly_url(unit, monday: datetime.date) -> str:
    return f"{reverse('meetings:weekly', args=[unit.code])}?week={monday.isoformat()}"


def _item_rows(items, links, scope, user, today) -> list[dict]:
    return [
        {
            "item": item,
            "link": links.get(item.pk),
            "overdue": item.status == "open" and item.due < today,
            "may_settle": scope.may_settle_action_item(item.meeting.unit, owns_it=item.owner_id == user.pk),
            # A teller owns items of her outlet's meeting but may not open its minutes (a unit's page).
            "may_open_meeting": scope.can_see_unit(item.meeting.unit),
        }
        for item in items
    ]


def _settle(request: HttpRequest, scope, *, back: str) -> HttpResponse:
    """Mark an action item done or open again (from the Monday minutes or one's own list)."""
    try:
        item_id = int(request.POST.get("item", ""))
    except ValueError:
        item_id = 0
    item = selectors.action_item_get_or_404(scope=scope, item_id=item_id, user=request.user)
    done = request.POST.get("done") == "1"
    services.action_item_settle(scope=scope, by=request.user, item=item, done=done)
    messages.success(request, _("The action item is done.") if done else _("The action item is open again."))
    return redirect(back)


# -- one's action items ---------------------------------------------------------------------------------------------


@login_required
def action_items(request: HttpRequest) -> HttpResponse:
    """/meetings/actions/: the action items one owns (overdue first), and for those who see units, the
    overdue items of the meetings in their scope."""
    scope = scope_for_user(request.user)
    if request.method == "POST":
        return _settle(request, scope, back=reverse("meetings:action_items"))
    today = timezone.localdate()
    mine = list(
        selectors.action_items_visible(scope=scope, user=request.user)
        .filter(owner_id=request.user.pk)
        .order_by("status", "due", "pk")[:200]
    )
    overdue = []
    if scope.sees_units:
        overdue = list(
            selectors.action_items_visible(scope=scope)
            .filter(selectors.overdue_condition(today))
            .exclude(owner_id=request.user.pk)
            .order_by("due", "pk")[:200]
        )
    links = selectors.links_described([*mine, *overdue], scope=scope)
    return render(
        request,
        "meetings/action_items.html",
        {
            "section": "meetings",
            "mine": _item_rows(mine, links, scope, request.user, today),
            "overdue": _item_rows(overdue, links, scope, request.user, today),
            "today": today,
        },
    )
