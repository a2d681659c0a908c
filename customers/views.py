"""Customers by tier pages (DOMAIN.md §6, §7): the tier pyramid of a unit's subtree and its change since last
month, the migration matrix as a heatmap, and the customers who moved down, for the follow-up calls
(电话回访); each downloadable as CSV or Excel.

Who opens what: HQ administrators and auditors any unit, unit managers and outlet heads the units of their
subtree (/units/<code>/customers/; 404 outside it). A staff member (the staff role) sees their scorecard
only (§7), but the customers they manage as relationship manager are their own work: /customers/ shows
them exactly those (the pyramid, matrix and moved-down list of their own customers, names unmasked as for
the other roles that manage what they see); a teller who manages nobody gets the same page, empty. They
open no unit page.

Each view looks up the unit through the scope helper, calls customers.selectors and renders; a page
issues the same number of queries whatever the number of customers, outlets or tiers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from customers import selectors
from customers.services.tiering import month_end
from customers.tables import matrix_rows, matrix_table, moved_down_table
from kpi.templatetags.kpi_format import kpi_count
from lib.periods import parse_month, period_of
from staff.access import Scope, get_unit_or_404, own_unit_in_scope, scope_for_user
from staff.models import StaffMember

EXPORT_FORMATS = ("csv", "xlsx")
PAGE_SIZE = 50
# A download holds the list's first rows: more calls than this are not made from one spreadsheet.
EXPORT_LIMIT = 10_000
# Relationship managers offered in the filter's list (any code in scope may still be typed).
MANAGER_CHOICES = 300


@dataclass
class PageParams:
    """The query string, read leniently: a bad value is reported and the default shown."""

    month: datetime.date | None
    schemes: selectors.TierSchemes | None
    months: list[datetime.date]
    manager: StaffMember | None = None
    manager_code: str = ""
    errors: list[str] = field(default_factory=list)

    def query(self, **overrides: str) -> str:
        values = {"month": f"{self.month:%Y-%m}" if self.month else "", "manager": self.manager_code}
        values.update(overrides)
        return urlencode({name: value for name, value in values.items() if value})


def _page_params(request: HttpRequest, scope: Scope, *, own_manager: StaffMember | None) -> PageParams:
    errors: list[str] = []
    months = selectors.tiered_months()
    default = months[0] if months else None
    month = default
    text = (request.GET.get("month") or "").strip()
    if text:
        try:
            month = parse_month(text)
        except ValueError:
            errors.append(_("“%(value)s” is not a month; pick one as YYYY-MM, e.g. 2026-11.") % {"value": text})
    schemes = None
    if month is not None:
        try:
            schemes = selectors.tier_schemes(month)
        except ValueError:
            errors.append(_("No tier scheme is in force in %(month)s.") % {"month": f"{month:%Y-%m}"})
            month = default if month != default else None
    if month is not None and schemes is None:
        try:
            schemes = selectors.tier_schemes(month)
        except ValueError:  # the schemes were removed after the tiering: nothing to show by
            month = None
    params = PageParams(month=month, schemes=schemes, months=months, errors=errors)
    if own_manager is not None:
        params.manager = own_manager
        return params
    code = (request.GET.get("manager") or "").strip()
    if code:
        # The same answer whether the code is unknown or outside the scope.
        params.manager = scope.staff().filter(code=code).first()
        if params.manager is None:
            errors.append(
                _("“%(value)s” is not a relationship manager you can see; showing everyone.") % {"value": code}
            )
        else:
            params.manager_code = params.manager.code
    return params


@login_required
def my_customers(request: HttpRequest) -> HttpResponse:
    """/customers/: a staff member's own customers; everyone else goes to the page of their unit."""
    scope = scope_for_user(request.user)
    if scope.sees_units:
        unit = own_unit_in_scope(scope=scope, user=request.user)
        if unit is None:
            raise Http404("No customers for this login.")
        query = request.GET.urlencode()
        return redirect(reverse("customers:unit_customers", args=[unit.code]) + (f"?{query}" if query else ""))
    if scope.staff_id is not None:
        return _tiers_page(request, scope, unit=None, own_manager=StaffMember.objects.get(pk=scope.staff_id))
    raise Http404("No customers for this login.")


@login_required
def unit_customers(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    return _tiers_page(request, scope, unit=get_unit_or_404(scope, code))


def _tiers_page(
    request: HttpRequest, scope: Scope, *, unit: OrgUnit | None, own_manager: StaffMember | None = None
) -> HttpResponse:
    params = _page_params(request, scope, own_manager=own_manager)
    month, schemes, manager = params.month, params.schemes, params.manager
    pyramid = matrix = moved = None
    if month is not None:
        pyramid = selectors.tier_pyramid(unit=unit, month=month, manager=manager, schemes=schemes)
        matrix = selectors.migration_matrix(unit=unit, month=month, manager=manager, schemes=schemes)
        moved = selectors.moved_down(scope=scope, unit=unit, month=month, manager=manager, schemes=schemes)

    subject = unit.code if unit else own_manager.code
    export = request.GET.get("export")
    if export in EXPORT_FORMATS and month is not None:
        stem = f"{subject}-{month:%Y-%m}" + (f"-{manager.code}" if manager and not own_manager else "")
        if request.GET.get("table") == "matrix":
            return _matrix_export(export, matrix, f"tier-migration-{stem}")
        return _moved_down_export(export, moved, f"moved-down-{stem}")

    page = Paginator(moved, PAGE_SIZE).get_page(request.GET.get("page")) if moved is not None else None
    context = {
        "section": "customers",
        "scope": scope,
        "unit": unit,
        "own": own_manager is not None,
        "params": params,
        "month": month,
        # The tiering's counts are dated the month's last day (its facts too): the day this page shows.
        "counted_on": month_end(month) if month else None,
        "previous": schemes.previous if schemes else None,
        "tiered": month in params.months,
        "errors": params.errors,
        "manager": manager,
        "manager_name": _staff_name(scope, manager),
        "pyramid": pyramid,
        "pyramid_rows": list(reversed(pyramid.tiers)) if pyramid else [],
        "matrix": matrix,
        "matrix_rows": matrix.rows if matrix else [],
        "page": page,
        "rows": [{"row": row, "manager_name": _staff_name(scope, row.manager)} for row in page] if page else [],
        "chart": _chart_data(pyramid, matrix) if pyramid else None,
        "keep": params.query(),
        "exports": {
            f"{table}_{format_name}": f"{request.path}?{params.query(export=format_name, table=table)}"
            for table in ("moved_down", "matrix")
            for format_name in EXPORT_FORMATS
        },
        "export_limit": EXPORT_LIMIT,
        "page_links": _page_links(request, params, page),
    }
    if unit is not None:
        context.update(_scorecard_links(unit, params, pyramid))
        context.update(
            ancestors=list(scope.units(unit.ancestors())) if unit.parent_id else [],
            children=list(scope.units(OrgUnit.objects.filter(parent=unit)).order_by("code")),
            # The staff of the unit's subtree in the month shown (staff.access: by the assignments' dates).
            managers=list(
                scope.within(unit).staff(during=_month_span(params.month)).order_by("code")[:MANAGER_CHOICES]
            ),
            clear_manager_url=f"{request.path}?{params.query(manager='')}",
        )
    return render(request, "customers/tiers.html", context)


def _scorecard_links(unit: OrgUnit, params: PageParams, pyramid: selectors.Pyramid | None) -> dict:
    """The scorecard of the unit, and of the day this page counts (the month's end, the day the tiering's
    facts are dated), where the scorecard's 三星及以上客户数 and tier counts are this page's figures.
    The latest month tiered, with everyone: when the scorecard of a later day shows another premium
    count (facts reported after the tiering), `premium_later` says which and how many."""
    url = reverse("kpi:unit_scorecard", args=[unit.code])
    links: dict = {"scorecard_url": url, "counted_day_url": "", "premium_later": None}
    if params.month is None or pyramid is None:
        return links
    premium = selectors.scorecard_premium(unit=unit, month=params.month)
    if premium.on_counted_day is not None:
        links["counted_day_url"] = f"{url}?{urlencode({'date': premium.counted_on.isoformat()})}"
    latest_month = bool(params.months) and params.month == params.months[0]
    if latest_month and params.manager is None and premium.on_latest not in (None, pyramid.premium):
        links["premium_later"] = premium
    return links


def _month_span(month: datetime.date | None) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the month shown (today before any month is tiered)."""
    if month is None:
        today = datetime.date.today()
        return today, today
    period = period_of("month", month)
    return period.start, period.end


def _staff_name(scope: Scope, staff_member: StaffMember | None) -> str:
    if staff_member is None:
        return ""
    return scope.person_name(staff_member.name)


def _page_links(request: HttpRequest, params: PageParams, page) -> dict:
    if page is None or page.paginator.num_pages <= 1:
        return {}
    links = {}
    if page.has_previous():
        links["previous"] = f"{request.path}?{params.query(page=str(page.previous_page_number()))}#moved-down-title"
    if page.has_next():
        links["next"] = f"{request.path}?{params.query(page=str(page.next_page_number()))}#moved-down-title"
    return links


def _direction_word(change: int) -> str:
    if change > 0:
        return _("up %(count)s") % {"count": kpi_count(change)}
    if change < 0:
        return _("down %(count)s") % {"count": kpi_count(-change)}
    return _("unchanged")


def _chart_data(pyramid: selectors.Pyramid, matrix: selectors.Matrix) -> dict:
    """What static/js/tiers.js draws: the same figures as the tables, read from a json_script."""
    highest_first = list(reversed(pyramid.tiers))
    matrix_rows = matrix.rows
    columns = [name or _("Lost") for _code, name in matrix.columns]
    return {
        "pyramid": {
            "title": _("Customers by tier"),
            "tiers": [row.tier.name for row in highest_first],
            "now": [row.customers for row in highest_first],
            "before": [row.customers_before for row in highest_first],
            "changes": [_direction_word(row.change) for row in highest_first],
            "nowLabel": f"{pyramid.month:%Y-%m}",
            "beforeLabel": f"{pyramid.previous:%Y-%m}",
        },
        "matrix": {
            "title": _("Tier migration"),
            "from": [row.name or _("New") for row in matrix_rows],
            "to": columns,
            "fromAxis": _("Last month"),
            "toAxis": _("This month"),
            # [column index, row index, customers]; empty cells left out
            "cells": [
                [x, y, count] for y, row in enumerate(matrix_rows) for x, count in enumerate(row.counts) if count
            ],
            "max": max([count or 0 for row in matrix_rows for count in row.counts] or [0]),
        },
    }


def _matrix_export(format_name: str, matrix: selectors.Matrix, filename: str) -> HttpResponse:
    """The migration matrix with its totals (customers.tables.matrix_table)."""
    return matrix_table(matrix).response(format_name, filename, matrix_rows(matrix))


def _moved_down_export(format_name: str, moved: selectors.MovedDown, filename: str) -> HttpResponse:
    """The first EXPORT_LIMIT customers of the list, in its order (customers.tables.moved_down_table)."""
    table = moved_down_table(scope=moved.scope)
    return table.response(format_name, filename, moved[0:EXPORT_LIMIT])
