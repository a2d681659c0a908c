"""Meetings over the REST API (issue 17):

    GET   /api/v1/meetings/                 meetings in scope (filters unit, under, kind, date, date_from, date_to)
    GET   /api/v1/meetings/{id}/            one meeting with its goals (and their actuals) and action items
    GET   /api/v1/meeting-goals/            the day's goals in scope, with the actual and met once published
    POST  /api/v1/meeting-goals/            set (or clear) goals of an outlet's morning meeting, all or nothing
    GET   /api/v1/action-items/             action items in scope (filters unit, under, status, overdue, owner, …)
    POST  /api/v1/action-items/             an action item of a unit's Monday meeting
    PATCH /api/v1/action-items/{id}/        mark it done, or open again

Tokens read; people write. A goal's every change is audited with who made it, and a meeting is held by a
person: the writes are for signed-in users of the web application (session and CSRF token), under the
same rules as the pages (staff.access: may_run_meeting, may_settle_action_item); an API token answers 403
however it is scoped. Everything is read with the scope of the token or user; a unit, meeting or item
outside it answers 404, as an unknown one does. Names of staff are masked unless the reader may read
personal data.
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kpi.models import Metric
from lib.api import ApiErrorsSerializer
from lib.api_filters import IdFilter, TrueFalseFilter
from lib.ids import is_id
from meetings import selectors, services
from meetings.models import ActionItem, ActionStatus, Attendance, Goal, Meeting, MeetingKind
from meetings.serializers import (
    ActionItemSerializer,
    ActionItemSettleSerializer,
    ActionItemWriteSerializer,
    GoalSerializer,
    GoalsWriteSerializer,
    MeetingDetailSerializer,
    MeetingSerializer,
)
from staff.access import get_unit_or_404, scope_for_request
from staff.api_scope import BAD_LIST_QUERY, ScopedFilterMethods, ScopedListView, by_token, refuse_tokens
from staff.models import StaffMember, User

TAGS = ["meetings"]
_NOT_FOUND = OpenApiResponse(
    ApiErrorsSerializer, description="No such meeting, item or unit in your scope (an unknown one answers the same)."
)
_FORBIDDEN = OpenApiResponse(
    ApiErrorsSerializer,
    description="An API token (tokens read; meetings are held by signed-in people, whom the audit names), or a "
    "reader who may not hold this unit's meetings (an auditor, a staff member, another outlet's head).",
    examples=[
        OpenApiExample(
            "A token",
            {
                "errors": [
                    {
                        "field": "",
                        "message": "API tokens read meetings; goals and action items are written by a signed-in "
                        "person, whom the audit records.",
                        "row": None,
                    }
                ]
            },
        )
    ],
)

_GOAL_EXAMPLE = {
    "id": 31,
    "meeting": 12,
    "unit": "GZ0101",
    "date": "2026-11-24",
    "staff": "S1001",
    "name": "黄*娟",
    "metric": "mobile_banking_signups",
    "value": "3.0000",
    "actual": "3.0000",
    "met": True,
    "set_by": "lin.xiaoyan",
    "set_at": "2026-11-24T08:35:12+08:00",
}
_ITEM_EXAMPLE = {
    "id": 7,
    "meeting": 15,
    "unit": "GZ01",
    "text": "天河路网点高峰时段增开弹性窗口，平均等待压到10分钟以内",
    "owner": "lin.xiaoyan",
    "due": "2026-11-27",
    "status": "open",
    "overdue": False,
    "link_kind": "alert",
    "link_id": 42,
    "closed_with_link": False,
    "done_at": None,
    "done_by": None,
    "created_at": "2026-11-23T09:40:00+08:00",
}
_MEETING_EXAMPLE = {
    "id": 12,
    "unit": "GZ0101",
    "kind": "morning",
    "date": "2026-11-24",
    "held_by": "lin.xiaoyan",
    "goal_metrics": ["mobile_banking_signups", "counter_referrals"],
    "attendance": [{"staff": "S1001", "name": "黄*娟", "status": "present"}],
    "topics": [{"kind": "script", "text": "手机银行营销话术：三句话讲清好处"}],
    "decisions": "今日主推手机银行，大堂经理每小时巡检一次",
}


_PEOPLE_ONLY = (
    "API tokens read meetings; goals and action items are written by a signed-in person, whom the audit records."
)


class _ScopedFilterSet(ScopedFilterMethods, django_filters.FilterSet):
    unit = django_filters.CharFilter(method="filter_unit", help_text="One unit's rows, by code (GZ0101).")
    under = django_filters.CharFilter(
        method="filter_under", help_text="The rows of a unit's subtree, the unit included, by code (GZ01)."
    )
    unit_field = "unit"

    def filter_unit(self, queryset, name, value):
        return queryset.filter(**{self.unit_field: get_unit_or_404(self.request.scope, value)})

    def filter_under(self, queryset, name, value):
        unit = get_unit_or_404(self.request.scope, value)
        return queryset.filter(**{f"{self.unit_field}__path__startswith": unit.path})


class MeetingFilter(_ScopedFilterSet):
    kind = django_filters.ChoiceFilter(choices=MeetingKind.choices, help_text="morning (晨会) or weekly (周例会).")
    date = django_filters.DateFilter(help_text="The meeting's day, YYYY-MM-DD (a Monday meeting's Monday).")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", help_text="First day, YYYY-MM-DD.")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", help_text="Last day, YYYY-MM-DD.")

    class Meta:
        model = Meeting
        fields = ["unit", "under", "kind", "date", "date_from", "date_to"]


def _meetings(scope):
    return selectors.meetings_visible(scope=scope).prefetch_related(
        "goal_metrics", Prefetch("attendance", queryset=Attendance.objects.select_related("staff")), "topics"
    )


class MeetingListView(ScopedListView):
    model = Meeting
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter

    def scoped_queryset(self, scope):
        return _meetings(scope)

    @extend_schema(
        operation_id="meetings_list",
        summary="Meetings (晨会, 周例会) in scope",
        description=(
            "The meetings of the units in the token's (or user's) scope, a page at a time (`cursor`, `page_size` "
            "up to 1000, ordered by id): the morning meetings (晨会) of outlets and the Monday meetings (周例会), "
            "each with who held it, the metrics its goals are set on, attendance (names masked unless you may "
            "read personal data), topics (话术, 产品, 案例) and decisions. Filters: `unit`, `under`, `kind`, "
            "`date`, `date_from`, `date_to`. A unit outside the scope answers 404."
        ),
        responses={
            200: OpenApiResponse(
                MeetingSerializer(many=True), examples=[OpenApiExample("A morning meeting", _MEETING_EXAMPLE)]
            ),
            400: BAD_LIST_QUERY,
            404: _NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MeetingDetailView(APIView):
    @extend_schema(
        operation_id="meetings_retrieve",
        summary="A meeting with its goals and action items",
        description=(
            "One meeting as in the list, with `goals` (each person's goal for the day, with the actual and `met` "
            "once the day is published by the rollup of the morning after) and `action_items`. A meeting "
            "outside the scope answers 404."
        ),
        responses={200: MeetingDetailSerializer, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, meeting_id: int) -> Response:
        scope = scope_for_request(request)
        if not is_id(meeting_id):
            raise Http404("No such meeting.")
        meeting = _meetings(scope).filter(pk=meeting_id).first()
        if meeting is None:
            raise Http404("No such meeting.")
        meeting.goal_rows = list(
            selectors.goals_with_actuals(
                meeting.goals.select_related("meeting__unit", "staff", "metric", "set_by")
            ).order_by("staff__code", "metric__sort_order", "pk")
        )
        meeting.item_rows = list(
            selectors.action_items_visible(scope=scope).filter(meeting=meeting).order_by("due", "pk")
        )
        return Response(MeetingDetailSerializer(meeting, context={"scope": scope}).data)


# -- goals ------------------------------------------------------------------------------------------------------


class GoalFilter(_ScopedFilterSet):
    unit_field = "meeting__unit"
    staff = django_filters.CharFilter(method="filter_staff", help_text="One staff member's goals, by code.")
    metric = django_filters.CharFilter(field_name="metric__code", help_text="One metric's goals, by code.")
    date = django_filters.DateFilter(field_name="meeting__date", help_text="The day, YYYY-MM-DD.")
    date_from = django_filters.DateFilter(
        field_name="meeting__date", lookup_expr="gte", help_text="First day, YYYY-MM-DD."
    )
    date_to = django_filters.DateFilter(
        field_name="meeting__date", lookup_expr="lte", help_text="Last day, YYYY-MM-DD."
    )

    class Meta:
        model = Goal
        fields = ["unit", "under", "staff", "metric", "date", "date_from", "date_to"]


class GoalListView(ScopedListView):
    model = Goal
    serializer_class = GoalSerializer
    filterset_class = GoalFilter

    def scoped_queryset(self, scope):
        return selectors.goals_visible(scope=scope)

    @extend_schema(
        operation_id="meeting_goals_list",
        summary="The day's goals set at the morning meetings (晨会)",
        description=(
            "Each person's goal for a day on a metric, set at their outlet's morning meeting, a page at a time "
            "(`cursor`, ordered by id), with `actual` (their day scorecard's figure once the day is published, "
            "null before) and `met`. A staff login reads its own goals. Filters: `unit`, `under`, `staff`, "
            "`metric`, `date`, `date_from`, `date_to`. A unit or staff member outside the scope answers 404."
        ),
        responses={
            200: OpenApiResponse(GoalSerializer(many=True), examples=[OpenApiExample("A goal met", _GOAL_EXAMPLE)]),
            400: BAD_LIST_QUERY,
            404: _NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="meeting_goals_set",
        summary="Set the day's goals of an outlet's morning meeting",
        description=(
            "For signed-in users who may hold the outlet's meetings (HQ, its unit manager, its outlet head), on "
            "the meeting's day (or the day before, to prepare it). Each goal names a person who works at the "
            "outlet that day, a metric kept for staff that is an amount brought in (a flow or a net change) and "
            "a value in its unit (whole for counts; null clears the goal). All or nothing: one wrong goal writes "
            "none, and the answer names each one by its row. Every change is audited (who, when, old → new). "
            "Answers the meeting's goals as they are now. API tokens answer 403."
        ),
        request=GoalsWriteSerializer,
        examples=[
            OpenApiExample(
                "Two people's goals",
                {
                    "unit": "GZ0101",
                    "date": "2026-11-24",
                    "goals": [
                        {"staff": "S1001", "metric": "mobile_banking_signups", "value": "3"},
                        {"staff": "S1002", "metric": "lobby_referrals", "value": "5"},
                    ],
                },
                request_only=True,
            )
        ],
        responses={
            200: OpenApiResponse(GoalSerializer(many=True), description="The meeting's goals, as they are now."),
            400: OpenApiResponse(
                ApiErrorsSerializer,
                description="A wrong field, an unknown staff or metric code, a person who does not work there that "
                "day, a metric that cannot carry a day's goal, a figure that is not one, a day that is over.",
                examples=[
                    OpenApiExample(
                        "Half a customer",
                        {
                            "errors": [
                                {
                                    "field": "goals.value",
                                    "message": "手机银行签约 is counted in whole 户: give a whole number.",
                                    "row": 1,
                                }
                            ]
                        },
                    )
                ],
            ),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
        tags=TAGS,
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        refuse_tokens(request, _PEOPLE_ONLY)
        scope = request.scope
        body = GoalsWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        unit = get_unit_or_404(scope, data["unit"])
        rows = data["goals"]
        staff = StaffMember.objects.in_bulk([row["staff"] for row in rows], field_name="code")
        metrics = Metric.objects.in_bulk([row["metric"] for row in rows], field_name="code")
        errors, goals = [], []
        for index, row in enumerate(rows):
            staff_member, metric = staff.get(row["staff"]), metrics.get(row["metric"])
            if staff_member is None:
                errors.append({"field": "goals.staff", "message": f"staff '{row['staff']}' is not known", "row": index})
            if metric is None:
                errors.append(
                    {
                        "field": "goals.metric",
                        "message": f"metric '{row['metric']}' is not in the catalog",
                        "row": index,
                    }
                )
            if staff_member and metric:
                goals.append(services.GoalInput(staff=staff_member, metric=metric, value=row["value"]))
        if errors:
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        try:
            with transaction.atomic():
                meeting = services.meeting_get_or_create(
                    scope=scope, by=request.user, unit=unit, kind=MeetingKind.MORNING, day=data["date"]
                )
                services.goals_set(scope=scope, by=request.user, meeting=meeting, goals=goals, source="api")
        except DjangoValidationError as refused:
            return Response({"errors": _goal_errors(refused, goals)}, status=status.HTTP_400_BAD_REQUEST)
        answer = selectors.goals_visible(scope=scope).filter(meeting=meeting).order_by("staff__code", "pk")
        return Response(GoalSerializer(answer, many=True, context={"scope": scope}).data)


def _goal_errors(refused, goals: list) -> list[dict]:
    """A service's refusal in the API's format: a goal's problem under `goals` with its row."""
    rows = {f"goal-{goal.staff.code}-{goal.metric.code}": index for index, goal in enumerate(goals)}
    found = []
    details = refused.message_dict if hasattr(refused, "error_dict") else {"": refused.messages}
    for name, messages in details.items():
        for message in messages:
            if name in rows:
                found.append({"field": "goals", "message": message, "row": rows[name]})
            else:
                found.append({"field": "" if name == "__all__" else name, "message": message, "row": None})
    return found


# -- action items -------------------------------------------------------------------------------------------------


class ActionItemFilter(_ScopedFilterSet):
    unit_field = "meeting__unit"
    status = django_filters.ChoiceFilter(choices=ActionStatus.choices, help_text="open or done.")
    overdue = TrueFalseFilter(
        method="filter_overdue", help_text="true: open and past their due day; false: the others."
    )
    owner = django_filters.CharFilter(field_name="owner__username", help_text="The owner's username.")
    link_kind = django_filters.CharFilter(help_text="alert, improvement_plan or target.")
    link_id = IdFilter(help_text="The linked object's id (with link_kind).")

    class Meta:
        model = ActionItem
        fields = ["unit", "under", "status", "overdue", "owner", "link_kind", "link_id"]

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue=value == "true")

    def filter_queryset(self, queryset):
        link_id = self.form.cleaned_data.get("link_id")
        if link_id is not None and not is_id(link_id):
            raise ValidationError({"link_id": [f"“{link_id}” is no id; give a whole number from 1"]})
        return super().filter_queryset(queryset)


class ActionItemListView(ScopedListView):
    model = ActionItem
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter

    def scoped_queryset(self, scope):
        user = None if by_token(self.request) else self.request.user
        return selectors.action_items_visible(scope=scope, user=user)

    @extend_schema(
        operation_id="action_items_list",
        summary="Action items of the meetings (督办事项)",
        description=(
            "What the meetings in scope agreed someone does by a day, a page at a time (`cursor`, ordered by id): "
            "text, owner (username), due day, status, `overdue`, and what it is linked to (`link_kind`: alert, "
            "improvement_plan (一点一策) or target, and `link_id`). An item linked to an alert closes when the "
            "alert closes (`closed_with_link`). A signed-in user also reads the items they own wherever their "
            "meeting was. Filters: `unit`, `under`, `status`, `overdue`, `owner`, `link_kind`, `link_id`."
        ),
        responses={
            200: OpenApiResponse(
                ActionItemSerializer(many=True), examples=[OpenApiExample("Linked to an alert", _ITEM_EXAMPLE)]
            ),
            400: BAD_LIST_QUERY,
            404: _NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="action_items_create",
        summary="Add an action item to a unit's Monday meeting",
        description=(
            "For signed-in users who may hold the unit's meetings, during the meeting's week. The owner is "
            "someone who can act in the unit (HQ, the heads of the unit and of the units above and below it, its "
            "staff with a login); the due day is not before the meeting. `link_kind` and `link_id` name what it "
            "is about: an alert, an improvement plan (一点一策) or a target of the unit's subtree. Answers 201 with "
            "the item. API tokens answer 403."
        ),
        request=ActionItemWriteSerializer,
        examples=[
            OpenApiExample(
                "Linked to an alert",
                {
                    "unit": "GZ01",
                    "week": "2026-11-23",
                    "text": "天河路网点高峰时段增开弹性窗口",
                    "owner": "lin.xiaoyan",
                    "due": "2026-11-27",
                    "link_kind": "alert",
                    "link_id": 42,
                },
                request_only=True,
            )
        ],
        responses={
            201: OpenApiResponse(ActionItemSerializer, examples=[OpenApiExample("Created", _ITEM_EXAMPLE)]),
            400: OpenApiResponse(
                ApiErrorsSerializer,
                description="A wrong field, an owner who cannot act in the unit, a due day before the meeting, a "
                "link to nothing in the unit's subtree, a week that is over.",
            ),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
        tags=TAGS,
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        refuse_tokens(request, _PEOPLE_ONLY)
        scope = request.scope
        body = ActionItemWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        unit = get_unit_or_404(scope, data["unit"])
        owner = User.objects.filter(username=data["owner"]).first()
        if owner is None:
            raise ValidationError({"owner": [f"“{data['owner']}” is not a login"]})
        with transaction.atomic():
            meeting = services.meeting_get_or_create(
                scope=scope, by=request.user, unit=unit, kind=MeetingKind.WEEKLY, day=data["week"]
            )
            item = services.action_item_add(
                scope=scope,
                by=request.user,
                meeting=meeting,
                text=data["text"],
                owner=owner,
                due=data["due"],
                link_kind_code=data.get("link_kind") or "",
                link_id=data.get("link_id"),
            )
        answer = selectors.action_items_visible(scope=scope, user=request.user).get(pk=item.pk)
        return Response(ActionItemSerializer(answer).data, status=status.HTTP_201_CREATED)


class ActionItemDetailView(APIView):
    @extend_schema(
        operation_id="action_items_retrieve",
        summary="An action item",
        description="One action item as in the list; 404 outside the scope (and not one's own).",
        responses={200: ActionItemSerializer, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, item_id: int) -> Response:
        scope = scope_for_request(request)
        user = None if by_token(request) else request.user
        item = selectors.action_item_get_or_404(scope=scope, item_id=item_id, user=user)
        return Response(ActionItemSerializer(item).data)

    @extend_schema(
        operation_id="action_items_settle",
        summary="Mark an action item done, or open it again",
        description=(
            "For signed-in users who may hold the meetings of the item's unit, and for its owner (who may sit "
            "outside that scope: an outlet head with an item of the sub-branch's meeting). `status`: done or "
            "open. API tokens answer 403."
        ),
        request=ActionItemSettleSerializer,
        examples=[OpenApiExample("Done", {"status": "done"}, request_only=True)],
        responses={
            200: ActionItemSerializer,
            400: OpenApiResponse(ApiErrorsSerializer),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
        tags=TAGS,
    )
    def patch(self, request: Request, item_id: int) -> Response:
        refuse_tokens(request, _PEOPLE_ONLY)
        scope = scope_for_request(request)
        item = selectors.action_item_get_or_404(scope=scope, item_id=item_id, user=request.user)
        body = ActionItemSettleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.action_item_settle(
            scope=scope, by=request.user, item=item, done=body.validated_data["status"] == ActionStatus.DONE
        )
        answer = selectors.action_items_visible(scope=scope, user=request.user, today=timezone.localdate())
        return Response(ActionItemSerializer(answer.get(pk=item.pk)).data)


urlpatterns = [
    path("meetings/", MeetingListView.as_view(), name="api-meetings"),
    path("meetings/<int:meeting_id>/", MeetingDetailView.as_view(), name="api-meeting"),
    path("meeting-goals/", GoalListView.as_view(), name="api-meeting-goals"),
    path("action-items/", ActionItemListView.as_view(), name="api-action-items"),
    path("action-items/<int:item_id>/", ActionItemDetailView.as_view(), name="api-action-item"),
]
