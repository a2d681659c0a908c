"""The outreach pages (/customers/lists/…): the lists one sees, building a list, a list's progress and
customers (with its export and assigning by hand), one's own customers of a list as cards, a customer's
card with the call or visit form, and a visit's photo.

Who: HQ, unit managers and outlet heads build the lists of their subtree (Scope.may_build_lists); a
staff member sees the lists holding customers assigned to them and works those (Scope.may_work_assignment).
Names are shown as the reader's scope may see them (Scope.person_name); the export needs the personal-data
right (Scope.may_export_customers). Outside one's scope: 404.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from customers.models import Territory, Tier
from customers.selectors import tier_schemes, tiered_months
from ledger import evidence
from lib.forms import refusal_on_form
from outreach import selectors
from outreach.forms import PRODUCT_SUGGESTIONS, AssignForm, BuildForm, ContactForm
from outreach.models import Channel, ListAssignment, OutreachList
from outreach.services.building import ListFilter, assignments_assign, candidates_count, list_build
from outreach.services.contacts import contact_record, do_not_contact_set
from outreach.tables import assignments_table
from staff.access import Scope, scope_for_user
from staff.models import Assignment, StaffMember

PAGE_SIZE = 50
EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_LIMIT = 50_000
# Units and staff offered in the build form's lists.
UNIT_CHOICES = 300
STAFF_CHOICES = 300


def _own_staff(request: HttpRequest) -> StaffMember | None:
    return StaffMember.objects.filter(user=request.user).first()


def _list_or_404(scope: Scope, list_id: int) -> OutreachList:
    outreach_list = selectors.lists_visible(scope).filter(pk=list_id).first()
    if outreach_list is None:
        raise Http404("No such list.")
    return outreach_list


def _staff_choices(scope: Scope, unit: OrgUnit, day: datetime.date) -> list[tuple[StaffMember, str]]:
    held = Assignment.objects.on(day).filter(unit__path__startswith=unit.path).values("staff_id")
    people = StaffMember.objects.filter(pk__in=held).order_by("code")[:STAFF_CHOICES]
    return [(member, scope.person_name(member.name)) for member in people]


@login_required
def lists(request: HttpRequest) -> HttpResponse:
    """/customers/lists/: the lists in scope, newest first, with their progress; one's own work first."""
    scope = scope_for_user(request.user)
    own = _own_staff(request)
    if not (scope.sees_units or own):
        raise Http404("No lists for this login.")
    visible = selectors.lists_visible(scope)
    page = Paginator(visible, PAGE_SIZE).get_page(request.GET.get("page"))
    mine = []
    if own is not None:
        mine = list(
            selectors.lists_visible(Scope(staff_id=own.pk)).filter(
                due_on__gte=timezone.localdate() - datetime.timedelta(days=30)
            )[:20]
        )
        counts = selectors.own_counts(own.pk, [item.pk for item in mine])
        mine = [(item, counts.get(item.pk, (0, 0))) for item in mine]
    return render(
        request,
        "outreach/lists.html",
        {
            "section": "outreach",
            "page": page,
            "mine": mine,
            "may_build": scope.may_build_some_lists,
            "today_counts": selectors.today_counts(own.pk if own else None, timezone.localdate()),
        },
    )


@login_required
def list_new(request: HttpRequest) -> HttpResponse:
    """/customers/lists/new/: build a list from a filter; "count" first shows how many it would take."""
    scope = scope_for_user(request.user)
    if not scope.may_build_some_lists:
        raise Http404("No list building for this login.")
    today = timezone.localdate()
    units = list(scope.units().order_by("path")[:UNIT_CHOICES])
    if not units:
        raise Http404("No units.")
    unit_code = request.POST.get("unit") or request.GET.get("unit") or units[0].code
    unit = next((candidate for candidate in units if candidate.code == unit_code), units[0])
    months = tiered_months(limit=24)
    try:
        tiers = tier_schemes(months[0]).now if months else list(Tier.objects.none())
    except ValueError:
        tiers = []
    staff = _staff_choices(scope, unit, today)
    territories = list(
        Territory.objects.filter(active=True, outlet__path__startswith=unit.path).select_related("outlet")[
            :UNIT_CHOICES
        ]
    )
    form_kwargs = {
        "units": units,
        "months": months,
        "tiers": tiers,
        "staff": staff,
        "territories": territories,
        "today": today,
    }
    form = BuildForm(request.POST or None, initial={"unit": unit.code}, **form_kwargs)
    count = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = next(candidate for candidate in units if candidate.code == data["unit"])
        by_code = {member.code: member for member, _name in staff}
        manager = by_code.get(data["manager"]) if data["manager"] else None
        criteria = ListFilter(
            month=data["month"],
            movement=data["movement"],
            tiers=data["tiers"],
            groups=data["groups"],
            aum_min=form.yuan(data["aum_min"]),
            aum_max=form.yuan(data["aum_max"]),
            manager_id=manager.pk if manager else None,
            territory_id=int(data["territory"]) if data["territory"] else None,
            no_contact_days=data["no_contact_days"],
        )
        problems = criteria.problems()
        if request.POST.get("action") == "count" and not problems:
            count = candidates_count(unit=unit, criteria=criteria, today=today)
        elif problems:
            for name, errors in problems.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        else:
            try:
                built = list_build(
                    scope=scope,
                    user=request.user,
                    unit=unit,
                    name=data["name"],
                    criteria=criteria,
                    assign_mode=data["assign_mode"],
                    staff=[by_code[code] for code in data["staff"] if code in by_code],
                    channel=data["channel"],
                    starts_on=data["starts_on"],
                    due_on=data["due_on"],
                )
            except ValidationError as problem:
                refusal_on_form(form, problem)
            else:
                messages.success(
                    request, _("%(name)s: %(count)s customers.") % {"name": built.name, "count": built.customers}
                )
                return redirect("outreach:list", list_id=built.pk)
    return render(
        request,
        "outreach/new.html",
        {"section": "outreach", "form": form, "count": count, "unit": unit},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def list_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    """/customers/lists/<id>/: progress by staff member, the customers a page at a time, the export, and
    assigning by hand."""
    scope = scope_for_user(request.user)
    outreach_list = _list_or_404(scope, list_id)
    may_build = scope.may_build_lists(outreach_list.unit)
    rows = selectors.with_details(selectors.assignments_visible(scope).filter(outreach_list=outreach_list))
    rows = rows.order_by("position")
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        if not scope.may_export_customers:
            raise Http404("No export for this login.")
        table = assignments_table(scope=scope, tier_names=selectors.list_tier_names(outreach_list))
        return table.response(export, f"list-{outreach_list.pk}", rows[:EXPORT_LIMIT])
    today = timezone.localdate()
    staff = _staff_choices(scope, outreach_list.unit, today) if may_build else []
    assign_form = AssignForm(request.POST or None, staff=staff) if may_build else None
    if request.method == "POST":
        if assign_form is None:
            raise Http404("No assigning for this login.")
        if assign_form.is_valid():
            member = next(member for member, _name in staff if member.code == assign_form.cleaned_data["staff"])
            try:
                assigned = assignments_assign(
                    scope=scope,
                    outreach_list=outreach_list,
                    staff=member,
                    count=assign_form.cleaned_data["count"],
                    day=today,
                )
            except ValidationError as problem:
                refusal_on_form(assign_form, problem)
            else:
                messages.success(request, _("%(count)s customers assigned.") % {"count": assigned})
                return redirect("outreach:list", list_id=outreach_list.pk)
    progress = selectors.list_progress(scope, outreach_list)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    own = _own_staff(request)
    tiers = selectors.list_tier_names(outreach_list)
    return render(
        request,
        "outreach/list.html",
        {
            "section": "outreach",
            "outreach_list": outreach_list,
            "progress": progress,
            "total": selectors.progress_total(progress),
            "page": page,
            "rows": [
                (
                    row,
                    scope.person_name(row.customer.name),
                    scope.person_name(row.staff.name) if row.staff_id else "",
                    selectors.tier_name(tiers, row.tier_code),
                )
                for row in page
            ],
            "assign_form": assign_form,
            "may_export": scope.may_export_customers,
            "own_work": own is not None and any(row.staff_id == own.pk for row in progress),
        },
        status=400 if assign_form is not None and assign_form.errors else 200,
    )


@login_required
def list_work(request: HttpRequest, list_id: int) -> HttpResponse:
    """/customers/lists/<id>/work/: one's own customers of the list as cards, those waiting first."""
    scope = scope_for_user(request.user)
    outreach_list = _list_or_404(scope, list_id)
    own = _own_staff(request)
    if own is None:
        raise Http404("No staff record for this login.")
    rows = selectors.my_work(own.pk, outreach_list)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    tiers = selectors.list_tier_names(outreach_list)
    return render(
        request,
        "outreach/work.html",
        {
            "section": "outreach",
            "outreach_list": outreach_list,
            "page": page,
            "rows": [
                (
                    row,
                    scope.person_name(row.customer.name),
                    selectors.aum_band(row.aum_avg_daily),
                    selectors.tier_name(tiers, row.tier_code),
                )
                for row in page
            ],
            "waiting": rows.filter(first_contact_on=None).count(),
            "to_retry": rows.filter(selectors.TO_RETRY).count(),
        },
    )


def _assignment_or_404(scope: Scope, assignment_id: int) -> ListAssignment:
    row = selectors.with_details(selectors.assignments_visible(scope).filter(pk=assignment_id)).first()
    if row is None:
        raise Http404("No such customer on your lists.")
    return row


@login_required
def assignment_card(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """/customers/lists/customers/<id>/: a list customer's card and the call or visit form; saving goes on
    to the next customer of one's own not yet contacted."""
    scope = scope_for_user(request.user)
    assignment = _assignment_or_404(scope, assignment_id)
    outreach_list = assignment.outreach_list
    may_work = scope.may_work_assignment(outreach_list.unit, assignment.staff_id)
    form = ContactForm(request.POST or None, request.FILES or None, initial={"channel": outreach_list.channel})
    if request.method == "POST":
        if not may_work:
            raise Http404("Not yours to work.")
        if request.POST.get("action") in ("flag", "unflag"):
            do_not_contact_set(
                scope=scope, user=request.user, assignment=assignment, flagged=request.POST["action"] == "flag"
            )
            return redirect("outreach:card", assignment_id=assignment.pk)
        if form.is_valid():
            data = form.cleaned_data
            try:
                contact_record(
                    scope=scope,
                    user=request.user,
                    assignment=assignment,
                    outcome=data["outcome"],
                    channel=data["channel"],
                    product=data["product"],
                    next_follow_up=data["next_follow_up"],
                    note=data["note"],
                    photo=data["photo"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                )
            except ValidationError as problem:
                refusal_on_form(form, problem)
            else:
                messages.success(request, _("Saved."))
                upcoming = selectors.next_to_work(assignment.staff_id, outreach_list, after=assignment)
                if upcoming is not None:
                    return redirect("outreach:card", assignment_id=upcoming.pk)
                return redirect("outreach:work", list_id=outreach_list.pk)
    return render(
        request,
        "outreach/card.html",
        {
            "section": "outreach",
            "card": selectors.card(scope, assignment),
            "outreach_list": outreach_list,
            "form": form if may_work else None,
            "products": PRODUCT_SUGGESTIONS,
            "may_work": may_work,
            "visit": Channel.VISIT,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def contact_photo(request: HttpRequest, contact_id: int) -> FileResponse:
    """A visit's photo, to a reader who sees its list customer (404 otherwise, or when it has none)."""
    scope = scope_for_user(request.user)
    contact = selectors.contacts_visible(scope).filter(pk=contact_id).exclude(photo="").first()
    if contact is None:
        raise Http404("No such photo.")
    try:
        handle = evidence.photo_open(contact.photo)
    except OSError:
        raise Http404("The photo is no longer there.")
    response = FileResponse(handle, content_type=contact.photo_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    extension = evidence.TYPES.get(contact.photo_type, "bin")
    response["Content-Disposition"] = f'inline; filename="visit-{contact.pk}.{extension}"'
    return response
