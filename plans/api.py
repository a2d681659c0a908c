"""Target plans over the REST API (issue 15), for integrations that plan targets elsewhere:

    GET   /api/v1/target-plans/                          plans in scope (filters unit, under, status, period)
    POST  /api/v1/target-plans/                          a new draft plan (409 when the unit has one for the period)
    GET   /api/v1/target-plans/{id}/                     one plan, with its acknowledgements once published
    PATCH /api/v1/target-plans/{id}/                     a draft's name and note
    GET   /api/v1/target-plans/{id}/cells/               its proposals (filters unit, metric, period)
    POST  /api/v1/target-plans/{id}/cells/               proposals to write, all or nothing
    POST  /api/v1/target-plans/{id}/publish/             publish: every target in one transaction

Reads need the read scope; writes a token with the admin scope (inside its subtree) or a signed-in user
who may plan (staff.access.Scope.may_plan_targets: HQ; a unit manager the ISO weeks of their subtree).
Every write goes through plans.services, as the page's do: the same checks, the same words, nothing
written on any error. A plan of a unit outside the scope answers 404, as an unknown one does. Staff
names are masked unless the token may read personal data.
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.models import OrgUnit
from kpi.models import Metric
from lib.api import ApiErrorsSerializer, api_error, errors_response
from lib.api_fields import NumbersAsWrittenJSONParser, PeriodFilter
from lib.csvimport import codes_lookup
from plans.models import Plan, PlanCell, PlanStatus, TargetAcknowledgement
from plans.serializers import (
    PlanCellSerializer,
    PlanCellsWriteSerializer,
    PlanCreateSerializer,
    PlanSerializer,
    PlanUpdateSerializer,
    PublishedSerializer,
    PublishSerializer,
    SaveResultSerializer,
)
from plans.services.cells import (
    CellInput,
    PlanExists,
    PlanProblems,
    Problem,
    check_can_plan,
    plan_cells_problems,
    plan_cells_save,
    plan_create,
)
from plans.services.publish import PlanChanged, plan_publish
from staff.api_scope import BAD_LIST_QUERY, ScopedFilterMethods, ScopedListView, ScopedViewMixin
from staff.models import ApiToken, StaffMember

TAGS = ["target plans"]
_NOT_FOUND = OpenApiResponse(ApiErrorsSerializer, description="No such plan or unit in your scope.")
_FORBIDDEN = OpenApiResponse(
    ApiErrorsSerializer,
    description="A token without the admin scope, a user who may not plan this unit and period, or a published plan.",
)
_BAD = OpenApiResponse(
    ApiErrorsSerializer,
    description="A bad field, code, period or value: every problem, with the index of its cell in `row`.",
    examples=[
        OpenApiExample(
            "A metric not measured per staff member",
            {"errors": [{"field": "cells", "message": "Deposit growth is not measured per staff member.", "row": 3}]},
        )
    ],
)
_EXISTS = OpenApiResponse(
    ApiErrorsSerializer,
    description=(
        "The unit has a plan for the period already: its draft, or a published plan when `revise` is not "
        "asked for. Nothing is made; `Location` is the plan that is there."
    ),
)
PLAN_ID = OpenApiParameter("target_plan_id", int, OpenApiParameter.PATH, description="The plan's id.")
_PLAN_EXAMPLE = {
    "id": 12,
    "name": "2027 年度存款计划",
    "unit": "GZ",
    "period": "2027",
    "period_kind": "year",
    "period_start": "2027-01-01",
    "period_end": "2027-12-31",
    "metrics": ["deposit_growth"],
    "status": "draft",
    "note": "",
    "created_by": "zhou.minghua",
    "token_name": "",
    "created_at": "2026-12-01T09:00:00+08:00",
    "updated_at": "2026-12-01T09:30:00+08:00",
    "published_by": None,
    "published_at": None,
    "acknowledgements": [],
}


def _who(request) -> dict:
    token = request.auth if isinstance(request.auth, ApiToken) else None
    return {"user": None if token else request.user, "token_name": token.name if token else ""}


_FIELDS = frozenset({"unit", "period", "metrics", "name", "note"})


def _problems_response(problems: PlanProblems) -> Response:
    return errors_response(_problem_errors(problems.problems))


def _problem_errors(problems: list[Problem]) -> list[dict]:
    """The services' problems in the error format: a cell's by its index (`row`), a field's by its name,
    anything else (a cell named in words, as publishing names them) as a sentence of the request."""
    errors = []
    for problem in problems:
        if problem.where.isdigit():
            errors.append(api_error(problem.message, field="cells", row=int(problem.where)))
        elif problem.where in _FIELDS:
            errors.append(api_error(problem.message, field=problem.where))
        else:
            errors.append(api_error(str(problem)))
    return errors


def _plans(scope):
    return (
        Plan.objects.filter(scope.unit_records())
        .select_related("unit", "created_by", "published_by")
        .prefetch_related(
            "metrics",
            Prefetch("acknowledgements", queryset=TargetAcknowledgement.objects.select_related("unit", "answered_by")),
        )
        .order_by("pk")
    )


def _plan_or_404(request, pk: int) -> Plan:
    plan = _plans(request.scope).filter(pk=pk).first()
    if plan is None:
        raise Http404("No such plan.")
    return plan


class PlanFilter(ScopedFilterMethods, django_filters.FilterSet):
    unit = django_filters.CharFilter(method="filter_unit", help_text="Plans of one org unit, by code.")
    under = django_filters.CharFilter(method="filter_under", help_text="Plans of every unit in a subtree.")
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)
    period = PeriodFilter(method="filter_period", help_text="Period code, e.g. 2027 or 2026-W50.")

    class Meta:
        model = Plan
        fields = ["unit", "under", "status", "period"]

    def filter_period(self, queryset, name, value):
        return queryset.filter(period=value.code)


class TargetPlanListView(ScopedListView):
    model = Plan
    serializer_class = PlanSerializer
    filterset_class = PlanFilter

    def scoped_queryset(self, scope):
        return _plans(scope)

    @extend_schema(
        operation_id="target_plans_list",
        summary="Target plans in scope",
        description="The plans of the units in the token's (or user's) scope, a page at a time.",
        responses={
            200: OpenApiResponse(PlanSerializer(many=True), examples=[OpenApiExample("A plan", _PLAN_EXAMPLE)]),
            400: BAD_LIST_QUERY,
            404: _NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="target_plans_create",
        summary="Make a draft plan",
        description=(
            "A draft plan of a unit's subtree for a year, a quarter, a month or an ISO week and a set of metrics. "
            "Needs a token with the `admin` scope (for its own subtree) or a signed-in user who may plan it: HQ "
            "administrators any plan, unit managers the ISO weeks of their subtree. A unit has one draft for a "
            "period: when it has one, or a published plan and `revise` is not true, nothing is made (409) and "
            "`Location` names the plan that is there. `revise: true` makes a new draft beside a published plan, "
            "to change its targets."
        ),
        request=PlanCreateSerializer,
        examples=[
            OpenApiExample(
                "HQ's year",
                {"unit": "GZ", "period": "2027", "metrics": ["deposit_growth"], "name": "2027 年度存款计划"},
                request_only=True,
            )
        ],
        responses={201: PlanSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND, 409: _EXISTS},
        tags=TAGS,
    )
    def post(self, request, *args, **kwargs):
        incoming = PlanCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        unit = request.scope.units().filter(code=data["unit"]).first()
        if unit is None:
            return errors_response([api_error(f"unit '{data['unit']}' is not known", field="unit")])
        metrics = list(Metric.objects.filter(code__in=data["metrics"]))
        if unknown := sorted(set(data["metrics"]) - {metric.code for metric in metrics}):
            return errors_response([api_error(f"not in the catalog: {', '.join(unknown)}", field="metrics")])
        who = _who(request)
        try:
            plan = plan_create(
                scope=request.scope,
                unit=unit,
                period=data["period"],
                metrics=metrics,
                name=data.get("name", ""),
                note=data.get("note", ""),
                created_by=who["user"],
                token_name=who["token_name"],
                revise=data.get("revise", False),
            )
        except PlanExists as exists:
            location = reverse("target-plan-detail", args=[exists.plan.pk])
            errors = _problem_errors(exists.problems)
            return errors_response(errors, status.HTTP_409_CONFLICT, headers={"Location": location})
        except PlanProblems as problems:
            return _problems_response(problems)
        except DjangoPermissionDenied as refused:
            raise PermissionDenied(str(refused))
        return Response(PlanSerializer(_plan_or_404(request, plan.pk)).data, status=status.HTTP_201_CREATED)


class TargetPlanDetailView(ScopedViewMixin, APIView):
    """One target plan in the reader's scope: its unit, period, metrics and status, and once published each
    unit's acknowledgement (签收)."""

    @extend_schema(
        operation_id="target_plans_retrieve",
        summary="One target plan",
        parameters=[PLAN_ID],
        responses={200: PlanSerializer, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, target_plan_id: int):
        return Response(PlanSerializer(_plan_or_404(request, target_plan_id)).data)

    @extend_schema(
        operation_id="target_plans_partial_update",
        summary="Rename a draft plan",
        description="A draft's name and note; a published plan changes no more (403).",
        parameters=[PLAN_ID],
        request=PlanUpdateSerializer,
        responses={200: PlanSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def patch(self, request, target_plan_id: int):
        plan = _plan_or_404(request, target_plan_id)
        incoming = PlanUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            check_can_plan(request.scope, plan)
        except DjangoPermissionDenied as refused:
            raise PermissionDenied(str(refused))
        changes = dict(incoming.validated_data)
        if "name" in changes and not changes["name"].strip():
            return errors_response([api_error("a plan needs a name", field="name")])
        if changes:
            Plan.objects.filter(pk=plan.pk, status=PlanStatus.DRAFT).update(**changes)
        return Response(PlanSerializer(_plan_or_404(request, plan.pk)).data)


class TargetPlanCellsView(ScopedListView):
    model = PlanCell
    serializer_class = PlanCellSerializer
    parser_classes = [NumbersAsWrittenJSONParser]
    filter_backends = []

    def scoped_queryset(self, scope):
        plan = _plan_or_404(self.request, self.kwargs["target_plan_id"])
        cells = PlanCell.objects.filter(plan=plan).select_related("unit", "staff", "metric").order_by("pk")
        query = self.request.query_params
        for name, field in (("unit", "unit__code"), ("metric", "metric__code"), ("period", "period")):
            if query.get(name):
                cells = cells.filter(**{field: query[name]})
        return cells

    @extend_schema(
        operation_id="target_plans_cells_list",
        summary="A plan's proposals",
        # Said here: without it drf-spectacular shows the docstring of the view's base class.
        description="The proposed values of a plan, one per unit (or staff member), metric and period, with how "
        "each was reached; a page at a time, ordered by id. A plan outside your scope answers 404.",
        parameters=[
            PLAN_ID,
            OpenApiParameter("unit", str, description="Cells of one unit (a staff member's: their outlet)."),
            OpenApiParameter("metric", str, description="Metric code."),
            OpenApiParameter("period", str, description="Period code, e.g. 2027-03."),
        ],
        responses={
            200: PlanCellSerializer(many=True),
            400: OpenApiResponse(ApiErrorsSerializer, description="A bad page size or cursor."),
            404: _NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="target_plans_cells_write",
        summary="Write proposals",
        description=(
            "Creates, changes or (value null) clears proposals of a draft plan, all or nothing, with the checks of "
            "the page: a unit of the plan's subtree, or a staff member assigned to one of its outlets during the "
            "period (`unit` is that outlet); a metric of the plan measured at that level (a metric not measured "
            "per staff member is refused for staff); the plan's period or one of its quarters or months; a value "
            "of 0 or more, below 10,000,000,000, with at most 4 decimals, whole for a metric that counts whole "
            "things (户 笔 人 件). A unit's own figure that is the sum of its rows (basis `sum`) is recomputed "
            "when its rows change. Every problem is answered, with the cell's index in `row`."
        ),
        parameters=[PLAN_ID],
        request=PlanCellsWriteSerializer,
        examples=[
            OpenApiExample(
                "Two outlets",
                {
                    "cells": [
                        {"unit": "GZ0101", "metric": "deposit_growth", "period": "2027", "value": "600"},
                        {"unit": "GZ0102", "metric": "deposit_growth", "period": "2027", "value": "400"},
                    ]
                },
                request_only=True,
            )
        ],
        responses={200: SaveResultSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def post(self, request, target_plan_id: int):
        plan = _plan_or_404(request, target_plan_id)
        try:
            check_can_plan(request.scope, plan)
        except DjangoPermissionDenied as refused:
            raise PermissionDenied(str(refused))
        incoming = PlanCellsWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rows = incoming.validated_data["cells"]
        subtree = OrgUnit.objects.subtree(plan.unit)
        units = {unit.code: unit for unit in subtree.filter(code__in={row["unit"] for row in rows})}
        staff_ids = codes_lookup(StaffMember, {row.get("staff") or "" for row in rows})
        people = StaffMember.objects.in_bulk(list(staff_ids.values()))
        metrics = {metric.code: metric for metric in Metric.objects.filter(code__in={row["metric"] for row in rows})}
        errors, cells = [], []
        for index, row in enumerate(rows):
            unit = units.get(row["unit"])
            staff_code = row.get("staff") or ""
            staff = people.get(staff_ids.get(staff_code)) if staff_code else None
            metric = metrics.get(row["metric"])
            if unit is None:
                errors.append(api_error(f"unit '{row['unit']}' is not in the plan's subtree", field="unit", row=index))
            if staff_code and staff is None:
                errors.append(api_error(f"staff member '{staff_code}' is not known", field="staff", row=index))
            if metric is None:
                errors.append(api_error(f"metric '{row['metric']}' is not in the catalog", field="metric", row=index))
            if unit is None or metric is None or (staff_code and staff is None):
                continue
            cells.append(
                CellInput(
                    unit=unit, staff=staff, metric=metric, period=row["period"], value=row["value"], where=str(index)
                )
            )
        if errors:
            # The cells that could be read are checked too, so that one answer names every wrong cell.
            errors += _problem_errors(plan_cells_problems(plan=plan, cells=cells))
            return errors_response(sorted(errors, key=lambda error: -1 if error["row"] is None else error["row"]))
        try:
            result = plan_cells_save(scope=request.scope, plan=plan, cells=cells)
        except PlanProblems as problems:
            return _problems_response(problems)
        except DjangoPermissionDenied as refused:
            raise PermissionDenied(str(refused))
        return Response(
            SaveResultSerializer(
                {
                    "created": result.created,
                    "updated": result.updated,
                    "cleared": result.cleared,
                    "unchanged": result.unchanged,
                }
            ).data
        )


class TargetPlanPublishView(ScopedViewMixin, APIView):
    @extend_schema(
        operation_id="target_plans_publish",
        summary="Publish a plan",
        description=(
            "Sets every proposal as a target in one transaction, as the page's preview does: audited (source "
            "`plan`, the plan in the reference, who: the token's name or the user), the scorecards of the changed "
            "periods recomputed, the heads of the units given targets asked to acknowledge them. Nothing is "
            "written when a proposal's period lies in a closed month or a staff member is planned twice with two "
            "values (400), or when `fingerprint` no longer matches the preview (409)."
        ),
        parameters=[PLAN_ID],
        request=PublishSerializer,
        responses={
            200: PublishedSerializer,
            400: _BAD,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(ApiErrorsSerializer, description="The plan changed since the preview."),
        },
        tags=TAGS,
    )
    def post(self, request, target_plan_id: int):
        plan = _plan_or_404(request, target_plan_id)
        incoming = PublishSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        who = _who(request)
        try:
            published = plan_publish(
                scope=request.scope,
                plan=plan,
                by=who["user"],
                fingerprint=incoming.validated_data.get("fingerprint") or None,
                token_name=who["token_name"],
            )
        except PlanProblems as problems:
            return _problems_response(problems)
        except PlanChanged as changed:
            return errors_response([api_error(str(changed))], status.HTTP_409_CONFLICT)
        except DjangoPermissionDenied as refused:
            raise PermissionDenied(str(refused))
        return Response(PublishedSerializer(published).data)


urlpatterns = [
    path("target-plans/", TargetPlanListView.as_view(), name="target-plan-list"),
    path("target-plans/<int:target_plan_id>/", TargetPlanDetailView.as_view(), name="target-plan-detail"),
    path("target-plans/<int:target_plan_id>/cells/", TargetPlanCellsView.as_view(), name="target-plan-cells"),
    path("target-plans/<int:target_plan_id>/publish/", TargetPlanPublishView.as_view(), name="target-plan-publish"),
]
