"""The complaints register over the REST API (issue 19):

    GET  /api/v1/complaints/                 complaints in scope (filters unit, under, channel, validity,
                                             since, until, overdue)
    POST /api/v1/complaints/                 record one (a signed-in outlet head, unit manager or HQ)
    POST /api/v1/complaints/{id}/reply/      the reply
    POST /api/v1/complaints/{id}/review/     valid or not (the unit manager above the outlet, or HQ)

Writes go through complaints.services, as the pages' do: same checks, nothing written on any error.
Tokens read (a reply and a review are a person's word). Names and phones are masked unless the reader may
read personal data.
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.models import OrgUnit
from complaints.models import Channel, Complaint, Validity
from complaints.selectors import complaint_get_or_404, complaints_visible
from complaints.serializers import (
    ComplaintCreateSerializer,
    ComplaintReplySerializer,
    ComplaintReviewSerializer,
    ComplaintSerializer,
)
from complaints.services import complaint_create, complaint_reply, complaint_review
from lib.api import ApiErrorsSerializer, DepthLimitedJSONParser
from staff.api_scope import (
    BAD_LIST_QUERY,
    NO_SUCH_UNIT,
    ScopedFilterMethods,
    ScopedListView,
    ScopedViewMixin,
    refuse_tokens,
)
from staff.models import StaffMember

TAGS = ["complaints"]
_EXAMPLE = {
    "id": 12,
    "unit": "GZ0101",
    "channel": "hotline",
    "category": "waiting",
    "received_on": "2026-12-01",
    "complainant_name": "陈*",
    "complainant_phone": "138****5678",
    "summary": "午间只开一个窗口，排队四十分钟",
    "staff": None,
    "staff_name": "",
    "reply_due": "2026-12-03",
    "reply": "",
    "replied_on": None,
    "overdue": False,
    "validity": "pending",
    "review_note": "",
    "reviewed_at": None,
}
_BAD = OpenApiResponse(ApiErrorsSerializer, description="Every problem, by field; nothing is written.")


_PEOPLE_ONLY = "complaints are recorded, replied to and reviewed by people: sign in (tokens read)"


class ComplaintFilter(ScopedFilterMethods, django_filters.FilterSet):
    unit = django_filters.CharFilter(method="filter_unit", help_text="Complaints of one outlet, by code.")
    under = django_filters.CharFilter(method="filter_under", help_text="Complaints of the outlets of a subtree.")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    validity = django_filters.ChoiceFilter(choices=Validity.choices)
    since = django_filters.DateFilter(field_name="received_on", lookup_expr="gte", help_text="Received from this day.")
    until = django_filters.DateFilter(field_name="received_on", lookup_expr="lte", help_text="Received up to this day.")
    overdue = django_filters.BooleanFilter(method="filter_overdue", help_text="Only those whose reply is overdue.")

    class Meta:
        model = Complaint
        fields = ["unit", "under", "channel", "validity", "since", "until", "overdue"]

    def filter_overdue(self, queryset, name, value):
        today = timezone.localdate()
        if value:
            return queryset.filter(replied_on=None, reply_due__lt=today)
        return queryset.exclude(replied_on=None, reply_due__lt=today)


class ComplaintListView(ScopedListView):
    model = Complaint
    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilter
    parser_classes = [DepthLimitedJSONParser]

    def scoped_queryset(self, scope):
        return complaints_visible(scope=scope).order_by("pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(
        operation_id="complaints_list",
        summary="Complaints in scope",
        description="The complaints register of the outlets of your subtree (a staff member: those naming them).",
        responses={
            200: OpenApiResponse(
                ComplaintSerializer(many=True), examples=[OpenApiExample("A hotline complaint", _EXAMPLE)]
            ),
            400: BAD_LIST_QUERY,
            404: NO_SUCH_UNIT,
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="complaints_create",
        summary="Record a complaint",
        description="Records a complaint of an outlet, as the register's page does. The reply deadline defaults to "
        "the channel's (意见簿 3 days, hotline and online 2, regulator 5). Its day becomes the register's: the "
        "day's `complaints` fact is the register's count of valid complaints from then on.",
        request=ComplaintCreateSerializer,
        responses={201: ComplaintSerializer, 400: _BAD, 403: OpenApiResponse(ApiErrorsSerializer)},
        tags=TAGS,
    )
    def post(self, request, *args, **kwargs):
        refuse_tokens(request, _PEOPLE_ONLY)
        incoming = ComplaintCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        unit = request.scope.units(OrgUnit.objects.filter(code=data["unit"])).first()
        errors = {}
        if unit is None:
            errors["unit"] = [f"unit '{data['unit']}' is not known"]
        staff = None
        if data.get("staff"):
            staff = request.scope.staff(StaffMember.objects.filter(code=data["staff"])).first()
            if staff is None:
                errors["staff"] = [f"staff member '{data['staff']}' is not known"]
        if errors:
            raise ValidationError(errors)
        complaint = complaint_create(
            scope=request.scope,
            user=request.user,
            unit=unit,
            channel=data["channel"],
            category=data["category"],
            received_on=data["received_on"],
            summary=data["summary"],
            complainant_name=data.get("complainant_name", ""),
            complainant_phone=data.get("complainant_phone", ""),
            staff=staff,
            reply_due=data.get("reply_due"),
        )
        return Response(
            ComplaintSerializer(complaint, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


class _ComplaintAction(ScopedViewMixin, APIView):
    parser_classes = [DepthLimitedJSONParser]

    def _complaint(self, complaint_id: int) -> Complaint:
        return complaint_get_or_404(scope=self.request.scope, complaint_id=complaint_id)

    def _answer(self, complaint: Complaint) -> Response:
        context = {"scope": self.request.scope, "today": timezone.localdate()}
        return Response(ComplaintSerializer(complaint, context=context).data)


class ComplaintReplyView(_ComplaintAction):
    @extend_schema(
        operation_id="complaints_reply",
        summary="Reply to a complaint",
        description="Writes (or corrects) the reply; the first reply's day is the reply day, which clears the "
        "outlet's overdue alert at the next check.",
        request=ComplaintReplySerializer,
        responses={
            200: ComplaintSerializer,
            400: _BAD,
            403: OpenApiResponse(ApiErrorsSerializer),
            404: OpenApiResponse(ApiErrorsSerializer),
        },
        tags=TAGS,
    )
    def post(self, request, complaint_id: int):
        refuse_tokens(request, _PEOPLE_ONLY)
        incoming = ComplaintReplySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        complaint = self._complaint(complaint_id)
        complaint_reply(
            scope=request.scope, user=request.user, complaint=complaint, reply=incoming.validated_data["reply"]
        )
        return self._answer(complaint)


class ComplaintReviewView(_ComplaintAction):
    @extend_schema(
        operation_id="complaints_review",
        summary="Review a complaint (valid or not)",
        description="The unit manager above the outlet or HQ decides; a valid complaint counts in the outlet's "
        "`complaints` fact of the day it was received.",
        request=ComplaintReviewSerializer,
        responses={
            200: ComplaintSerializer,
            400: _BAD,
            403: OpenApiResponse(ApiErrorsSerializer),
            404: OpenApiResponse(ApiErrorsSerializer),
        },
        tags=TAGS,
    )
    def post(self, request, complaint_id: int):
        refuse_tokens(request, _PEOPLE_ONLY)
        incoming = ComplaintReviewSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        complaint = self._complaint(complaint_id)
        data = incoming.validated_data
        complaint_review(
            scope=request.scope,
            user=request.user,
            complaint=complaint,
            validity=data["validity"],
            note=data.get("note", ""),
        )
        return self._answer(complaint)


urlpatterns = [
    path("complaints/", ComplaintListView.as_view(), name="complaint-list"),
    path("complaints/<int:complaint_id>/reply/", ComplaintReplyView.as_view(), name="complaint-reply"),
    path("complaints/<int:complaint_id>/review/", ComplaintReviewView.as_view(), name="complaint-review"),
]
