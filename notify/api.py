"""The push's delivery records over the REST API (issue 17), read-only:

    GET /api/v1/deliveries/        deliveries (filters: channel, unit, under, status, kind, day)
    GET /api/v1/deliveries/{id}/   one delivery

HQ's operations: a token needs the admin scope and reads the deliveries of the channels of its subtree;
a signed-in user must be an HQ administrator or an auditor (staff.access.Scope.may_read_deliveries).
A channel's secrets are never written out (its webhook masked). A unit outside the scope answers 404,
as an unknown one does.
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions
from rest_framework.exceptions import ValidationError

from lib.api import ApiErrorsSerializer, StableCursorPagination
from lib.api_filters import FilterBackend, IdFilter
from lib.periods import parse_date
from notify.models import Delivery, DeliveryKind, DeliveryStatus
from notify.serializers import DeliverySerializer
from staff.access import get_unit_or_404, scope_for_request
from staff.api_scope import BAD_LIST_QUERY, ScopedViewMixin, by_token
from staff.models import ApiToken

TAGS = ["deliveries"]
_FORBIDDEN = OpenApiResponse(
    ApiErrorsSerializer,
    description="A token without the admin scope, or a signed-in user who is neither an HQ administrator nor "
    "an auditor.",
)
_NOT_FOUND = OpenApiResponse(ApiErrorsSerializer, description="No such delivery or unit in your scope.")
_EXAMPLE = {
    "id": 31,
    "channel": {
        "id": 2,
        "name": "天河支行业务群",
        "unit": "GZ01",
        "kind": "wecom",
        "period": "month",
        "webhook": "••••9f3a",
        "is_active": True,
    },
    "day": "2026-11-15",
    "kind": "daily",
    "status": "sent",
    "attempts": 2,
    "detail": '{"errcode":0,"errmsg":"ok"}',
    "missing": ["GZ0104"],
    "created_at": "2026-11-16T06:05:12+08:00",
    "last_attempt_at": "2026-11-16T08:00:40+08:00",
    "sent_at": "2026-11-16T08:00:40+08:00",
}


class MayReadDeliveries(permissions.BasePermission):
    """Tokens pass here (HasTokenScope asks their admin scope); people must be HQ or auditors."""

    message = "Only HQ administrators and auditors (or a token with the admin scope) read the push's deliveries."

    def has_permission(self, request, view) -> bool:
        # Asked in initial() before ScopedViewMixin puts the scope on the request.
        return by_token(request) or scope_for_request(request).may_read_deliveries


def deliveries_visible(scope):
    """The deliveries of the channels of the units in scope (every one for HQ and auditors)."""
    if not scope.may_read_deliveries:
        return Delivery.objects.none()
    return Delivery.objects.filter(scope.unit_records("channel__unit")).select_related("channel__unit").order_by("pk")


class DeliveryFilter(django_filters.FilterSet):
    channel = IdFilter(field_name="channel_id", help_text="One channel's deliveries, by id.")
    unit = django_filters.CharFilter(method="filter_unit", help_text="The deliveries of one unit's channels, by code.")
    under = django_filters.CharFilter(
        method="filter_under", help_text="The deliveries of the channels of a unit's subtree, by code."
    )
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    kind = django_filters.ChoiceFilter(choices=DeliveryKind.choices)
    day = django_filters.CharFilter(method="filter_day", help_text="The business day, YYYY-MM-DD.")

    class Meta:
        model = Delivery
        fields = ["channel", "unit", "under", "status", "kind", "day"]

    def filter_unit(self, queryset, name, value):
        return queryset.filter(channel__unit=get_unit_or_404(self.request.scope, value))

    def filter_under(self, queryset, name, value):
        return queryset.filter(channel__unit__path__startswith=get_unit_or_404(self.request.scope, value).path)

    def filter_day(self, queryset, name, value):
        try:
            day = parse_date(value)
        except ValueError as problem:
            raise ValidationError({"day": [str(problem)]}) from None
        return queryset.filter(day=day)


class _DeliveryView(ScopedViewMixin):
    serializer_class = DeliverySerializer

    def get_permissions(self):
        return [*super().get_permissions(), MayReadDeliveries()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema asks without a request
            return Delivery.objects.none()
        return deliveries_visible(self.request.scope)


class DeliveryListView(_DeliveryView, generics.ListAPIView):
    filterset_class = DeliveryFilter
    filter_backends = [FilterBackend]
    pagination_class = StableCursorPagination
    required_scopes = {"GET": ApiToken.ScopeName.ADMIN}

    @extend_schema(
        operation_id="deliveries_list",
        summary="The push's deliveries (每日通报推送记录)",
        description=(
            "Every message BankOps sent or tried to send to a channel (a WeCom or DingTalk group robot, an "
            "e-mail list) after a day was published, a page at a time (`cursor`, `page_size` up to 1000, "
            "ordered by id): the day, whether it was the daily summary, a correction (更正: the day's figures "
            "changed after it was sent) or a test, its status (waiting for the day's data, sending, sent, "
            "failed), the attempts, the robot's answer or the reason, and the outlets without data when it "
            "went. A day is sent once per channel; a failure is retried with backoff. Filters: `channel`, "
            "`unit`, `under`, `status`, `kind`, `day`. Needs a token with the admin scope (the channels of "
            "its subtree) or an HQ administrator or auditor signed in."
        ),
        responses={
            200: OpenApiResponse(
                DeliverySerializer(many=True), examples=[OpenApiExample("Sent at the cut-off", _EXAMPLE)]
            ),
            400: BAD_LIST_QUERY,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DeliveryDetailView(_DeliveryView, generics.RetrieveAPIView):
    """One notification delivery: its channel, kind and status (an admin token)."""

    required_scopes = {"GET": ApiToken.ScopeName.ADMIN}
    lookup_url_kwarg = "delivery_id"

    def get_object(self):
        delivery = self.get_queryset().filter(pk=self.kwargs["delivery_id"]).first()
        if delivery is None:
            raise Http404("No such delivery.")
        return delivery

    @extend_schema(
        operation_id="deliveries_retrieve",
        summary="One delivery of the push",
        parameters=[OpenApiParameter("delivery_id", int, OpenApiParameter.PATH, description="The delivery's id.")],
        responses={
            200: OpenApiResponse(DeliverySerializer, examples=[OpenApiExample("Sent at the cut-off", _EXAMPLE)]),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("deliveries/", DeliveryListView.as_view(), name="api-deliveries"),
    path("deliveries/<int:delivery_id>/", DeliveryDetailView.as_view(), name="api-delivery"),
]
