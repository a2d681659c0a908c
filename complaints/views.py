"""The complaints register's pages: the list in scope, recording one, one complaint with its reply and review."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from complaints.forms import ComplaintForm, ReplyForm, ReviewForm
from complaints.models import Validity
from complaints.selectors import complaint_get_or_404, complaints_visible
from complaints.services import complaint_create, complaint_reply, complaint_review
from lib.forms import refusal_on_form
from staff.access import scope_for_user
from staff.models import Role, StaffMember

LIST_LIMIT = 200
SECTION = {"section": "complaints"}


def _row(complaint, scope, today):
    return {
        "complaint": complaint,
        "complainant": scope.complainant_name(complaint.complainant_name) if complaint.complainant_name else "",
        "phone": scope.complainant_phone(complaint.complainant_phone) if complaint.complainant_phone else "",
        "staff_name": scope.person_name(complaint.staff.name) if complaint.staff_id else "",
        "overdue": complaint.is_overdue(today),
    }


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    """Newest first; `?show=open` only those without a reply, `?show=overdue` those past their deadline."""
    scope = scope_for_user(request.user)
    today = timezone.localdate()
    complaints = complaints_visible(scope=scope)
    show = request.GET.get("show", "all")
    if show == "open":
        complaints = complaints.filter(replied_on=None)
    elif show == "overdue":
        complaints = complaints.filter(replied_on=None, reply_due__lt=today)
    elif show == "pending":
        complaints = complaints.filter(validity=Validity.PENDING)
    else:
        show = "all"
    rows = [_row(complaint, scope, today) for complaint in complaints[:LIST_LIMIT]]
    may_record = request.user.role in (Role.HQ_ADMIN, Role.UNIT_MANAGER, Role.OUTLET_HEAD) and not scope.read_only
    return render(request, "complaints/list.html", {"rows": rows, "show": show, "may_record": may_record, **SECTION})


@login_required
def complaint_new(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    outlets = list(scope.units(OrgUnit.objects.outlets().active()).order_by("code"))
    if not any(scope.may_record_complaints(outlet) for outlet in outlets[:1]):
        raise PermissionDenied(_("Only the outlet head, the unit manager above it and HQ record complaints."))
    today = timezone.localdate()
    people = (
        scope.staff(on=today)
        .filter(assignments__unit__in=outlets)
        .distinct()
        .order_by("code")
        .values_list("code", "name")
    )
    form = ComplaintForm(
        request.POST or None,
        outlets=[(outlet.code, f"{outlet.code} {outlet.name}") for outlet in outlets],
        staff=[(code, f"{code} {scope.person_name(name)}") for code, name in people],
        initial={"received_on": today},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            unit = next(outlet for outlet in outlets if outlet.code == data["unit"])
            staff = StaffMember.objects.filter(code=data["staff"]).first() if data["staff"] else None
            try:
                complaint = complaint_create(
                    scope=scope,
                    user=request.user,
                    unit=unit,
                    channel=data["channel"],
                    category=data["category"],
                    received_on=data["received_on"],
                    summary=data["summary"],
                    complainant_name=data["complainant_name"],
                    complainant_phone=data["complainant_phone"],
                    staff=staff,
                    reply_due=data["reply_due"],
                    today=today,
                )
            except ValidationError as invalid:
                refusal_on_form(form, invalid)
            else:
                messages.success(request, _("Complaint recorded."))
                return redirect("complaints:detail", complaint_id=complaint.pk)
        status = 400
    return render(request, "complaints/new.html", {"form": form, **SECTION}, status=status)


@login_required
def complaint_detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """A complaint, its reply (the outlet's) and its review (the unit manager's or HQ's)."""
    scope = scope_for_user(request.user)
    complaint = complaint_get_or_404(scope=scope, complaint_id=complaint_id)
    today = timezone.localdate()
    may_reply = scope.may_record_complaints(complaint.unit)
    may_review = scope.may_review_complaints(complaint.unit)
    reply_form = ReplyForm(initial={"reply": complaint.reply}, prefix="reply")
    review_form = ReviewForm(prefix="review")
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "reply":
                reply_form = ReplyForm(request.POST, prefix="reply")
                if not reply_form.is_valid():
                    raise ValidationError(reply_form.errors)
                complaint_reply(
                    scope=scope,
                    user=request.user,
                    complaint=complaint,
                    reply=reply_form.cleaned_data["reply"],
                    today=today,
                )
            elif action == "review":
                review_form = ReviewForm(request.POST, prefix="review")
                if not review_form.is_valid():
                    raise ValidationError(review_form.errors)
                complaint_review(
                    scope=scope,
                    user=request.user,
                    complaint=complaint,
                    validity=review_form.cleaned_data["validity"],
                    note=review_form.cleaned_data["note"],
                )
            else:
                raise ValidationError(_("Reply or review."))
        except ValidationError as invalid:
            messages.error(request, " ".join(invalid.messages))
            status = 400
        else:
            messages.success(request, _("Saved."))
            return redirect("complaints:detail", complaint_id=complaint.pk)
    context = {
        **_row(complaint, scope, today),
        "may_reply": may_reply,
        "may_review": may_review,
        "reply_form": reply_form,
        "review_form": review_form,
        "replied_by": scope.person_name(_full_name(complaint.replied_by)) if complaint.replied_by_id else "",
        "reviewed_by": scope.person_name(_full_name(complaint.reviewed_by)) if complaint.reviewed_by_id else "",
        **SECTION,
    }
    return render(request, "complaints/detail.html", context, status=status)


def _full_name(user) -> str:
    return user.get_full_name() or user.get_username()
