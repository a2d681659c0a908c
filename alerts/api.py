"""Early warning and follow-through over the REST API (issue 8):

    GET   /api/v1/alerts/                    alerts in scope (filters status, unit, under, kind, overdue)
    GET   /api/v1/alerts/{id}/               one alert with its history
    PATCH /api/v1/alerts/{id}/               owner, cause, action plan, deadline
    POST  /api/v1/alerts/{id}/transitions/   {"to": "in_progress", "comment": "…"}
    GET   /api/v1/reviews/                   the Monday reviews (周例会)
    GET   /api/v1/plans/                     improvement plans (一点一策) with their measures

Tokens read; people write. Follow-up is work a person answers for: every change lands in the alert's
history with who made it, and a verification (复查) must come from the level above the outlet, which a
token (a unit's integration, no person) cannot be. So PATCH and POST are for signed-in users of the web
application (session and CSRF token), under the same rules as the pages (alerts.services.follow_up);
an API token answers 403 however it is scoped.

Everything is read through alerts.selectors with the scope of the token or user; an alert, unit, review
or plan outside it answers 404, as an unknown one does.
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import selectors
from alerts.forms import deadline_problem
from alerts.models import Alert, AlertStatus, ImprovementPlan, ReviewStatus, RuleKind, WeeklyReview
from alerts.serializers import (
    AlertDetailSerializer,
    AlertSerializer,
    AlertTransitionSerializer,
    AlertUpdateSerializer,
    ImprovementPlanSerializer,
    WeeklyReviewSerializer,
)
from alerts.services.follow_up import alert_transition, alert_update, can_follow_up
from alerts.services.plans import PLAN_PERIOD_KINDS
from lib.api import ApiErrorsSerializer
from lib.api_fields import PeriodFilter
from lib.api_filters import TrueFalseFilter
from lib.periods import PeriodKind, parse_date, parse_period
from staff.access import scope_for_request
from staff.api_scope import ScopedFilterMethods, ScopedListView, refuse_tokens

_NOT_FOUND = OpenApiResponse(
    ApiErrorsSerializer,
    description="No such alert, review, plan or unit in your scope (an unknown one answers the same).",
)
_BAD_REQUEST = OpenApiResponse(
    ApiErrorsSerializer,
    description="A bad filter value, page size or cursor.",
    examples=[
        OpenApiExample(
            "An unknown status",
            {
                "errors": [
                    {
                        "field": "status",
                        "message": "Select a valid choice. waiting is not one of the available choices.",
                        "row": None,
                    }
                ]
            },
        )
    ],
)
_FORBIDDEN = OpenApiResponse(
    ApiErrorsSerializer,
    description="An API token (tokens read; follow-up is done by a signed-in person), a reader who may not follow "
    "up this unit (an auditor, a staff member), or a move only the level above the outlet makes.",
    examples=[
        OpenApiExample(
            "A token",
            {
                "errors": [
                    {
                        "field": "",
                        "message": "API tokens read alerts; following one up is done by a signed-in person, whom "
                        "the history records.",
                        "row": None,
                    }
                ]
            },
        )
    ],
)

_ALERT_EXAMPLE = {
    "id": 42,
    "rule": {"id": 3, "name": "平均等待超过10分钟", "kind": "threshold", "severity": "warning"},
    "unit": "GZ0101",
    "metric": "avg_wait_minutes",
    "status": "in_progress",
    "opened_on": "2026-11-20",
    "last_seen_on": "2026-11-24",
    "cleared_on": None,
    "closed_at": None,
    "value": "12.500000",
    "detail": "平均等待时间 12.5 分钟，高于 10 分钟",
    "owner": "lin.xiaoyan",
    "cause": "internal",
    "action_plan": "高峰时段增开一个柜口，大堂经理分流",
    "deadline": "2026-11-23",
    "overdue": True,
}
_ALERT_DETAIL_EXAMPLE = {
    **_ALERT_EXAMPLE,
    "events": [
        {
            "at": "2026-11-21T09:12:03+08:00",
            "by": "lin.xiaoyan",
            "from_status": "",
            "to_status": "",
            "changes": {"owner": [None, "林*燕"], "deadline": [None, "2026-11-23"]},
            "comment": "",
        },
        {
            "at": "2026-11-21T09:13:40+08:00",
            "by": "lin.xiaoyan",
            "from_status": "open",
            "to_status": "in_progress",
            "changes": {},
            "comment": "已安排",
        },
    ],
}
_REVIEW_EXAMPLE = {
    "id": 7,
    "unit": "GZ0101",
    "week_start": "2026-11-23",
    "missed": [
        {"metric": "mobile_banking_signups", "target": "50.0000", "actual": "38.0000", "attainment": "0.760000"}
    ],
    "status": "submitted",
    "what_happened": "手机银行签约 38 户，目标 50 户",
    "why": "两名客户经理外出培训",
    "remedy": "周三、周五厅堂集中营销",
    "support_needed": "增派一名大堂经理",
    "support_from": "支行个金部",
    "submitted_by": "lin.xiaoyan",
    "submitted_at": "2026-11-23T08:40:00+08:00",
    "answer": "",
    "answered_by": None,
    "answered_at": None,
}
_PLAN_EXAMPLE = {
    "id": 5,
    "unit": "GZ0101",
    "period": "2026-11",
    "title": "提升手机银行签约",
    "diagnosis": "大堂引导不足",
    "progress": 45,
    "created_by": "chen.zhiqiang",
    "created_at": "2026-11-02T10:00:00+08:00",
    "updated_at": "2026-11-20T16:30:00+08:00",
    "measures": [
        {
            "id": 11,
            "description": "厅堂每日晨会演练营销话术",
            "owner": "lin.xiaoyan",
            "due": "2026-11-15",
            "progress": 90,
            "done_at": None,
        },
        {"id": 12, "description": "周末社区外拓", "owner": None, "due": "2026-11-30", "progress": 0, "done_at": None},
    ],
}


def _true_false(queryset, value: str, condition) -> object:
    return queryset.filter(condition) if value == "true" else queryset.exclude(condition)


class _ScopedFilterSet(ScopedFilterMethods, django_filters.FilterSet):
    """`unit` (one unit's rows) and `under` (a subtree's) by code, looked up in the request's scope."""

    unit = django_filters.CharFilter(method="filter_unit", help_text="One unit's rows, by code (GZ0101).")
    under = django_filters.CharFilter(
        method="filter_under", help_text="The rows of a unit's subtree, the unit included, by code (GZ01)."
    )


class AlertFilter(_ScopedFilterSet):
    status = django_filters.ChoiceFilter(
        choices=[("active", "active"), ("closed", "closed"), *[(value, value) for value in AlertStatus.values]],
        method="filter_status",
        help_text="A status, or active (open, in_progress, done, reopened) or closed (verified, cleared). "
        "Default: every status.",
    )
    kind = django_filters.ChoiceFilter(
        choices=[(value, value) for value in RuleKind.values],
        field_name="rule__kind",
        help_text="The kind of the rule that fired.",
    )
    overdue = TrueFalseFilter(
        method="filter_overdue",
        help_text="true: only alerts past their deadline and not done; false: only the others.",
    )

    class Meta:
        model = selectors.Alert
        fields = ["status", "unit", "under", "kind", "overdue"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(status__in=selectors.STATUS_GROUPS.get(value, (value,)))

    def filter_overdue(self, queryset, name, value):
        return _true_false(queryset, value, selectors.overdue_condition(timezone.localdate()))


class AlertListView(ScopedListView):
    model = Alert
    serializer_class = AlertSerializer
    filterset_class = AlertFilter

    def scoped_queryset(self, scope):
        return selectors.alerts_visible(scope=scope)

    @extend_schema(
        operation_id="alerts_list",
        summary="Alerts (预警) in scope",
        description=(
            "The alerts of the units in the token's (or user's) scope, a page at a time (`cursor`, `page_size` up "
            "to 1000, ordered by id): what fired (the rule, the metric, the value and what was seen), when it "
            "was first and last seen, and its follow-up (owner as a username, cause, action plan, deadline, "
            "status). An ongoing condition is one alert, kept open while it lasts; `cleared` means it cleared "
            "by itself before anyone worked on it, `verified` that the level above checked the work (复查). "
            "`overdue` is true when the deadline has passed and the alert is still open, in progress or "
            "reopened. Filters: `status`, `unit`, `under`, `kind` (of the rule), `overdue`. A unit outside the "
            "scope answers 404, as an unknown code does."
        ),
        responses={
            200: OpenApiResponse(
                AlertSerializer(many=True), examples=[OpenApiExample("An overdue alert", _ALERT_EXAMPLE)]
            ),
            400: _BAD_REQUEST,
            404: _NOT_FOUND,
        },
        tags=["alerts"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _alert_to_follow_up(request: Request, alert_id: int) -> Alert:
    """The alert a signed-in person may follow up: 403 for a token or a reader (before the body is even
    read, so an auditor hears "not yours to change" rather than about a field), 404 outside the scope."""
    refuse_tokens(
        request, "API tokens read alerts; following one up is done by a signed-in person, whom the history records."
    )
    alert = selectors.alert_get_or_404(scope=scope_for_request(request), alert_id=alert_id)
    if not can_follow_up(request.user, alert):
        raise PermissionDenied("You may read this alert but not follow it up.")
    return alert


def _alert_answer(request: Request, alert_id: int) -> Response:
    scope = scope_for_request(request)
    alert = selectors.alert_get_or_404(scope=scope, alert_id=alert_id)
    alert.history = list(selectors.alert_history(alert=alert))
    return Response(AlertDetailSerializer(alert, context={"scope": scope}).data)


class AlertDetailView(APIView):
    @extend_schema(
        operation_id="alerts_retrieve",
        summary="An alert with its history",
        description=(
            "One alert as in the list, with `events`: every change of its status or follow-up fields and every "
            "comment, oldest first, with who (a username; null: the system, which opens alerts and closes them "
            "when the condition clears) and when. An alert outside the token's (or user's) scope answers 404."
        ),
        responses={
            200: OpenApiResponse(
                AlertDetailSerializer, examples=[OpenApiExample("An alert in progress", _ALERT_DETAIL_EXAMPLE)]
            ),
            404: _NOT_FOUND,
        },
        tags=["alerts"],
    )
    def get(self, request: Request, alert_id: int) -> Response:
        return _alert_answer(request, alert_id)

    @extend_schema(
        operation_id="alerts_partial_update",
        summary="Set an alert's owner, cause, action plan or deadline",
        description=(
            "For signed-in users (session and CSRF token) who may follow up the alert's unit: HQ, a unit manager "
            "above it, its outlet head. Send any of `owner` (the username of someone who can follow up the unit; "
            "null to clear), `cause` (market, customer, internal), `action_plan` (整改) and `deadline` "
            "(YYYY-MM-DD, not in the past when it changes); the others are left as they are. Each change is "
            "recorded in the history, old → new. A closed alert cannot change. API tokens answer 403."
        ),
        request=AlertUpdateSerializer,
        examples=[
            OpenApiExample(
                "Owner and plan",
                {
                    "owner": "lin.xiaoyan",
                    "cause": "internal",
                    "action_plan": "高峰时段增开柜口",
                    "deadline": "2026-12-01",
                },
                request_only=True,
            )
        ],
        responses={
            200: OpenApiResponse(AlertDetailSerializer, description="The alert as it is now, with its history."),
            400: OpenApiResponse(
                ApiErrorsSerializer,
                description="A field is wrong, or the alert is closed.",
                examples=[
                    OpenApiExample(
                        "An owner who cannot follow up the unit",
                        {
                            "errors": [
                                {
                                    "field": "owner",
                                    "message": "“wu.guoping” is not someone who can follow up GZ0101.",
                                    "row": None,
                                }
                            ]
                        },
                    )
                ],
            ),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
        tags=["alerts"],
    )
    def patch(self, request: Request, alert_id: int) -> Response:
        alert = _alert_to_follow_up(request, alert_id)
        body = AlertUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        if "owner" in fields and fields["owner"] is not None:
            username = fields["owner"]
            fields["owner"] = selectors.alert_owner_candidates(alert=alert).filter(username=username).first()
            if fields["owner"] is None:
                raise ValidationError({"owner": [f"“{username}” is not someone who can follow up {alert.unit.code}."]})
        problem = deadline_problem(alert, fields.get("deadline"))
        if problem:
            raise ValidationError({"deadline": [problem]})
        alert_update(alert=alert, by=request.user, **fields)
        return _alert_answer(request, alert_id)


class AlertTransitionView(APIView):
    @extend_schema(
        operation_id="alerts_transition",
        summary="Move an alert along open → in progress → done → verified (or reopened)",
        description=(
            "For signed-in users (session and CSRF token) who may follow up the alert's unit. The moves: open or "
            "reopened → in_progress (needs an owner, a cause, an action plan and a deadline), in_progress → done, "
            "done → verified (复查) or reopened (with a comment saying why): the last two only by HQ or a unit "
            "manager above the outlet, never its outlet head. No skipping: open → verified is refused with the "
            "reason. The move and its comment are recorded in the history. API tokens answer 403."
        ),
        request=AlertTransitionSerializer,
        examples=[OpenApiExample("Start the work", {"to": "in_progress", "comment": "已安排"}, request_only=True)],
        responses={
            200: OpenApiResponse(AlertDetailSerializer, description="The alert as it is now, with its history."),
            400: OpenApiResponse(
                ApiErrorsSerializer,
                description="A move the state machine does not allow, or what it needs is missing.",
                examples=[
                    OpenApiExample(
                        "Skipping",
                        {
                            "errors": [
                                {
                                    "field": "",
                                    "message": "An alert that is “Open” cannot become “Verified (closed)”.",
                                    "row": None,
                                }
                            ]
                        },
                    )
                ],
            ),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
        tags=["alerts"],
    )
    def post(self, request: Request, alert_id: int) -> Response:
        alert = _alert_to_follow_up(request, alert_id)
        body = AlertTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert_transition(
            alert=alert, to=body.validated_data["to"], by=request.user, comment=body.validated_data.get("comment", "")
        )
        return _alert_answer(request, alert_id)


# -- the Monday review (周例会) and improvement plans (一点一策) --------------------------------------------


class ReviewFilter(_ScopedFilterSet):
    week = django_filters.CharFilter(
        method="filter_week", help_text="The week's Monday, YYYY-MM-DD (2026-11-23), or an ISO week (2026-W48)."
    )
    status = django_filters.ChoiceFilter(choices=[(value, value) for value in ReviewStatus.values])

    class Meta:
        model = WeeklyReview
        fields = ["week", "status", "unit", "under"]

    def filter_week(self, queryset, name, value):
        try:
            monday = parse_period(value).start if "W" in value else parse_date(value)
            if "W" in value and parse_period(value).kind != PeriodKind.WEEK:
                raise ValueError
        except ValueError:
            monday = None
        if monday is None or monday.weekday() != 0:
            raise ValidationError({"week": [f"“{value}” is not a week; give its Monday (2026-11-23) or 2026-W48"]})
        return queryset.filter(week_start=monday)


class ReviewListView(ScopedListView):
    model = WeeklyReview
    serializer_class = WeeklyReviewSerializer
    filterset_class = ReviewFilter

    def scoped_queryset(self, scope):
        return selectors.reviews_visible(scope=scope)

    @extend_schema(
        operation_id="reviews_list",
        summary="Monday reviews (周例会)",
        description=(
            "The weekly reviews of the outlets in scope, a page at a time (`cursor`, ordered by id): for an "
            "outlet that missed weekly targets, the targets it missed, what happened, why, the remedy, the "
            "support it needs and from whom (filled in by its outlet head: `submitted`), and its unit manager's "
            "answer (`answered`). Filters: `week`, `status`, `unit`, `under`. A unit outside the scope answers "
            "404. Read only over the API."
        ),
        responses={
            200: OpenApiResponse(
                WeeklyReviewSerializer(many=True), examples=[OpenApiExample("A submitted review", _REVIEW_EXAMPLE)]
            ),
            400: _BAD_REQUEST,
            404: _NOT_FOUND,
        },
        tags=["alerts"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PlanFilter(_ScopedFilterSet):
    period = PeriodFilter(
        method="filter_period",
        help_text="The plan's period: a month, quarter or year (2026-11, 2026-Q4, 2026).",
        kinds=PLAN_PERIOD_KINDS,
        error_messages=dict.fromkeys(
            ("invalid", "invalid_kind"), "“%(value)s” is not a month, quarter or year; e.g. 2026-11, 2026-Q4, 2026"
        ),
    )

    class Meta:
        model = ImprovementPlan
        fields = ["period", "unit", "under"]

    def filter_period(self, queryset, name, value):
        return queryset.filter(period=value.code)


class PlanListView(ScopedListView):
    model = ImprovementPlan
    serializer_class = ImprovementPlanSerializer
    filterset_class = PlanFilter

    def scoped_queryset(self, scope):
        return selectors.plans_visible(scope=scope)

    @extend_schema(
        operation_id="plans_list",
        summary="Improvement plans (一点一策) with their measures",
        description=(
            "One plan per outlet and period in scope, a page at a time (`cursor`, ordered by id), each with its "
            "measures (owner as a username, due date, progress 0–100) and `progress`, the average of its "
            "measures'. Filters: `period`, `unit`, `under`. A unit outside the scope answers 404. Read only over "
            "the API."
        ),
        responses={
            200: OpenApiResponse(
                ImprovementPlanSerializer(many=True), examples=[OpenApiExample("A November plan", _PLAN_EXAMPLE)]
            ),
            400: _BAD_REQUEST,
            404: _NOT_FOUND,
        },
        tags=["alerts"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("alerts/", AlertListView.as_view(), name="api-alerts"),
    path("alerts/<int:alert_id>/", AlertDetailView.as_view(), name="api-alert"),
    path("alerts/<int:alert_id>/transitions/", AlertTransitionView.as_view(), name="api-alert-transitions"),
    path("reviews/", ReviewListView.as_view(), name="api-reviews"),
    path("plans/", PlanListView.as_view(), name="api-plans"),
]
