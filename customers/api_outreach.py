"""Territories, prospects and referrals over the REST API (issue 18): /api/v1/territories/,
/api/v1/prospects/, /api/v1/referrals/ and /api/v1/referrals/{id}/outcome/.

Reads follow the reader's scope (customers.outreach); names, phones and identity numbers are masked
unless the token has the `personal` scope or the user may read personal data. Writes go through the
services (customers.services.*), which check who may do them (staff.access) and refuse bad input with
a 400 naming the field, writing nothing. Prospects and referrals are recorded by people: a token may
read them but not record them (403); territories are edited by HQ and the outlet head.
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import outreach
from customers.models import (
    Customer,
    Interest,
    Prospect,
    ProspectStatus,
    Referral,
    ReferralStatus,
    Territory,
    TerritoryKind,
)
from customers.serializers import (
    ProspectSerializer,
    ProspectWriteSerializer,
    ReferralOutcomeSerializer,
    ReferralSerializer,
    ReferralWriteSerializer,
    TerritorySerializer,
    TerritoryWriteSerializer,
)
from customers.services.prospects import prospect_create
from customers.services.referrals import referral_advance, referral_create
from customers.services.territories import territory_save
from lib.api import ApiErrorsSerializer
from lib.api_filters import IdFilter
from staff.access import get_unit_or_404, get_workplace_or_404
from staff.api_scope import ScopedListView, ScopedViewMixin, refuse_tokens
from staff.models import StaffMember

TAGS = ["outreach"]
_BAD = OpenApiResponse(ApiErrorsSerializer, description="A bad field or filter value; nothing is written.")
_NOT_FOUND = OpenApiResponse(ApiErrorsSerializer, description="No such outlet or record in your scope.")
_FORBIDDEN = OpenApiResponse(ApiErrorsSerializer, description="A token, or someone who may not do this here.")


_PEOPLE_ONLY = "recorded by people: sign in (tokens may not)"


def _staff_member(code: str, field: str) -> StaffMember | None:
    """A staff member named in a write, or a 400: the services then check they work at the outlet (an
    unknown code and one of another outlet read the same to the writer)."""
    if not code:
        return None
    found = StaffMember.objects.filter(code=code).first()
    if found is None:
        raise ValidationError({field: [f"staff member '{code}' is not known"]})
    return found


class _OutletFilter(django_filters.FilterSet):
    outlet = django_filters.CharFilter(method="filter_outlet", help_text="An outlet's code in your scope.")

    def filter_outlet(self, queryset, name, value):
        return queryset.filter(outlet=get_unit_or_404(self.request.scope, value))


class TerritoryFilter(_OutletFilter):
    kind = django_filters.ChoiceFilter(choices=TerritoryKind.choices, help_text="The kind of territory.")
    active = django_filters.BooleanFilter(help_text="Still worked.")

    class Meta:
        model = Territory
        fields = ["outlet", "kind", "active"]


class ProspectFilter(_OutletFilter):
    status = django_filters.ChoiceFilter(choices=ProspectStatus.choices, help_text="open or converted.")
    interest = django_filters.ChoiceFilter(choices=Interest.choices, help_text="The product of interest.")
    territory = IdFilter(field_name="territory_id", help_text="A territory's number.")


class ReferralFilter(_OutletFilter):
    status = django_filters.ChoiceFilter(choices=ReferralStatus.choices, help_text="The referral's state.")
    since = django_filters.DateFilter(field_name="day", lookup_expr="gte", help_text="Referred on or after.")
    until = django_filters.DateFilter(field_name="day", lookup_expr="lte", help_text="Referred on or before.")


class TerritoryListView(ScopedListView):
    model = Territory
    serializer_class = TerritorySerializer
    filterset_class = TerritoryFilter

    def scoped_queryset(self, scope):
        return outreach.territories_with_counts(scope).order_by("pk")

    @extend_schema(
        operation_id="territories_list",
        summary="Territories (网格) in your scope",
        description="The territories of the outlets of your subtree with their owners and their counts of "
        "customers, open prospects and prospects converted. A staff login sees the territories they own.",
        responses={200: TerritorySerializer(many=True), 400: _BAD, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="territories_create",
        summary="Add a territory",
        description="HQ or the outlet head adds a territory; its owner must be assigned to the outlet today "
        "(定员定岗定责), else 400 says why.",
        request=TerritoryWriteSerializer,
        examples=[
            OpenApiExample(
                "A community",
                {"outlet": "GZ0101", "kind": "community", "name": "幸福社区", "owner": "S1001"},
                request_only=True,
            )
        ],
        responses={201: TerritorySerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def post(self, request, *args, **kwargs):
        incoming = TerritoryWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        outlet = get_workplace_or_404(request.scope, data["outlet"], on=timezone.localdate())
        territory = territory_save(
            scope=request.scope,
            outlet=outlet,
            kind=data["kind"],
            name=data["name"],
            owner=_staff_member(data["owner"], "owner"),
            active=data["active"],
        )
        territory = outreach.territories_with_counts(request.scope).get(pk=territory.pk)
        return Response(
            TerritorySerializer(territory, context={"scope": request.scope}).data, status=status.HTTP_201_CREATED
        )


class ProspectListView(ScopedListView):
    model = Prospect
    serializer_class = ProspectSerializer
    filterset_class = ProspectFilter

    def scoped_queryset(self, scope):
        return outreach.prospects_visible(scope).order_by("pk")

    @extend_schema(
        operation_id="prospects_list",
        summary="Prospects (潜在客户) in your scope",
        description="The prospects taken down at the outlets of your subtree (a staff login: their own and "
        "those of their territories). Name, phone and identity number are masked unless you may read "
        "personal data.",
        responses={200: ProspectSerializer(many=True), 400: _BAD, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="prospects_create",
        summary="Take down a prospect (客户信息表)",
        description="A member of the outlet's staff (or its heads) takes down a prospect. A prospect whose "
        "identity number is already a customer's is linked at once. Tokens may not (403).",
        request=ProspectWriteSerializer,
        examples=[
            OpenApiExample(
                "At the market",
                {"outlet": "GZ0101", "name": "陈大文", "phone": "13812345678", "interest": "wealth", "territory": 1},
                request_only=True,
            )
        ],
        responses={201: ProspectSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def post(self, request, *args, **kwargs):
        refuse_tokens(request, _PEOPLE_ONLY)
        incoming = ProspectWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        outlet = get_workplace_or_404(request.scope, data["outlet"], on=timezone.localdate())
        territory = None
        if data.get("territory"):
            territory = Territory.objects.filter(pk=data["territory"], outlet=outlet).first()
            if territory is None:
                raise ValidationError({"territory": ["not a territory of this outlet"]})
        prospect = prospect_create(
            scope=request.scope,
            user=request.user,
            outlet=outlet,
            name=data["name"],
            interest=data["interest"],
            phone=data.get("phone", ""),
            id_number=data.get("id_number", ""),
            territory=territory,
            place=data.get("place", ""),
            note=data.get("note", ""),
        )
        return Response(
            ProspectSerializer(prospect, context={"scope": request.scope}).data, status=status.HTTP_201_CREATED
        )


class ReferralListView(ScopedListView):
    model = Referral
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter

    def scoped_queryset(self, scope):
        return outreach.referrals_visible(scope).order_by("pk")

    @extend_schema(
        operation_id="referrals_list",
        summary="Referrals (转介) in your scope",
        description="The referrals of the outlets of your subtree (a staff login: those they made or "
        "received), with their outcome. Names are masked unless you may read personal data.",
        responses={200: ReferralSerializer(many=True), 400: _BAD, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="referrals_create",
        summary="Record a referral",
        description="A teller or lobby manager records a referral to a wealth or customer manager of the "
        "outlet (or the outlet head records it for them, naming `referrer`). Tokens may not (403).",
        request=ReferralWriteSerializer,
        examples=[
            OpenApiExample(
                "柜面转介 to the wealth manager",
                {"outlet": "GZ0101", "receiver": "S1002", "product": "wealth"},
                request_only=True,
            )
        ],
        responses={201: ReferralSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def post(self, request, *args, **kwargs):
        refuse_tokens(request, _PEOPLE_ONLY)
        incoming = ReferralWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        outlet = get_workplace_or_404(request.scope, data["outlet"], on=timezone.localdate())
        customer = None
        if data.get("customer"):
            customer = Customer.objects.filter(code=data["customer"], home_outlet=outlet).first()
            if customer is None:
                raise ValidationError({"customer": ["not a customer of this outlet"]})
        referral = referral_create(
            scope=request.scope,
            user=request.user,
            outlet=outlet,
            receiver=_staff_member(data["receiver"], "receiver"),
            referrer=_staff_member(data.get("referrer", ""), "referrer"),
            product=data["product"],
            day=data.get("day"),
            customer=customer,
            note=data.get("note", ""),
        )
        return Response(
            ReferralSerializer(referral, context={"scope": request.scope}).data, status=status.HTTP_201_CREATED
        )


class ReferralOutcomeView(ScopedViewMixin, APIView):
    @extend_schema(
        operation_id="referrals_outcome",
        summary="Move a referral on (跟进, 成交, 未成交)",
        description="The colleague it was referred to, or the outlet head, records a follow-up or the outcome. "
        "An outcome is final; a deal counts in the next referral facts (转介成交, shared by HQ's rule).",
        request=ReferralOutcomeSerializer,
        responses={200: ReferralSerializer, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def post(self, request, referral_id: int):
        refuse_tokens(request, _PEOPLE_ONLY)
        referral = get_object_or_404(outreach.referrals_visible(request.scope), pk=referral_id)
        incoming = ReferralOutcomeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        referral = referral_advance(
            scope=request.scope,
            user=request.user,
            referral=referral,
            status=data["status"],
            day=data.get("day"),
            note=data.get("note", ""),
        )
        referral = outreach.referrals_visible(request.scope).get(pk=referral.pk)
        return Response(ReferralSerializer(referral, context={"scope": request.scope}).data)


urlpatterns = [
    path("territories/", TerritoryListView.as_view(), name="api-territories"),
    path("prospects/", ProspectListView.as_view(), name="api-prospects"),
    path("referrals/", ReferralListView.as_view(), name="api-referrals"),
    path("referrals/<int:referral_id>/outcome/", ReferralOutcomeView.as_view(), name="api-referral-outcome"),
]
