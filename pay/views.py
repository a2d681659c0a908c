"""The pay pages (issue 16): one's own pay sheet of a month, a person's sheet for those above them, and a
unit's sheets with the preview before closing, the close, and the download for HR.

Everything is looked up through the reader's Scope (a unit or a person outside it is a 404); closing
asks `Scope.may_close_pay` (pay.services.sheets.pay_close asks it again). The month is `?month=2026-10`,
last month by default; a month that is not one is said so and last month shown.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from branches.models import OrgUnit
from lib.periods import FIRST_DAY, LAST_DAY, parse_month
from pay import selectors
from pay.explain import line_text, metrics_by_code, money
from pay.models import LineKind
from pay.services.sheets import PayCloseError, month_of, pay_close, pay_close_problem
from pay.tables import LINES, SHEETS, SHEETS_PAGE, line_rows, sheet_rows
from staff.access import Scope, get_staff_or_404, get_unit_or_404, own_unit_in_scope, scope_for_user
from staff.models import StaffMember

EXPORT_FORMATS = ("csv", "xlsx")
# Lines that take away or correct: written with their sign (-230.00, +24.00).
SIGNED_KINDS = (LineKind.CAP, LineKind.CARRY_OVER)


def _month(request: HttpRequest) -> tuple[datetime.date, list[str]]:
    """The month asked for (`?month=`), or last month with what was wrong with the one asked for."""
    text = (request.GET.get("month") or request.POST.get("month") or "").strip()
    if not text:
        return selectors.default_month(), []
    try:
        month = parse_month(text)
    except ValueError:
        month = None
    if month is None or not FIRST_DAY <= month <= LAST_DAY.replace(day=1):
        return selectors.default_month(), [
            _("“%(value)s” is not a month; pick one as YYYY-MM, such as 2026-10.") % {"value": text[:20]}
        ]
    return month, []


def _months_around(month: datetime.date) -> dict:
    """The month before and after, as the links of the month switch (none past the supported range)."""
    before = (month - datetime.timedelta(days=1)).replace(day=1)
    after = (month_of(month).end + datetime.timedelta(days=1)) if month_of(month).end < LAST_DAY else None
    return {
        "previous_month": f"{before:%Y-%m}" if before >= FIRST_DAY else None,
        "next_month": f"{after:%Y-%m}" if after else None,
    }


@login_required
def my_pay(request: HttpRequest) -> HttpResponse:
    """/pay/: a staff member's own sheet; a unit's heads, HQ and auditors go to the page of their unit."""
    scope = scope_for_user(request.user)
    if scope.sees_units:
        unit = own_unit_in_scope(scope=scope, user=request.user)
        if unit is None:
            raise Http404("No pay for this login.")
        query = request.GET.urlencode()
        return redirect(reverse("pay:unit_pay", args=[unit.code]) + (f"?{query}" if query else ""))
    if scope.staff_id is not None:
        return _person_page(request, scope, StaffMember.objects.get(pk=scope.staff_id), own=True)
    raise Http404("No pay for this login.")


@login_required
def staff_pay(request: HttpRequest, code: str) -> HttpResponse:
    """/staff/<code>/pay/: a person's sheet of a month, for whoever sees them that month."""
    scope = scope_for_user(request.user)
    staff_member = get_staff_or_404(scope, code)
    return _person_page(request, scope, staff_member, own=scope.staff_id == staff_member.pk)


def _person_page(request: HttpRequest, scope: Scope, staff_member: StaffMember, *, own: bool) -> HttpResponse:
    month, errors = _month(request)
    period = month_of(month)
    if not scope.can_see_staff(staff_member, during=(period.start, period.end)):
        raise Http404("No such staff member.")
    pay = selectors.person_month_pay(staff=staff_member, month=month)
    sheet = pay.sheets[0] if pay.sheets else None
    metrics = metrics_by_code()
    lines = [
        {
            "line": line,
            "text": line_text(line, sheet, metrics),
            "amount": money(line.amount, signed=line.kind in SIGNED_KINDS),
        }
        for line in (sheet.line_list if sheet else [])
    ]
    return render(
        request,
        "pay/sheet.html",
        {
            "section": "pay",
            "scope": scope,
            "own": own,
            "staff_member": staff_member,
            "name": scope.person_name(staff_member.name),
            "month": month,
            "month_code": f"{month:%Y-%m}",
            "pay": pay,
            "sheet": sheet,
            "lines": lines,
            "total": money(sheet.total) if sheet else "",
            "corrected_later": selectors.corrected_later(sheet) if sheet else [],
            "unit_visible": bool(sheet) and scope.can_see_unit(sheet.unit),
            "errors": errors,
            **_months_around(month),
        },
    )


@login_required
def unit_pay(request: HttpRequest, code: str) -> HttpResponse:
    """/units/<code>/pay/: the unit's sheets of a month, stored or previewed; the close; the downloads."""
    scope = scope_for_user(request.user)
    unit = get_unit_or_404(scope, code)
    month, errors = _month(request)
    month_code = f"{month:%Y-%m}"
    here = f"{reverse('pay:unit_pay', args=[unit.code])}?{urlencode({'month': month_code})}"
    if request.method == "POST":
        if errors:  # never close another month than the one asked for
            for error in errors:
                messages.error(request, error)
            return redirect(reverse("pay:unit_pay", args=[unit.code]))
        return _close(request, scope, unit, month, here)

    pay = selectors.unit_month_pay(unit=unit, month=month)
    rows = sheet_rows(pay.sheets, scope=scope)
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        stem = f"pay-{unit.code}-{month_code}"
        if request.GET.get("table") == "lines":
            return LINES.response(export, f"{stem}-lines", line_rows(rows, metrics_by_code()))
        return SHEETS.response(export, stem, rows)
    may_close = scope.may_close_pay(unit)
    return render(
        request,
        "pay/unit_pay.html",
        {
            "section": "pay",
            "scope": scope,
            "unit": unit,
            "month": month,
            "month_code": month_code,
            "pay": pay,
            "table": SHEETS_PAGE.page(rows),
            "rows": rows,
            "total": money(pay.total),
            "may_close": may_close and bool(pay.previews),
            "close_problem": pay_close_problem(month=month) if may_close and pay.previews else None,
            "ancestors": list(scope.units(unit.ancestors())) if unit.parent_id else [],
            "children": list(scope.units(OrgUnit.objects.filter(parent=unit)).order_by("code")),
            "exports": {
                f"{table}_{format_name}": f"{here}&{urlencode({'export': format_name, 'table': table})}"
                for table in ("sheets", "lines")
                for format_name in EXPORT_FORMATS
            },
            "errors": errors,
            **_months_around(month),
        },
    )


def _close(request: HttpRequest, scope: Scope, unit: OrgUnit, month: datetime.date, here: str) -> HttpResponse:
    if request.POST.get("action") != "close" or not scope.may_close_pay(unit):
        raise PermissionDenied(_("You may not close the pay of %(unit)s.") % {"unit": unit.name})
    try:
        result = pay_close(month=month, unit=unit, by=request.user, scope=scope)
    except PayCloseError as refused:
        messages.error(request, str(refused))
        return redirect(here)
    numbers = {"unit": unit.name, "month": result.month.code, "count": result.stored, "total": money(result.total)}
    if result.stored:
        messages.success(
            request,
            ngettext(
                "The pay of %(unit)s for %(month)s is closed: %(count)s sheet stored, %(total)s 元.",
                "The pay of %(unit)s for %(month)s is closed: %(count)s sheets stored, %(total)s 元.",
                result.stored,
            )
            % numbers,
        )
    else:
        messages.info(request, _("Nothing new to close: every sheet of %(unit)s for %(month)s was stored.") % numbers)
    return redirect(here)
