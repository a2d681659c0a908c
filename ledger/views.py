"""The ledger pages (issue 16), phone first:

- /ledger/: a staff member records today's or yesterday's work (and sees their own entries and today's
  points); an outlet head or a unit manager also enters deductions for their staff.
- /ledger/approve/: the outlet head approves or rejects what waits, in one batch, before the 晨会, and
  withdraws an approval given by mistake.
- /ledger/entries/: the entries behind a scorecard line (a person's or a unit's, a metric, a period):
  what the scorecard's "明细" opens.
- /ledger/entries/<id>/photo/: an entry's photo, streamed to a reader who may see the entry.
- /ledger/entries/<id>/withdraw/ (POST): a staff member withdraws (撤回) her own entry while it waits for
  approval, from the list she sees it in (/ledger/, /ledger/entries/), to record the right one.

Looked up through the reader's scope (an entry, a unit or a person outside it is a 404); who may write
is asked of ledger.services (staff.access underneath; someone else's entry is a 403). Every write is
POST → redirect → GET with a message; a refused form shows the page again with the reasons (400), each
at the field it is about and the rest at the top of the form, with what was typed. A refused withdrawal
(the entry approved meanwhile) goes back to the list with the reason, where the entry shows as it now is.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from branches.models import OrgUnit, UnitKind
from kpi.models import Metric, MetricUnit
from ledger import evidence, selectors
from ledger.forms import DeductionForm, EntryForm
from ledger.models import EntryStatus, LedgerEntry
from ledger.services import (
    Action,
    entries_decide,
    entry_create,
    entry_days,
    entry_withdraw,
    is_own_entry,
    own_staff_member,
)
from lib.forms import refusal_on_form
from lib.ids import is_id
from lib.periods import PeriodKind, read_period_params
from staff.access import Scope, get_staff_or_404, get_unit_or_404, scope_for_user
from staff.models import Assignment, StaffMember

ENTRIES_PER_PAGE = 50
OWN_ENTRIES_DAYS = 14


@dataclass(frozen=True)
class EntryRow:
    """An entry as a page shows it: names through the reader's scope, the points of the person read."""

    entry: LedgerEntry
    staff_name: str
    partner_name: str
    decided_by: str
    customer_code: str
    points: Decimal
    suspected_duplicate: bool
    # Its author may withdraw it (撤回) here: her own entry, waiting for approval.
    may_withdraw: bool = False


def _rows(scope: Scope, entries, *, reader: StaffMember | None = None, author=None) -> list[EntryRow]:
    """The entries as rows; `author` (the login reading its own entries, `reader` its staff record) gets the
    withdraw button on those of its own entries that wait."""
    rows = []
    for entry in entries:
        decider = entry.decided_by
        rows.append(
            EntryRow(
                entry=entry,
                staff_name=scope.person_name(entry.staff.name),
                partner_name=scope.person_name(entry.partner.name) if entry.partner_id else "",
                decided_by=scope.person_name(decider.get_full_name() or decider.username) if decider else "",
                customer_code=scope.customer_code(entry.customer_code),
                points=selectors.points_of(entry, reader),
                suspected_duplicate=bool(getattr(entry, "suspected_duplicate", False)),
                may_withdraw=author is not None
                and entry.status == EntryStatus.PENDING
                and is_own_entry(entry, user=author, own=reader),
            )
        )
    return rows


def _deduction_units(scope: Scope, user) -> list[OrgUnit]:
    """The outlets whose staff the reader may enter deductions for (an outlet head's own; a unit
    manager's outlets)."""
    if not scope.unit_path or not scope.may_write:
        return []
    outlets = scope.units(OrgUnit.objects.filter(kind=UnitKind.OUTLET)).order_by("path")
    return [unit for unit in outlets if scope.may_enter_deductions(unit)]


def _staff_of(units: list[OrgUnit], days: tuple[datetime.date, datetime.date]) -> list[StaffMember]:
    """The staff assigned to these outlets on either day, in one query."""
    first, last = days
    held = Assignment.objects.filter(unit__in=units, start__lte=last).exclude(end__lt=first)
    return list(StaffMember.objects.filter(pk__in=held.values("staff_id")).order_by("code"))


@login_required
def ledger_home(request: HttpRequest) -> HttpResponse:
    """/ledger/: record today's or yesterday's work; one's own entries and points."""
    scope = scope_for_user(request.user)
    today = timezone.localdate()
    days = entry_days(today)
    staff = own_staff_member(request.user)
    deduction_units = _deduction_units(scope, request.user) if scope.sees_units else []
    if staff is None and not deduction_units:
        raise Http404("No ledger for this login.")

    form = deduction_form = None
    own_items = selectors.items_for_staff(staff, days) if staff is not None else []
    if staff is not None:
        colleagues = _colleagues(staff, days)
        form = EntryForm(
            items=own_items,
            today=today,
            colleagues=colleagues,
            scope=scope,
            prefix="entry",
            initial=_again(scope, request, staff),
        )
    if deduction_units:
        deduction_form = DeductionForm(
            items=list(selectors.items_for_entry(deductions=True)),
            today=today,
            staff_members=_staff_of(deduction_units, days),
            scope=scope,
            prefix="deduction",
        )
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "entry" and staff is not None:
            form = EntryForm(
                request.POST,
                request.FILES,
                items=own_items,
                today=today,
                colleagues=_colleagues(staff, days),
                scope=scope,
                prefix="entry",
            )
            done = form.is_valid() and _create(request, scope, form, staff=staff, today=today)
        elif action == "deduction" and deduction_form is not None:
            deduction_form = DeductionForm(
                request.POST,
                items=list(selectors.items_for_entry(deductions=True)),
                today=today,
                staff_members=_staff_of(deduction_units, days),
                scope=scope,
                prefix="deduction",
            )
            done = deduction_form.is_valid() and _create(
                request, scope, deduction_form, staff=deduction_form.cleaned_data["staff"], today=today
            )
        else:
            raise Http404("No such action.")
        if done:
            return redirect("ledger:home")
        status = 400

    context = {
        "form": form,
        "deduction_form": deduction_form,
        "staff_member": staff,
        "today": today,
        "may_approve": scope.may_approve_some_ledger,
    }
    if staff is not None:
        since = today - datetime.timedelta(days=OWN_ENTRIES_DAYS - 1)
        own = selectors.entries_behind(scope=scope, staff=staff, first=since, last=today)
        context["own_rows"] = _rows(scope, own[:200], reader=staff, author=request.user)
        context["today_points"] = selectors.day_points(staff=staff, day=today)
        context["yesterday_points"] = selectors.day_points(staff=staff, day=days[0])
        context["items"] = own_items
        context["entries_url"] = f"{reverse('ledger:entries')}?{urlencode({'staff': staff.code})}"
    return render(request, "ledger/home.html", context, status=status)


def _again(scope: Scope, request: HttpRequest, staff: StaffMember) -> dict:
    """/ledger/?again=<id>, where withdrawing an entry leads: the form filled in as that entry was (one's
    own, withdrawn), so correcting a mistyped quantity is changing it and recording again. The photo is
    chosen again: a browser fills in no file."""
    try:
        entry_id = int(request.GET.get("again") or 0)
    except ValueError:
        return {}
    if not is_id(entry_id):
        return {}
    entry = (
        selectors.entries_visible(scope)
        .filter(pk=entry_id, staff=staff, entered_by=request.user, status=EntryStatus.WITHDRAWN)
        .first()
    )
    if entry is None:
        return {}
    return {
        "item": entry.item_id,
        "day": entry.day.isoformat(),
        "quantity": entry.quantity,
        "customer_code": entry.customer_code,
        "partner": entry.partner_id or "",
        "note": entry.note,
    }


def _colleagues(staff: StaffMember, days: tuple[datetime.date, datetime.date]) -> list[StaffMember]:
    """Whom a staff member may share an entry with: the staff of their outlets on either day, but them."""
    first, last = days
    mine = Assignment.objects.filter(staff=staff, start__lte=last).exclude(end__lt=first).values("unit_id")
    return [member for member in _staff_of(list(OrgUnit.objects.filter(pk__in=mine)), days) if member.pk != staff.pk]


def _create(request: HttpRequest, scope: Scope, form: Form, *, staff: StaffMember, today: datetime.date) -> bool:
    data = form.cleaned_data
    try:
        entry = entry_create(
            scope=scope,
            user=request.user,
            item=data["item"],
            day=data["day"],
            quantity=data["quantity"],
            staff=staff,
            customer_code=data.get("customer_code", ""),
            partner=data.get("partner"),
            note=data.get("note", ""),
            photo=data.get("photo"),
            today=today,
        )
    except ValidationError as refused:
        refusal_on_form(form, refused)
        return False
    if entry.status == EntryStatus.APPROVED:
        messages.success(request, _("Recorded and counted: %(points)s points.") % {"points": _points(entry.points)})
    else:
        messages.success(
            request, _("Recorded: %(points)s points, waiting for approval.") % {"points": _points(entry.points)}
        )
    return True


def _points(value: Decimal) -> str:
    from kpi.templatetags.kpi_format import kpi_score

    return kpi_score(value)


@login_required
def ledger_approve(request: HttpRequest) -> HttpResponse:
    """/ledger/approve/?unit=CODE: what waits for approval at an outlet, approved or rejected in one batch;
    the approvals of the last days, to withdraw one given by mistake."""
    scope = scope_for_user(request.user)
    if not scope.may_approve_some_ledger:
        raise Http404("No approvals for this login.")
    units = list(selectors.approval_units(scope))
    code = request.GET.get("unit") or ""
    if code:
        unit = get_unit_or_404(scope, code)
        if unit.kind != UnitKind.OUTLET:
            raise Http404("Entries are approved per outlet.")
    elif request.user.unit_id and request.user.unit.kind == UnitKind.OUTLET:
        unit = request.user.unit
    else:
        unit = _first_waiting(scope, units)
    status = 200
    refusal: dict[str, list[str]] = {}
    if request.method == "POST" and unit is not None:
        try:
            decided = entries_decide(
                scope=scope,
                user=request.user,
                entry_ids=request.POST.getlist("entry"),
                action=request.POST.get("action", ""),
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as refused:
            # Said where it is wrong (the reason at its field), on the page as it was sent: the entries
            # ticked stay ticked and the reason typed stays, so fixing one thing is all it takes.
            refusal = refused.message_dict if hasattr(refused, "error_dict") else {"entries": refused.messages}
            status = 400
        else:
            messages.success(request, _decided_message(decided))
            return redirect(f"{reverse('ledger:approve')}?{urlencode({'unit': unit.code})}")

    today = timezone.localdate()
    pending = list(selectors.pending_entries(scope=scope, unit=unit)) if unit else []
    approved = (
        list(selectors.recently_approved(scope=scope, unit=unit, since=today - datetime.timedelta(days=1)))
        if unit
        else []
    )
    posted = set(request.POST.getlist("entry")) if status == 400 else set()
    ticked = {entry.pk for entry in [*pending, *approved] if str(entry.pk) in posted}
    withdrawing = request.POST.get("action") == Action.WITHDRAW
    problems = [message for field, found in refusal.items() if field != "reason" for message in found]
    context = {
        "unit": unit,
        "units": units if len(units) > 1 else [],
        "pending_rows": _rows(scope, pending),
        "approved_rows": _rows(scope, approved),
        "duplicates": sum(1 for entry in pending if entry.suspected_duplicate),
        "reason": request.POST.get("reason", "") if status == 400 else "",
        "reason_errors": refusal.get("reason", []),
        "decide_errors": [] if withdrawing else problems,
        "withdraw_errors": problems if withdrawing else [],
        "ticked": ticked,
        "all_ticked": bool(pending) and all(entry.pk in ticked for entry in pending),
    }
    return render(request, "ledger/approve.html", context, status=status)


def _first_waiting(scope: Scope, units: list[OrgUnit]) -> OrgUnit | None:
    """For a reader of many outlets: the first outlet with an entry waiting, else the first outlet."""
    waiting = (
        selectors.entries_visible(scope)
        .filter(status=EntryStatus.PENDING, unit__in=units)
        .order_by("unit__path")
        .values_list("unit_id", flat=True)
        .first()
    )
    by_pk = {unit.pk: unit for unit in units}
    return by_pk.get(waiting) or (units[0] if units else None)


def _decided_message(decided) -> str:
    if decided.action == Action.APPROVE:
        return _("%(count)s entries approved; the scorecards follow after the next rollup.") % {
            "count": decided.entries
        }
    if decided.action == Action.REJECT:
        return _("%(count)s entries rejected.") % {"count": decided.entries}
    return _("The approval of %(count)s entries withdrawn; their points no longer count.") % {"count": decided.entries}


@login_required
@require_GET
def ledger_entries(request: HttpRequest) -> HttpResponse:
    """/ledger/entries/?staff=S1001|unit=GZ0101&metric=…&date=…&period=month: the entries behind a scorecard
    line, each with its points and who approved it. Without staff or unit: the reader's own."""
    scope = scope_for_user(request.user)
    today = timezone.localdate()
    read = read_period_params(request.GET, latest=today, default_kind=PeriodKind.MONTH)
    for error in read.errors:
        messages.error(request, error)
    period = read.period
    staff = unit = None
    if request.GET.get("staff"):
        staff = get_staff_or_404(scope, request.GET["staff"])
    elif request.GET.get("unit"):
        unit = get_unit_or_404(scope, request.GET["unit"])
    else:
        staff = own_staff_member(request.user)
        if staff is None:
            raise Http404("No entries of your own.")
    metric = None
    if request.GET.get("metric"):
        metric = Metric.objects.filter(code=request.GET["metric"], unit=MetricUnit.POINTS).first()
        if metric is None:
            raise Http404("No such ledger metric.")
    status = request.GET.get("status") or ""
    if status not in EntryStatus.values:
        status = ""
    entries = selectors.entries_behind(
        scope=scope,
        first=period.start,
        # Up to the day asked (a scorecard's line links its own day): the entries of the days after it,
        # today's among them, are not in the figure it explains.
        last=min(read.day, today),
        metric=metric,
        staff=staff,
        unit=unit,
        status=status or None,
    )
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    own = own_staff_member(request.user)
    mine = staff is not None and own is not None and staff.pk == own.pk
    rows = _rows(scope, page.object_list, reader=staff, author=request.user if mine else None)
    total = selectors.approved_points(entries, staff=staff)
    query = request.GET.copy()
    query.pop("page", None)
    filters = query.copy()
    filters.pop("status", None)
    context = {
        "staff_member": staff,
        "staff_name": scope.person_name(staff.name) if staff else "",
        "unit": unit,
        "metric": metric,
        "period": period,
        "status": status,
        "statuses": EntryStatus.choices,
        "page": page,
        "rows": rows,
        "approved_total": total,
        "query": query.urlencode(),
        "filters": filters.urlencode(),
    }
    return render(request, "ledger/entries.html", context)


@login_required
@require_POST
def entry_withdraw_view(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Withdraw (撤回) one's own entry while it waits for approval; back to `next` (the list it was
    withdrawn from), else to /ledger/ with the form filled in as the entry was, to record the right one.
    Someone else's entry is a 403, one out of sight a 404 (ledger.services.entry_withdraw)."""
    scope = scope_for_user(request.user)
    entry = selectors.get_entry_or_404(scope, entry_id)
    try:
        withdrawn = entry_withdraw(user=request.user, entry=entry)
    except ValidationError as refused:
        for message in refused.messages:
            messages.error(request, message)
    else:
        what = {"item": entry.item.name, "quantity": entry.quantity, "day": entry.day.isoformat()}
        if withdrawn.changed:
            messages.success(
                request,
                _("Withdrawn: %(item)s × %(quantity)s of %(day)s; it counts nothing. Record the right entry again.")
                % what,
            )
        else:
            messages.info(request, _("%(item)s × %(quantity)s of %(day)s was already withdrawn.") % what)
    back = request.POST.get("next") or ""
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect(f"{reverse('ledger:home')}?{urlencode({'again': entry.pk})}")


@login_required
@require_GET
def entry_photo(request: HttpRequest, entry_id: int) -> FileResponse:
    """An entry's photo, to a reader who may see the entry (404 otherwise, or when it has none)."""
    scope = scope_for_user(request.user)
    entry = selectors.entries_visible(scope).filter(pk=entry_id).exclude(photo="").first()
    if entry is None:
        raise Http404("No such photo.")
    try:
        handle = evidence.photo_open(entry.photo)
    except OSError:
        raise Http404("The photo is no longer there.")
    response = FileResponse(handle, content_type=entry.photo_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    extension = evidence.TYPES.get(entry.photo_type, "bin")
    response["Content-Disposition"] = f'inline; filename="entry-{entry.pk}.{extension}"'
    return response
