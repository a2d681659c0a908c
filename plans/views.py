"""The target-plan pages (issue 15): the plans and what waits for the reader, a plan's grid at a level
(fill, type, save, cascade, Excel out and in), the grid over months or quarters, the preview that
publishes, and the acknowledgement (签收) of an outlet's new targets.

A plan is looked up through the reader's scope (a plan of a unit they do not see is a 404); who may
change it is asked of plans.services (staff.access underneath). Every write is POST → redirect → GET
with a message, except a refused one, which shows the page again with what was typed and each reason
beside its cell (400). Each page reads a fixed number of queries whatever the size of the network.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.models import Metric
from lib.csvimport import decimal
from lib.periods import PeriodKind, period_of
from plans import selectors
from plans.basis import basis_label
from plans.forms import AnswerForm, FillForm, PlanForm, TimeForm, WeekPlanForm
from plans.grid import grid_build, level_path, plan_metrics, time_grid_build
from plans.models import AcknowledgementStatus, Plan, TargetAcknowledgement
from plans.services.acknowledgements import acknowledgement_answer, can_acknowledge
from plans.services.cells import (
    CellInput,
    PlanExists,
    PlanProblems,
    Problem,
    SaveResult,
    can_plan,
    plan_cells_problems,
    plan_cells_save,
    plan_create,
    plan_exists_message,
)
from plans.services.fill import parse_weights, plan_fill, plan_fill_time
from plans.services.publish import PlanChanged, plan_preview, plan_publish
from plans.services.weeks import plan_week_create
from plans.services.workbook import WORKBOOK_MAX_BYTES, WorkbookProblems, plan_workbook, plan_workbook_read
from staff.access import Scope, scope_for_user

PAGE_SIZE = 30


def _scope(request: HttpRequest) -> Scope:
    scope = scope_for_user(request.user)
    if not scope.sees_units:
        raise Http404("No target plans for this login.")
    return scope


def _plan_or_404(scope: Scope, plan_id: int) -> Plan:
    plan = Plan.objects.select_related("unit", "created_by", "published_by").filter(pk=plan_id).first()
    if plan is None or not scope.can_see_unit(plan.unit):
        raise Http404("No such plan.")
    return plan


def _level_or_404(plan: Plan, code: str | None) -> OrgUnit:
    if not code:
        return plan.unit
    level = OrgUnit.objects.filter(code=code, path__startswith=plan.unit.path).first()
    if level is None:
        raise Http404("No such level in this plan.")
    return level


def _grid_url(plan: Plan, level: OrgUnit) -> str:
    url = reverse("plans:plan_grid", args=[plan.pk])
    return url if level.pk == plan.unit_id else f"{url}?{urlencode({'level': level.code})}"


def _url(name: str, plan: Plan, **query: str) -> str:
    return f"{reverse(name, args=[plan.pk])}?{urlencode(query)}"


def _problem_messages(request: HttpRequest, problems: PlanProblems) -> None:
    for problem in problems.problems:
        messages.error(request, str(problem))


def _cell_errors(problems: list[Problem]) -> dict[str, str]:
    """The problems by input name, a cell's several problems in one sentence after another."""
    errors: dict[str, str] = {}
    for problem in problems:
        errors[problem.where] = (
            f"{errors[problem.where]} {problem.message}" if problem.where in errors else problem.message
        )
    return errors


def _cells_save(
    scope: Scope, plan: Plan, cells: list[CellInput], errors: dict[str, str]
) -> tuple[SaveResult | None, dict[str, str]]:
    """Save the cells read from a grid, or say every wrong cell at once: those that were not numbers
    (`errors`) and what the services find wrong with the others. Returns (the SaveResult or None, the
    errors by input name)."""
    try:
        if errors:
            return None, errors | _cell_errors(plan_cells_problems(plan=plan, cells=cells))
        return plan_cells_save(scope=scope, plan=plan, cells=cells), {}
    except PlanProblems as problems:
        return None, _cell_errors(problems.problems)


# -- the plans ------------------------------------------------------------------------------------------


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    """/plans/targets/: what waits for the reader (targets to acknowledge), the plans of their scope, a
    new plan (HQ), the Monday meeting's week (unit managers, HQ)."""
    scope = _scope(request)
    today = timezone.localdate()
    may_plan = scope.may_plan_some_targets
    plan_form = PlanForm(scope=scope, prefix="plan") if scope.may_set_targets else None
    week_form = (
        WeekPlanForm(scope=scope, today=today, prefix="week", initial=_week_initial(request, scope))
        if may_plan
        else None
    )
    status = 200
    if request.method == "POST":
        if not may_plan:
            raise PermissionDenied(_("You may not plan targets."))
        action = request.POST.get("action")
        try:
            if action == "create" and plan_form is not None:
                plan_form = PlanForm(request.POST, scope=scope, prefix="plan")
                if plan_form.is_valid():
                    data = plan_form.cleaned_data
                    plan = plan_create(
                        scope=scope,
                        unit=data["unit"],
                        period=data["period"],
                        metrics=data["metrics"],
                        name=data["name"],
                        created_by=request.user,
                        revise=data["revise"],
                    )
                    messages.success(request, _("Plan “%(name)s” created: fill in its grid.") % {"name": plan.name})
                    return redirect("plans:plan_grid", plan.pk)
            elif action == "week" and week_form is not None:
                week_form = WeekPlanForm(request.POST, scope=scope, today=today, prefix="week")
                if week_form.is_valid():
                    data = week_form.cleaned_data
                    plan, notes = plan_week_create(
                        scope=scope,
                        unit=data["unit"],
                        week=data["week"],
                        metrics=data["metrics"],
                        created_by=request.user,
                        revise=data["revise"],
                    )
                    messages.success(
                        request,
                        _("The week's targets are prefilled from what each remaining day of the month must bring."),
                    )
                    for note in notes:
                        messages.warning(request, note)
                    return redirect("plans:plan_grid", plan.pk)
            else:
                raise PermissionDenied(_("You may not plan targets."))
        except PlanExists as exists:
            return _plan_exists_redirect(request, exists.plan)
        except PlanProblems as problems:
            _problem_messages(request, problems)
        status = 400
    plans = Paginator(selectors.plans_visible(scope=scope), PAGE_SIZE).get_page(request.GET.get("page"))
    acknowledgements = list(selectors.acknowledgements_for(scope=scope)[:50])
    context = {
        "section": "target_plans",
        "scope": scope,
        "may_plan": may_plan,
        "plans": plans,
        "acknowledgements": acknowledgements,
        "pending": [row for row in acknowledgements if row.status == AcknowledgementStatus.PENDING],
        "plan_form": plan_form,
        "week_form": week_form,
        "period_suggestions": _period_suggestions(today),
        # A form opens by itself when it is what the reader came for, or when it was refused.
        "open_week": week_form is not None and (status == 400 or plan_form is None),
        "open_new": plan_form is not None and (status == 400 or not plans.paginator.count),
    }
    return render(request, "plans/plan_list.html", context, status=status)


def _plan_exists_redirect(request: HttpRequest, plan: Plan) -> HttpResponse:
    """Open the unit's plan for the period that is there already, saying so, instead of a second one."""
    if plan.is_draft:
        then = _("It is opened instead of a second one: carry on with it.")
    else:
        then = _(
            "It is opened instead of a second plan. To change these targets, make the plan again with "
            "“Revise the published targets” ticked."
        )
    messages.warning(request, f"{plan_exists_message(plan)} {then}")
    return redirect("plans:plan_grid", plan.pk)


def _week_initial(request: HttpRequest, scope: Scope) -> dict:
    unit = request.user.unit if request.user.unit_id and scope.can_see_unit(request.user.unit) else None
    initial = {}
    if unit is not None and not unit.is_outlet:
        initial["unit"] = unit.code
    initial["metrics"] = list(
        Metric.objects.filter(is_active=True, code__in=("deposit_growth", "mobile_banking_signups")).values_list(
            "code", flat=True
        )
    )
    return initial


def _period_suggestions(today) -> list[str]:
    month = period_of(PeriodKind.MONTH, today)
    quarter = period_of(PeriodKind.QUARTER, today)
    return [
        str(today.year + 1),
        period_of(PeriodKind.QUARTER, quarter.end + datetime.timedelta(days=1)).code,
        period_of(PeriodKind.MONTH, month.end + datetime.timedelta(days=1)).code,
        month.code,
    ]


# -- the grid -------------------------------------------------------------------------------------------


def _typed_cells(request: HttpRequest, grid) -> tuple[list[CellInput], dict[str, str], dict[str, str]]:
    """The grid's inputs read from the POST: the proposals, what was typed (by input name) and what is
    wrong with it. An input the page did not draw is ignored; an empty one clears the proposal."""
    cells, typed, errors = [], {}, {}
    for row in grid.all_rows:
        for cell in row.cells:
            if not cell.offered or cell.name not in request.POST:
                continue
            text = request.POST[cell.name].strip()
            typed[cell.name] = text
            value = None
            if text:
                try:
                    value = decimal(text)
                except ValueError:
                    errors[cell.name] = _("“%(text)s” is not a number; write digits such as 1234.5.") % {"text": text}
                    continue
            if value == cell.value:
                continue  # unchanged: keeps how it was reached
            cells.append(
                CellInput(
                    unit=row.entity.unit,
                    staff=row.entity.staff,
                    metric=cell.metric,
                    period=grid.period,
                    value=value,
                    where=cell.name,
                )
            )
    return cells, typed, errors


@login_required
def plan_grid(request: HttpRequest, target_plan_id: int) -> HttpResponse:
    """/plans/targets/<id>/?level=GZ01: the plan at a level."""
    scope = _scope(request)
    plan = _plan_or_404(scope, target_plan_id)
    level = _level_or_404(plan, request.GET.get("level") or request.POST.get("level"))
    editable = can_plan(scope, plan)
    if request.GET.get("export") == "xlsx":
        return plan_workbook(plan=plan, level=level, scope=scope)

    typed, errors, notes, status = {}, {}, [], 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(_("This plan cannot be changed by you."))
        action = request.POST.get("action", "save")
        if action == "upload":
            upload = request.FILES.get("workbook")
            try:
                if upload is None:
                    raise WorkbookProblems([_("Choose the Excel file (.xlsx) to upload.")])
                if upload.size > WORKBOOK_MAX_BYTES:
                    raise WorkbookProblems([_("The file is larger than 5 MB; upload the grid's own workbook.")])
                result = plan_workbook_read(plan=plan, level=level, scope=scope, content=upload.read())
            except WorkbookProblems as problems:
                for problem in problems.messages[:200]:
                    messages.error(request, problem)
                messages.error(request, _("Nothing was saved; correct the file and upload it again."))
                status = 400
            else:
                messages.success(request, _("Workbook read: %(count)s proposals changed.") % {"count": result.changed})
                return redirect(_grid_url(plan, level))
        else:
            grid = grid_build(plan=plan, level=level, scope=scope)
            cells, typed, errors = _typed_cells(request, grid)
            saved, errors = _cells_save(scope, plan, cells, errors)
            if errors:
                messages.error(request, _("Nothing was saved: correct the cells marked below."))
                status = 400
            elif action in ("fill", "cascade"):
                fill = FillForm(request.POST, plan=plan, metrics=grid.metrics)
                if fill.is_valid():
                    try:
                        result = plan_fill(
                            scope=scope,
                            plan=plan,
                            level=level,
                            metrics=fill.chosen_metrics(),
                            method=fill.cleaned_data["method"],
                            basis_period=fill.cleaned_data["basis"],
                            factor=fill.cleaned_data["factor"],
                            on_nonpositive=fill.cleaned_data["nonpositive"] or "floor",
                            cascade=action == "cascade",
                        )
                    except PlanProblems as problems:
                        _problem_messages(request, problems)
                    else:
                        filled = _("Filled: %(count)s proposals changed.") % {"count": result.saved.changed}
                        messages.success(request, filled)
                        for note in result.notes:
                            messages.warning(request, note)
                        return redirect(_grid_url(plan, level))
                else:
                    for field_errors in fill.errors.values():
                        for error in field_errors:
                            messages.error(request, error)
                status = 400
                typed = {}
            else:
                if saved.changed:
                    messages.success(request, _("Saved: %(count)s proposals changed.") % {"count": saved.changed})
                if action == "preview":
                    return redirect("plans:plan_preview", plan.pk)
                return redirect(_grid_url(plan, level))

    grid = grid_build(plan=plan, level=level, scope=scope, typed=typed, errors=errors)
    context = {
        "section": "target_plans",
        "plan": plan,
        "level": level,
        "levels": level_path(plan, level),
        "grid": grid,
        "editable": editable,
        "fill_form": FillForm(plan=plan, metrics=grid.metrics) if editable else None,
        "notes": notes,
        "time_kinds": _time_kinds(plan),
        "export_url": _url("plans:plan_grid", plan, level=level.code, export="xlsx"),
        "acknowledgements": _acknowledgements(plan),
        "same_period": selectors.plans_of_same_period(plan),
    }
    return render(request, "plans/plan_grid.html", context, status=status)


def _time_kinds(plan: Plan) -> list[tuple[str, str]]:
    labels = {PeriodKind.QUARTER: _("Into quarters"), PeriodKind.MONTH: _("Into months")}
    return [(kind.value, labels[kind]) for kind in selectors.sub_period_kinds(plan.period_kind)]


def _acknowledgements(plan: Plan) -> list[TargetAcknowledgement]:
    if plan.is_draft:
        return []
    return list(plan.acknowledgements.select_related("unit", "answered_by").order_by("status", "unit__path"))


# -- over time ------------------------------------------------------------------------------------------


@login_required
def plan_time(request: HttpRequest, target_plan_id: int) -> HttpResponse:
    """/plans/targets/<id>/time/?level=&metric=&into=month: a year's (or a quarter's) parts."""
    scope = _scope(request)
    plan = _plan_or_404(scope, target_plan_id)
    kinds = selectors.sub_period_kinds(plan.period_kind)
    if not kinds:
        raise Http404("A plan of this period has no parts over time.")
    level = _level_or_404(plan, request.GET.get("level"))
    metrics = plan_metrics(plan)
    metric = next((m for m in metrics if m.code == request.GET.get("metric")), metrics[0])
    into = next((kind for kind in kinds if kind.value == request.GET.get("into")), kinds[-1])
    editable = can_plan(scope, plan)
    here = _url("plans:plan_time", plan, level=level.code, metric=metric.code, into=into.value)
    form = TimeForm()
    typed, errors, status = {}, {}, 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(_("This plan cannot be changed by you."))
        action = request.POST.get("action", "save")
        grid = time_grid_build(plan=plan, level=level, metric=metric, into=into, scope=scope)
        if action == "split":
            form = TimeForm(request.POST)
            try:
                weights = parse_weights(request.POST.get("weights", "")) if form.is_valid() else None
                if form.is_valid():
                    result = plan_fill_time(
                        scope=scope, plan=plan, level=level, metrics=[metric], into=into, weights=weights
                    )
                    messages.success(
                        request, _("Split: %(count)s proposals changed.") % {"count": result.saved.changed}
                    )
                    for note in result.notes:
                        messages.warning(request, note)
                    return redirect(here)
            except PlanProblems as problems:
                _problem_messages(request, problems)
            status = 400
        else:
            cells = []
            for row in grid.rows:
                for part, cell in zip(grid.parts, row.cells, strict=True):
                    if cell.name not in request.POST:
                        continue
                    text = request.POST[cell.name].strip()
                    typed[cell.name] = text
                    try:
                        value = decimal(text) if text else None
                    except ValueError:
                        errors[cell.name] = _("“%(text)s” is not a number; write digits such as 1234.5.") % {
                            "text": text
                        }
                        continue
                    if value != cell.value:
                        cells.append(
                            CellInput(
                                unit=row.entity.unit,
                                staff=row.entity.staff,
                                metric=metric,
                                period=part,
                                value=value,
                                where=cell.name,
                            )
                        )
            saved, errors = _cells_save(scope, plan, cells, errors)
            if errors:
                messages.error(request, _("Nothing was saved: correct the cells marked below."))
                status = 400
            else:
                if saved.changed:
                    messages.success(request, _("Saved: %(count)s proposals changed.") % {"count": saved.changed})
                return redirect(here)
    grid = time_grid_build(plan=plan, level=level, metric=metric, into=into, scope=scope, typed=typed, errors=errors)
    context = {
        "section": "target_plans",
        "plan": plan,
        "level": level,
        "levels": level_path(plan, level),
        "grid": grid,
        "metrics": metrics,
        "metric": metric,
        "kinds": _time_kinds(plan),
        "into": into,
        "editable": editable,
        "form": form,
    }
    return render(request, "plans/plan_time.html", context, status=status)


# -- preview and publish --------------------------------------------------------------------------------


@login_required
def plan_preview_page(request: HttpRequest, target_plan_id: int) -> HttpResponse:
    """/plans/targets/<id>/preview/: every change (old → new) and the sums; POST publishes."""
    scope = _scope(request)
    plan = _plan_or_404(scope, target_plan_id)
    editable = can_plan(scope, plan)
    status = 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(_("This plan cannot be published by you."))
        try:
            published = plan_publish(
                scope=scope, plan=plan, by=request.user, fingerprint=request.POST.get("fingerprint", "")
            )
        except PlanProblems as problems:
            _problem_messages(request, problems)
            status = 400
        except PlanChanged as changed:
            messages.error(request, str(changed))
            status = 409
        else:
            messages.success(
                request,
                _(
                    "Published: %(created)s targets set, %(updated)s changed, %(unchanged)s unchanged. "
                    "The scorecards are being recomputed; %(asked)s units are asked to acknowledge."
                )
                % {
                    "created": published.created,
                    "updated": published.updated,
                    "unchanged": published.unchanged,
                    "asked": published.acknowledgements,
                },
            )
            return redirect("plans:plan_preview", plan.pk)
    preview = plan_preview(plan)
    changes = [
        (
            change,
            scope.person_name(change.cell.staff.name) if change.cell.staff_id else change.cell.unit.name,
            basis_label(change.cell.basis),
        )
        for change in preview.changed
    ]
    context = {
        "section": "target_plans",
        "plan": plan,
        "preview": preview,
        "changes": changes,
        "editable": editable,
        "acknowledgements": _acknowledgements(plan),
    }
    return render(request, "plans/plan_preview.html", context, status=status)


# -- acknowledgements ---------------------------------------------------------------------------------


@login_required
def acknowledgement_detail(request: HttpRequest, acknowledgement_id: int) -> HttpResponse:
    """/plans/targets/acknowledgements/<id>/: the targets a plan gave a unit; its head answers."""
    scope = _scope(request)
    row = (
        TargetAcknowledgement.objects.select_related("plan__unit", "unit", "answered_by")
        .filter(pk=acknowledgement_id)
        .first()
    )
    if row is None or not scope.can_see_unit(row.unit):
        raise Http404("No such acknowledgement.")
    may_answer = can_acknowledge(scope, row)
    form = AnswerForm(initial={"status": row.status if row.status != AcknowledgementStatus.PENDING else None})
    status = 200
    if request.method == "POST":
        if not may_answer:
            raise PermissionDenied(_("Only the head of the unit answers for its targets."))
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                acknowledgement_answer(
                    scope=scope,
                    acknowledgement=row,
                    status=form.cleaned_data["status"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except PlanProblems as problems:
                for problem in problems.problems:
                    form.add_error(problem.where if problem.where in form.fields else None, problem.message)
            else:
                messages.success(request, _("Your answer is recorded."))
                return redirect("plans:acknowledgement", row.pk)
        status = 400
    cells = selectors.acknowledgement_targets(row)
    context = {
        "section": "target_plans",
        "row": row,
        "cells": [(cell, scope.person_name(cell.staff.name) if cell.staff_id else row.unit.name) for cell in cells],
        "may_answer": may_answer,
        "form": form,
        "may_see_plan": scope.can_see_unit(row.plan.unit),
    }
    return render(request, "plans/acknowledgement.html", context, status=status)
