"""The checklist pages (issue 19), phone first:

- /checklists/: the outlets one sees with today's rounds (done, missed, open) and the pass rate of the
  last seven days; a staff member's or an outlet head's own outlet opens at once.
- /checklists/outlets/<code>/patrols/?date=: an outlet's patrol day: each round, who ticked it, the items
  not in order; the outlet head marks missed rounds and failed items as looked at (they leave her badge).
- /checklists/outlets/<code>/patrols/<template>/<slot>/: ticking a round on the phone (slot HHMM, or
  `day` for a daily round).
- /checklists/inspections/, /new/, /<id>/: inspections in scope, recording one, one with its findings
  (their alerts, deductions and vetoes).
- photos of an answer or a finding, streamed to a reader who may see it.

Looked up through the reader's scope (an outlet, a sheet, an inspection outside it is a 404); who may
write is asked of checklists.services (staff.access underneath). Writes are POST → redirect → GET with a
message; a refused one shows the page again with the reasons (400).
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from branches.models import OrgUnit
from checklists import selectors
from checklists.forms import InspectionForm, PatrolForm
from checklists.models import ChecklistKind, SheetAnswer
from checklists.services import (
    inspection_record,
    patrol_tick,
    patrols_look_at,
    slots_of,
    template_items,
    templates_in_force,
)
from ledger import evidence
from lib.forms import refusal_on_form
from lib.periods import parse_date
from staff.access import Scope, scope_for_user
from staff.models import Role

WEEK = 7


def _outlet_or_404(scope: Scope, user, code: str, day: datetime.date) -> OrgUnit:
    unit = selectors.patrol_outlets(scope, user, day).filter(code=code).first()
    if unit is None and scope.staff_id:
        # A past day: the outlets the staff member worked at then.
        unit = OrgUnit.objects.filter(code=code, kind="outlet").first()
        if unit is not None and not selectors.sheets_visible(scope).filter(unit=unit).exists():
            unit = None
    if unit is None:
        raise Http404("No such outlet.")
    return unit


def _day(request: HttpRequest, today: datetime.date) -> datetime.date:
    try:
        day = parse_date(request.GET.get("date", "")) if request.GET.get("date") else today
    except ValueError:
        day = today
    return min(day, today)


def _problems(request: HttpRequest, refused: ValidationError) -> list[str]:
    if hasattr(refused, "error_dict"):
        return [message for messages_of_field in refused.message_dict.values() for message in messages_of_field]
    return list(refused.messages)


@login_required
@require_GET
def checklists_home(request: HttpRequest) -> HttpResponse:
    """The outlets in sight with today's rounds and the week's pass rate; one's own outlet opens at once."""
    scope = scope_for_user(request.user)
    today = timezone.localdate()
    outlets = list(selectors.patrol_outlets(scope, request.user, today)[:500])
    if request.user.role in (Role.OUTLET_HEAD, Role.STAFF) and len(outlets) == 1:
        return redirect("checklists:patrol_day", code=outlets[0].code)
    first = today - datetime.timedelta(days=WEEK - 1)
    rates = selectors.patrol_pass_rates(units=[unit.pk for unit in outlets], first=first, last=today)
    today_rates = selectors.patrol_pass_rates(units=[unit.pk for unit in outlets], first=today, last=today)
    rows = [{"unit": unit, "week": rates.get(unit.pk), "today": today_rates.get(unit.pk)} for unit in outlets]
    context = {
        "section": "checklists",
        "rows": rows,
        "today": today,
        "first": first,
        "may_inspect": scope.may_record_some_inspection,
        "inspections": selectors.inspection_list(scope)[:5],
    }
    return render(request, "checklists/home.html", context)


@login_required
def patrol_day_page(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    today = timezone.localdate()
    day = _day(request, today)
    unit = _outlet_or_404(scope, request.user, code, day)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            ids = request.POST.getlist("sheet")
            count = patrols_look_at(scope=scope, user=request.user, sheet_ids=ids)
            messages.success(request, _("%(count)s rounds marked as looked at.") % {"count": count})
            return redirect(f"{reverse('checklists:patrol_day', args=[unit.code])}?date={day.isoformat()}")
        except ValidationError as refused:
            errors, status = _problems(request, refused), 400
    patrol = selectors.patrol_day(unit=unit, day=day)
    answers = selectors.failed_answers([r.sheet for r in patrol.rounds if r.sheet is not None])
    rows = []
    for patrol_round in patrol.rounds:
        sheet = patrol_round.sheet
        may_tick = patrol_round.state == "open" and scope.may_tick_patrol(
            unit, day=day, post_id=patrol_round.template.post_id
        )
        rows.append(
            {
                "round": patrol_round,
                "failed": answers.get(sheet.pk, []) if sheet else [],
                "who": scope.person_name(sheet.staff.name)
                if sheet and sheet.staff_id
                else (
                    scope.person_name(sheet.filled_by.get_full_name() or sheet.filled_by.username)
                    if sheet and sheet.filled_by_id
                    else ""
                ),
                "tick_url": reverse(
                    "checklists:patrol_tick",
                    args=[unit.code, patrol_round.template.pk, _slot_code(patrol_round.slot.time)],
                )
                if may_tick
                else "",
                "to_look_at": bool(sheet and sheet.needs_a_look and sheet.seen_at is None),
            }
        )
    first = day - datetime.timedelta(days=WEEK - 1)
    week = selectors.patrol_pass_rates(units=[unit.pk], first=first, last=day).get(unit.pk)
    context = {
        "section": "checklists",
        "unit": unit,
        "day": day,
        "today": today,
        "patrol": patrol,
        "rows": rows,
        "week": week,
        "first": first,
        "may_look": scope.may_look_at_patrols(unit),
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1) if day < today else None,
        "errors": errors,
    }
    return render(request, "checklists/patrol_day.html", context, status=status)


def _slot_code(time: datetime.time | None) -> str:
    return time.strftime("%H%M") if time is not None else "day"


def _slot_of(code: str) -> datetime.time | None:
    if code == "day":
        return None
    try:
        return datetime.datetime.strptime(code, "%H%M").time()
    except ValueError:
        raise Http404("No such round.")


@login_required
def patrol_tick_page(request: HttpRequest, code: str, template_id: int, slot: str) -> HttpResponse:
    """Ticking one round: every item in order or not, with a note and a photo where it is not."""
    scope = scope_for_user(request.user)
    today = timezone.localdate()
    unit = _outlet_or_404(scope, request.user, code, today)
    in_force = {t.pk: t for t in templates_in_force(kind=ChecklistKind.PATROL, day=today)}
    template = in_force.get(template_id)
    slot_time = _slot_of(slot)
    if template is None or not any(one.time == slot_time for one in slots_of(template, today)):
        raise Http404("No such round.")
    if not scope.may_tick_patrol(unit, day=today, post_id=template.post_id):
        raise PermissionDenied(_("The patrol is ticked by the outlet's staff of its post, or by the outlet head."))
    items = template_items(template)
    form = PatrolForm(request.POST or None, request.FILES or None, items=items)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sheet = patrol_tick(
                    scope=scope,
                    user=request.user,
                    template=template,
                    unit=unit,
                    day=today,
                    slot=slot_time,
                    answers=form.answers(),
                    note=form.cleaned_data.get("note", ""),
                )
                messages.success(
                    request,
                    _("Round recorded: %(passed)s of %(checked)s items in order.")
                    % {"passed": sheet.items_passed, "checked": sheet.items_checked},
                )
                return redirect("checklists:patrol_day", code=unit.code)
            except ValidationError as refused:
                errors = _problems(request, refused)
            except PermissionDenied as refused:
                errors, status = [str(refused)], 403
        if status == 200:
            status = 400
    context = {
        "section": "checklists",
        "unit": unit,
        "template": template,
        "slot_label": slot_time.strftime("%H:%M") if slot_time else template.get_frequency_display(),
        "form": form,
        "errors": errors,
        "today": today,
    }
    return render(request, "checklists/patrol_tick.html", context, status=status)


@login_required
@require_GET
def inspection_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    inspections = list(selectors.inspection_list(scope)[:100])
    context = {
        "section": "checklists",
        "inspections": inspections,
        "may_inspect": scope.may_record_some_inspection,
    }
    return render(request, "checklists/inspection_list.html", context)


@login_required
def inspection_new(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    if not scope.may_record_some_inspection:
        raise PermissionDenied(_("Inspections are recorded by HQ, the supervising unit manager or an auditor."))
    today = timezone.localdate()
    outlets = [
        unit
        for unit in scope.units().filter(kind="outlet").order_by("path")[:2000]
        if scope.may_record_inspection(unit)
    ]
    form = InspectionForm(request.POST or None, request.FILES or None, scope=scope, outlets=outlets, today=today)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            unit = form.cleaned_data["unit"]
            findings = form.findings(unit)
            if form.is_valid():
                try:
                    inspection = inspection_record(
                        scope=scope,
                        user=request.user,
                        unit=unit,
                        day=form.cleaned_data["day"],
                        title=form.cleaned_data["title"],
                        template=form.cleaned_data["template"],
                        summary=form.cleaned_data["summary"],
                        findings=findings,
                    )
                    messages.success(
                        request,
                        _("The inspection is recorded; each finding opened an alert to rectify (整改).")
                        if findings
                        else _("The inspection is recorded, with nothing found."),
                    )
                    return redirect("checklists:inspection_detail", inspection_id=inspection.pk)
                except ValidationError as refused:
                    refusal_on_form(form, refused)
                except PermissionDenied as refused:
                    errors, status = [str(refused)], 403
        if status == 200:
            status = 400
    context = {"section": "checklists", "form": form, "errors": errors}
    return render(request, "checklists/inspection_new.html", context, status=status)


@login_required
@require_GET
def inspection_detail(request: HttpRequest, inspection_id: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    inspection = get_object_or_404(
        selectors.inspections_visible(scope).select_related("unit", "inspector", "template"), pk=inspection_id
    )
    findings = [
        {
            "finding": finding,
            "staff_name": scope.person_name(finding.staff.name) if finding.staff_id else "",
            "alert": finding.alert,
            "alert_url": reverse("alerts:alert_detail", args=[finding.alert_id])
            if finding.alert_id and scope.can_see_unit(inspection.unit)
            else "",
        }
        for finding in selectors.inspection_findings(scope, inspection)
    ]
    inspector = inspection.inspector
    context = {
        "section": "checklists",
        "inspection": inspection,
        "inspector": scope.person_name(inspector.get_full_name() or inspector.username) if inspector else "",
        "findings": findings,
    }
    return render(request, "checklists/inspection_detail.html", context)


def _stream(name: str, content_type: str, filename: str) -> FileResponse:
    try:
        handle = evidence.photo_open(name)
    except OSError:
        raise Http404("The photo is no longer there.")
    response = FileResponse(handle, content_type=content_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    extension = evidence.TYPES.get(content_type, "bin")
    response["Content-Disposition"] = f'inline; filename="{filename}.{extension}"'
    return response


@login_required
@require_GET
def answer_photo(request: HttpRequest, answer_id: int) -> FileResponse:
    scope = scope_for_user(request.user)
    answer = (
        SheetAnswer.objects.filter(pk=answer_id, sheet__in=selectors.sheets_visible(scope)).exclude(photo="").first()
    )
    if answer is None:
        raise Http404("No such photo.")
    return _stream(answer.photo, answer.photo_type, f"patrol-{answer.pk}")


@login_required
@require_GET
def finding_photo(request: HttpRequest, finding_id: int) -> FileResponse:
    scope = scope_for_user(request.user)
    finding = selectors.findings_visible(scope).filter(pk=finding_id).exclude(photo="").first()
    if finding is None:
        raise Http404("No such photo.")
    return _stream(finding.photo, finding.photo_type, f"finding-{finding.pk}")
