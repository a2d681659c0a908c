"""The outreach pages of an outlet (issue 18), phone first:

- /outreach/: where a login starts: its own unit's territories (a staff member: their outlet's).
- /units/<code>/territories/: the outlet's territories (网格) with their owners and their counts of
  customers and prospects; HQ and the outlet head add and change them (/territories/<id>/).
- /units/<code>/prospects/: the 客户信息表 on a phone, and the prospects taken down (CSV/XLSX export).
- /units/<code>/referrals/: record a referral (柜面转介, 大堂转介), move it on (跟进, 成交, 未成交), and
  the month's referrals, deals and conversion rate.

A unit above outlets lists its subtree and records nothing. A staff login opens the pages of the outlet
they work at and sees their own work there (customers.outreach). Names, phones and identity numbers go
through the reader's scope. Every write is POST → redirect → GET with a message; a refused one shows
the page again with the reasons (400) and writes nothing.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit, UnitKind
from customers import outreach
from customers.forms import OutcomeForm, ProspectForm, ReferralForm, TerritoryForm
from customers.models import ReferralStatus, Territory
from customers.services.prospects import own_staff_member, prospect_create
from customers.services.referrals import CHANNEL_BY_POST, RECEIVING_POSTS, referral_advance, referral_create
from customers.services.territories import territory_save
from customers.tables import prospects_table
from lib.ids import is_id
from staff.access import Scope, get_workplace_or_404, scope_for_user
from staff.models import Assignment, StaffMember

PER_PAGE = 50
EXPORT_LIMIT = 10000


def _unit(scope: Scope, code: str) -> OrgUnit:
    """The unit of the page: one the scope sees, or for a staff login the outlet they work at today."""
    return get_workplace_or_404(scope, code, on=timezone.localdate())


def _in_unit(queryset, unit: OrgUnit):
    return queryset.filter(outlet__path__startswith=unit.path)


def _staff_at(outlet: OrgUnit, day: datetime.date, posts=None) -> list[StaffMember]:
    assignments = Assignment.objects.on(day).filter(unit=outlet)
    if posts is not None:
        assignments = assignments.filter(post__code__in=posts)
    return list(StaffMember.objects.filter(pk__in=assignments.values("staff_id")).order_by("code"))


def _problems(request: HttpRequest, refused: ValidationError) -> None:
    for problems in refused.message_dict.values():
        for problem in problems:
            messages.error(request, problem)


@login_required
def outreach_home(request: HttpRequest) -> HttpResponse:
    """/outreach/: the territories of one's own unit, or of the outlet one works at."""
    user = request.user
    scope = scope_for_user(user)
    if scope.sees_units:
        # One's own unit; a reader of the whole network without one (an auditor) starts at the head office.
        unit = user.unit if user.unit_id else scope.units().filter(parent=None).order_by("code").first()
        if unit is not None:
            return redirect("customers:unit_territories", code=unit.code)
    own = own_staff_member(user)
    if own is not None:
        assignment = (
            Assignment.objects.on(timezone.localdate())
            .filter(staff=own, unit__kind=UnitKind.OUTLET)
            .select_related("unit")
            .order_by("unit__code")
            .first()
        )
        if assignment is not None:
            return redirect("customers:unit_territories", code=assignment.unit.code)
    raise Http404("No outlet for this login.")


def _context(unit: OrgUnit, scope: Scope, section: str, **more) -> dict:
    return {"unit": unit, "section": section, "is_outlet": unit.kind == UnitKind.OUTLET, **more}


@login_required
def unit_territories(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    unit = _unit(scope, code)
    today = timezone.localdate()
    may_edit = unit.kind == UnitKind.OUTLET and scope.may_edit_territories(unit)
    form = TerritoryForm(staff_members=_staff_at(unit, today), scope=scope) if may_edit else None
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        form = TerritoryForm(request.POST, staff_members=_staff_at(unit, today), scope=scope)
        if form.is_valid():
            try:
                territory_save(scope=scope, outlet=unit, **form.cleaned_data)
            except ValidationError as refused:
                _problems(request, refused)
            else:
                messages.success(request, _("Territory added."))
                return redirect("customers:unit_territories", code=unit.code)
        status = 400
    territories = list(outreach.territories_with_counts(scope).filter(outlet__path__startswith=unit.path))
    rows = [(territory, scope.person_name(territory.owner.name)) for territory in territories]
    totals = {
        "customers": sum(t.customer_count for t in territories),
        "prospects": sum(t.prospect_count for t in territories),
        "converted": sum(t.converted_count for t in territories),
    }
    context = _context(unit, scope, "territories", rows=rows, form=form, may_edit=may_edit, totals=totals)
    return render(request, "customers/territories.html", context, status=status)


@login_required
def territory_edit(request: HttpRequest, territory_id: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    territory = get_object_or_404(outreach.territories_visible(scope), pk=territory_id)
    if not scope.may_edit_territories(territory.outlet):
        raise Http404("No such territory to change.")
    staff_members = _staff_at(territory.outlet, timezone.localdate())
    if territory.owner not in staff_members:
        staff_members.append(territory.owner)
    initial = {"kind": territory.kind, "name": territory.name, "owner": territory.owner_id, "active": territory.active}
    form = TerritoryForm(initial=initial, staff_members=staff_members, scope=scope)
    status = 200
    if request.method == "POST":
        form = TerritoryForm(request.POST, staff_members=staff_members, scope=scope)
        if form.is_valid():
            try:
                territory_save(scope=scope, outlet=territory.outlet, territory=territory, **form.cleaned_data)
            except ValidationError as refused:
                _problems(request, refused)
            else:
                messages.success(request, _("Territory saved."))
                return redirect("customers:unit_territories", code=territory.outlet.code)
        status = 400
    context = _context(territory.outlet, scope, "territories", territory=territory, form=form)
    return render(request, "customers/territory_edit.html", context, status=status)


@login_required
def unit_prospects(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    unit = _unit(scope, code)
    prospects = _in_unit(outreach.prospects_visible(scope), unit).order_by("-captured_on", "-pk")
    export = request.GET.get("format", "")
    if export in ("csv", "xlsx"):
        return prospects_table(scope=scope).response(export, f"prospects-{unit.code}", prospects[:EXPORT_LIMIT])
    if export:
        raise Http404("No such format.")
    territories = list(Territory.objects.filter(outlet=unit, active=True).order_by("kind", "name"))
    form = ProspectForm(territories=territories) if unit.kind == UnitKind.OUTLET else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise Http404("Prospects are taken down at an outlet.")
        form = ProspectForm(request.POST, territories=territories)
        if form.is_valid():
            try:
                prospect = prospect_create(scope=scope, user=request.user, outlet=unit, **form.cleaned_data)
            except ValidationError as refused:
                _problems(request, refused)
            else:
                if prospect.customer_id:
                    messages.success(request, _("Taken down: already a customer, linked."))
                else:
                    messages.success(request, _("Taken down."))
                return redirect("customers:unit_prospects", code=unit.code)
        status = 400
    page = Paginator(prospects, PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "prospect": prospect,
            "name": scope.person_name(prospect.name),
            "phone": scope.phone(prospect.phone),
            "id_number": scope.id_number(prospect.id_number),
            "customer": scope.customer_code(prospect.customer.code) if prospect.customer_id else "",
        }
        for prospect in page
    ]
    context = _context(unit, scope, "prospects", rows=rows, page=page, form=form)
    return render(request, "customers/prospects.html", context, status=status)


@login_required
def unit_referrals(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    unit = _unit(scope, code)
    today = timezone.localdate()
    is_outlet = unit.kind == UnitKind.OUTLET
    form = None
    if is_outlet:
        referrers = _staff_at(unit, today, posts=list(CHANNEL_BY_POST)) if scope.may_follow_up(unit) else []
        receivers = _staff_at(unit, today, posts=RECEIVING_POSTS)
        form = ReferralForm(initial={"day": today}, referrers=referrers, receivers=receivers, scope=scope)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "new" and form is not None:
            form = ReferralForm(request.POST, referrers=referrers, receivers=receivers, scope=scope)
            if form.is_valid():
                try:
                    referral_create(scope=scope, user=request.user, outlet=unit, **form.cleaned_data)
                except ValidationError as refused:
                    _problems(request, refused)
                else:
                    messages.success(request, _("Referral recorded."))
                    return redirect("customers:unit_referrals", code=unit.code)
        elif action == "outcome":
            referral = get_object_or_404(
                _in_unit(outreach.referrals_visible(scope), unit), pk=_int(request.POST.get("referral"))
            )
            outcome = OutcomeForm(request.POST)
            if outcome.is_valid():
                try:
                    referral_advance(scope=scope, user=request.user, referral=referral, **outcome.cleaned_data)
                except ValidationError as refused:
                    _problems(request, refused)
                else:
                    messages.success(request, _("Referral updated."))
                    return redirect("customers:unit_referrals", code=unit.code)
            else:
                messages.error(request, _("Choose what happened."))
        else:
            raise Http404("No such action.")
        status = 400
    visible = _in_unit(outreach.referrals_visible(scope), unit)
    first = today.replace(day=1)
    summary = outreach.referral_summary(visible, first=first, last=today)
    own = own_staff_member(request.user)
    page = Paginator(visible.order_by("-day", "-pk"), PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "referral": referral,
            "referrer": scope.person_name(referral.referrer.name),
            "receiver": scope.person_name(referral.receiver.name),
            "customer": scope.customer_code(referral.customer.code) if referral.customer_id else "",
            "may_move": referral.status in (ReferralStatus.REFERRED, ReferralStatus.FOLLOWING)
            and scope.may_follow_referral(
                referral.outlet, receives_it=own is not None and own.pk == referral.receiver_id
            ),
        }
        for referral in page
    ]
    context = _context(
        unit, scope, "referrals", rows=rows, page=page, form=form, summary=summary, month=first, today=today
    )
    return render(request, "customers/referrals.html", context, status=status)


def _int(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("No such referral.") from None
    if not is_id(number):
        raise Http404("No such referral.")
    return number
