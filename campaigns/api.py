"""Campaigns over the REST API (issue 20):

    GET  /api/v1/campaigns/                         the campaigns in scope (?state=running|coming|finished)
    GET  /api/v1/campaigns/<code>/leaderboard/      outlet and staff leaderboards and the uplift (?unit=)
    GET  /api/v1/campaigns/<code>/gifts/            the gift ledger in scope
    POST /api/v1/campaigns/<code>/gifts/            record a gift (a signed-in person; tokens may not)

Reads need the read scope; a campaign, a unit or a staff member outside it is a 404. Staff and customer
names and customer numbers are masked unless the reader may read personal data. A gift goes through
campaigns.services.gift_record, as the page's does: over the budget or the per-customer limit it is
refused with the figures and nothing is written.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import selectors
from campaigns.models import Campaign, GiftRecord
from campaigns.serializers import CampaignSerializer, GiftCreateSerializer, GiftSerializer, LeaderboardSerializer
from campaigns.services import gift_record
from lib.api import ApiErrorsSerializer
from staff.access import get_staff_or_404, get_unit_or_404
from staff.api_scope import ScopedListView, ScopedViewMixin, refuse_tokens
from staff.models import StaffMember

TAGS = ["campaigns"]
STATES = ("running", "coming", "finished")
_NOT_FOUND = OpenApiResponse(ApiErrorsSerializer, description="No such campaign (or unit) in your scope.")


class CampaignListView(ScopedListView):
    model = Campaign
    serializer_class = CampaignSerializer
    filter_backends = []

    def scoped_queryset(self, scope) -> QuerySet[Campaign]:
        campaigns = selectors.with_lines(selectors.campaigns_visible(scope)).order_by("pk")
        state = self.request.query_params.get("state")
        if state:
            if state not in STATES:
                raise ValidationError({"state": [f"'{state}' is not a state; one of {', '.join(STATES)}"]})
            today = timezone.localdate()
            campaigns = {
                "running": campaigns.filter(start__lte=today, end__gte=today),
                "coming": campaigns.filter(start__gt=today),
                "finished": campaigns.filter(end__lt=today),
            }[state]
        return campaigns

    @extend_schema(
        operation_id="campaigns_list",
        summary="Campaigns in scope",
        description="The campaigns organised by a unit of your subtree or above it (HQ's reach every outlet): "
        "period, units and posts taking part, focus metrics with their bonus rules, gift budget and limit, scripts.",
        parameters=[OpenApiParameter("state", str, enum=list(STATES), description="running, coming or finished.")],
        responses={200: CampaignSerializer(many=True), 400: OpenApiResponse(ApiErrorsSerializer)},
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CampaignLeaderboardView(ScopedViewMixin, APIView):
    @extend_schema(
        operation_id="campaigns_leaderboard",
        summary="A campaign's leaderboards and uplift",
        description="Every outlet of the campaign ranked by its bonus points (from its own facts), with each "
        "focus metric's total, target and attainment; the staff members ranked by theirs, each credited at the "
        "outlet where the fact is (`unit`: only what was credited under that unit); the uplift of each focus "
        "metric against as many days just before the campaign. Kept beside the scorecard's score, never in it.",
        parameters=[OpenApiParameter("unit", str, description="Staff board of one unit's subtree (a code in scope).")],
        responses={200: LeaderboardSerializer, 400: OpenApiResponse(ApiErrorsSerializer), 404: _NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, code: str):
        scope = request.scope
        campaign = selectors.get_campaign_or_404(scope, code)
        unit = get_unit_or_404(scope, request.query_params["unit"]) if request.query_params.get("unit") else None
        data = {
            "campaign": campaign.code,
            "outlets": selectors.outlet_leaderboard(campaign=campaign, scope=scope),
            "staff": selectors.staff_leaderboard(campaign=campaign, scope=scope, unit=unit),
            "uplift": selectors.uplift(campaign=campaign, as_of=selectors.counted_until()),
        }
        return Response(LeaderboardSerializer(data).data)


class CampaignGiftsView(ScopedListView):
    model = GiftRecord
    serializer_class = GiftSerializer
    filter_backends = []

    def scoped_queryset(self, scope):
        campaign = selectors.get_campaign_or_404(scope, self.kwargs["code"])
        return selectors.gifts_visible(scope, campaign).select_related("campaign", "unit", "staff")

    @extend_schema(
        operation_id="campaigns_gifts_list",
        summary="A campaign's gift ledger",
        description="The gifts given at the outlets of your subtree (a staff member: their own), a page at a time.",
        responses={
            200: OpenApiResponse(
                GiftSerializer(many=True),
                examples=[
                    OpenApiExample(
                        "A gift",
                        {
                            "id": 7,
                            "campaign": "jf_gift_2026",
                            "unit": "GZ0101",
                            "staff": "S1001",
                            "staff_name": "黄*娟",
                            "day": "2026-12-01",
                            "customer_code": "****1024",
                            "customer_name": "张*",
                            "item": "食用油礼盒",
                            "value": "58.00",
                            "note": "",
                            "entered_at": "2026-12-01T10:12:00+08:00",
                        },
                    )
                ],
            ),
            400: OpenApiResponse(ApiErrorsSerializer, description="The cursor or the page size is wrong."),
            404: _NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="campaigns_gifts_create",
        summary="Record a gift",
        description="Records a gift given in the campaign, as the gift ledger page does: your own (a staff "
        "member), or one of your outlet's staff (outlet head, unit manager, HQ). Checked against the budget and "
        "the limit per customer: over either, 400 with the figures, nothing written. Tokens may not (403).",
        request=GiftCreateSerializer,
        examples=[
            OpenApiExample(
                "A gift box",
                {"day": "2026-12-01", "customer_code": "C0001024", "item": "食用油礼盒", "value": "58.00"},
                request_only=True,
            )
        ],
        responses={
            201: GiftSerializer,
            400: OpenApiResponse(
                ApiErrorsSerializer,
                description="A bad field, a day outside the campaign, over the budget or the limit per customer.",
            ),
            403: OpenApiResponse(ApiErrorsSerializer, description="A token."),
            404: _NOT_FOUND,
        },
        tags=TAGS,
    )
    def post(self, request, code: str):
        refuse_tokens(request, "gifts are recorded by people: sign in (tokens may not)")
        scope = request.scope
        campaign = selectors.get_campaign_or_404(scope, code)
        incoming = GiftCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        if data.get("staff"):
            staff = get_staff_or_404(scope, data["staff"])
        else:
            staff = StaffMember.objects.filter(user=request.user).first()
            if staff is None:
                raise ValidationError({"staff": ["your login is not linked to a staff record: name the staff member"]})
        gift = gift_record(
            scope=scope,
            user=request.user,
            campaign=campaign,
            staff=staff,
            day=data["day"],
            customer_code=data["customer_code"],
            customer_name=data.get("customer_name", ""),
            item=data["item"],
            value=data["value"],
            note=data.get("note", ""),
        )
        return Response(GiftSerializer(gift, context={"scope": scope}).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("campaigns/", CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/<code:code>/leaderboard/", CampaignLeaderboardView.as_view(), name="campaign-leaderboard"),
    path("campaigns/<code:code>/gifts/", CampaignGiftsView.as_view(), name="campaign-gifts"),
]
