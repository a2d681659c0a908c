"""Customers by tier over the REST API (issue 7): GET /api/v1/customer-tiers/ (tier counts of a unit's
subtree, this month and last), /api/v1/tier-migrations/ (the migration matrix), /api/v1/customers/ and
/api/v1/customers/{code}/ (customers whose home outlet is in the token's subtree, masked unless the token
has the `personal` scope).

Every read goes through customers.selectors and the scope of the token or user
(staff.access.scope_for_request); a unit, staff member or customer outside it answers 404.
"""

from __future__ import annotations

import datetime

import django_filters
import django_filters.rest_framework
from django.db.models import Exists, F, OuterRef, Subquery
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.views import APIView

from customers import selectors
from customers.api_outreach import urlpatterns as outreach_urlpatterns
from customers.models import GROUP_BY_CODE, Customer, CustomerMonth, Tier
from customers.serializers import (
    CustomerSerializer,
    CustomerTiersSerializer,
    TierMigrationsSerializer,
    TierQuerySerializer,
)
from lib import converters  # noqa: F401  (registers the <code:…> route converter)
from lib.api import ApiErrorsSerializer, StableCursorPagination, conditional_response
from lib.api_fields import MonthFilter
from lib.api_filters import FilterBackend
from lib.periods import parse_month
from staff.access import Scope, get_staff_or_404, get_unit_or_404, scope_for_request
from staff.api_scope import ScopedViewMixin

_NOT_FOUND = OpenApiResponse(
    ApiErrorsSerializer,
    description="No such unit, staff member or customer in your scope (an unknown code answers the same), or no "
    "month has been tiered yet and none was asked for.",
)
_BAD_REQUEST = OpenApiResponse(
    ApiErrorsSerializer,
    description="A bad month, filter value, page size or cursor.",
    examples=[
        OpenApiExample(
            "A bad month",
            {
                "errors": [
                    {
                        "field": "month",
                        "message": "'2026-13' is not a month (expected YYYY-MM, such as 2026-11)",
                        "row": None,
                    }
                ]
            },
        )
    ],
)
_NOT_MODIFIED = OpenApiResponse(description="Not modified: the ETag in If-None-Match is still current.")

_TIERS_EXAMPLE = {
    "unit": "GZ0101",
    "month": "2026-11",
    "previous_month": "2026-10",
    "tiered": True,
    "manager": None,
    "tiers": [
        {
            "code": "star1",
            "name": "1-star",
            "name_zh": "一星客户",
            "name_en": "1-star",
            "rank": 1,
            "premium": False,
            "min_aum": "0.00",
            "customers": 0,
            "customers_before": 1,
            "change": -1,
        },
        {
            "code": "star3",
            "name": "3-star",
            "name_zh": "三星客户",
            "name_en": "3-star",
            "rank": 3,
            "premium": True,
            "min_aum": "50000.00",
            "customers": 2,
            "customers_before": 0,
            "change": 2,
        },
    ],
    "premium": {"customers": 3, "customers_before": 2, "change": 1},
    "total": {"customers": 4, "customers_before": 4, "change": 0},
}
_MIGRATIONS_EXAMPLE = {
    "unit": "GZ0101",
    "month": "2026-11",
    "previous_month": "2026-10",
    "tiered": True,
    "manager": "S1001",
    "rows": [
        {"from_tier": "star2", "to_tier": "star3", "from_rank": 2, "to_rank": 3, "movement": "up", "customers": 1},
        {"from_tier": "star4", "to_tier": "star3", "from_rank": 4, "to_rank": 3, "movement": "down", "customers": 1},
        {"from_tier": "private", "to_tier": None, "from_rank": 6, "to_rank": None, "movement": "lost", "customers": 1},
        {"from_tier": None, "to_tier": "star5", "from_rank": None, "to_rank": 5, "movement": "new", "customers": 1},
    ],
    "totals": {"up": 1, "down": 1, "same": 0, "new": 1, "lost": 1},
}
_CUSTOMER_EXAMPLE = {
    "code": "****1024",
    "name": "张*三",
    "id_number": "440106********1234",
    "masked": True,
    "home_outlet": "GZ0101",
    "manager": "S1001",
    "groups": ["young", "merchant"],
    "month": "2026-11",
    "tier": "star3",
}


def _month(wanted: datetime.date | None) -> datetime.date:
    """The month asked for (already read by lib.api_fields.MonthField), or the latest tiered; 404 when
    nothing is tiered yet."""
    if wanted:
        return wanted
    latest = selectors.latest_tiered_month()
    if latest is None:
        raise NotFound("no month has been tiered yet; ask for one with month=YYYY-MM")
    return latest


def _schemes(month: datetime.date) -> selectors.TierSchemes:
    try:
        return selectors.tier_schemes(month)
    except ValueError as error:
        raise ValidationError({"month": [str(error)]}) from None


class _TierReadView(APIView):
    """What /customer-tiers/ and /tier-migrations/ share: the unit, month and manager of the query."""

    def read_query(self, request):
        query = TierQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        scope = scope_for_request(request)
        unit = get_unit_or_404(scope, wanted["unit"])
        manager = get_staff_or_404(scope, wanted["manager"]) if wanted.get("manager") else None
        month = _month(wanted.get("month"))
        return unit, manager, _schemes(month), selectors.is_tiered(month)


class CustomerTiersView(_TierReadView):
    @extend_schema(
        operation_id="customer_tiers",
        summary="Customers by tier in a unit's subtree",
        description=(
            "The number of customers of each tier (客户分层, the scheme in force in `month`) whose outlet that month "
            "is in the unit's subtree, this month and the month before, with the change; and the premium "
            "customers (优质客户, 三星及以上) counted by each month's own scheme. `manager` narrows it to one "
            "relationship manager's customers. `month` defaults to the latest month tiered; a month not tiered "
            "yet answers with every count 0 and `tiered` false. A unit or staff member outside the token's (or "
            "user's) scope answers 404, as an unknown code does. The answer carries an ETag: send it back in "
            "If-None-Match and an unchanged answer is a 304 without a body."
        ),
        parameters=[TierQuerySerializer],
        responses={
            200: OpenApiResponse(
                CustomerTiersSerializer, examples=[OpenApiExample("An outlet's November", _TIERS_EXAMPLE)]
            ),
            304: _NOT_MODIFIED,
            400: _BAD_REQUEST,
            404: _NOT_FOUND,
        },
        tags=["customers"],
    )
    def get(self, request):
        unit, manager, schemes, tiered = self.read_query(request)
        pyramid = selectors.tier_pyramid(unit=unit, month=schemes.month, manager=manager, schemes=schemes)
        data = {
            "unit": unit.code,
            "month": f"{pyramid.month:%Y-%m}",
            "previous_month": f"{pyramid.previous:%Y-%m}",
            "tiered": tiered,
            "manager": manager.code if manager else None,
            "tiers": [
                {
                    "code": row.tier.code,
                    "name": row.tier.name,
                    "name_zh": row.tier.name_zh,
                    "name_en": row.tier.name_en,
                    "rank": row.tier.rank,
                    "premium": row.tier.is_premium,
                    "min_aum": row.tier.min_aum,
                    "customers": row.customers,
                    "customers_before": row.customers_before,
                    "change": row.change,
                }
                for row in pyramid.tiers
            ],
            "premium": {
                "customers": pyramid.premium,
                "customers_before": pyramid.premium_before,
                "change": pyramid.premium_change,
            },
            "total": {
                "customers": pyramid.total,
                "customers_before": pyramid.total_before,
                "change": pyramid.total_change,
            },
        }
        return conditional_response(request, CustomerTiersSerializer(data).data)


class TierMigrationsView(_TierReadView):
    @extend_schema(
        operation_id="tier_migrations",
        summary="The tier migration matrix of a unit's subtree",
        description=(
            "How many customers went from each tier of the month before to each tier of `month` (up, down, the "
            "same tier), arrived (new: `from_tier` null) or left (lost: `to_tier` null), summed over the outlets "
            "of the unit's subtree (a customer counts at this month's outlet and relationship manager, a lost "
            "one at last month's). Only the non-empty cells are listed; `totals` sums them by movement. "
            "`manager` narrows it to one relationship manager. `month` defaults to the latest month tiered. A "
            "unit or staff member outside the token's (or user's) scope answers 404. ETag and If-None-Match as "
            "for /customer-tiers/."
        ),
        parameters=[TierQuerySerializer],
        responses={
            200: OpenApiResponse(
                TierMigrationsSerializer,
                examples=[OpenApiExample("A relationship manager's November", _MIGRATIONS_EXAMPLE)],
            ),
            304: _NOT_MODIFIED,
            400: _BAD_REQUEST,
            404: _NOT_FOUND,
        },
        tags=["customers"],
    )
    def get(self, request):
        unit, manager, schemes, tiered = self.read_query(request)
        matrix = selectors.migration_matrix(unit=unit, month=schemes.month, manager=manager, schemes=schemes)
        data = {
            "unit": unit.code,
            "month": f"{matrix.month:%Y-%m}",
            "previous_month": f"{matrix.previous:%Y-%m}",
            "tiered": tiered,
            "manager": manager.code if manager else None,
            "rows": [
                {
                    "from_tier": cell.from_code or None,
                    "to_tier": cell.to_code or None,
                    "from_rank": cell.from_rank,
                    "to_rank": cell.to_rank,
                    "movement": cell.movement,
                    "customers": cell.customers,
                }
                for cell in matrix.cells
            ],
            "totals": matrix.totals,
        }
        return conditional_response(request, TierMigrationsSerializer(data).data)


# -- customers -------------------------------------------------------------------------------------------


def _tier_codes() -> list[str]:
    return sorted(set(Tier.objects.values_list("code", flat=True)))


class CustomerFilter(django_filters.FilterSet):
    outlet = django_filters.CharFilter(method="filter_outlet", help_text="Home outlet, by code (GZ0101).")
    under = django_filters.CharFilter(
        method="filter_under", help_text="Home outlet in this unit's subtree, the unit included, by code (GZ01)."
    )
    manager = django_filters.CharFilter(
        method="filter_manager", help_text="Relationship manager, by staff code (S1001)."
    )
    tier = django_filters.CharFilter(method="filter_tier", help_text="Tier code in `month` (star1 … star5, private).")
    group = django_filters.ChoiceFilter(
        choices=[(code, code) for code in GROUP_BY_CODE],
        method="filter_group",
        help_text="In this customer group (a customer may be in several).",
    )
    month = MonthFilter(
        method="filter_month",
        help_text="The month whose tier is shown and filtered on, YYYY-MM (default: the latest month tiered).",
    )

    class Meta:
        model = Customer
        fields = ["outlet", "under", "manager", "tier", "group", "month"]

    def filter_outlet(self, queryset, name, value):
        return queryset.filter(home_outlet=get_unit_or_404(self.request.scope, value))

    def filter_under(self, queryset, name, value):
        return queryset.filter(home_outlet__path__startswith=get_unit_or_404(self.request.scope, value).path)

    def filter_manager(self, queryset, name, value):
        return queryset.filter(relationship_manager=get_staff_or_404(self.request.scope, value))

    def filter_tier(self, queryset, name, value):
        codes = _tier_codes()
        if value not in codes:
            raise ValidationError({"tier": [f"“{value}” is not a tier; use one of {', '.join(codes)}"]})
        month = self.request.tier_month
        if month is None:
            return queryset.none()
        tiered = CustomerMonth.objects.filter(month=month, customer_id=OuterRef("pk"), tier_code=value)
        return queryset.filter(Exists(tiered))

    def filter_group(self, queryset, name, value):
        bit = int(GROUP_BY_CODE[value])
        return queryset.alias(in_group=F("groups").bitand(bit)).filter(in_group=bit)

    def filter_month(self, queryset, name, value):
        # Read by the view (initial) before filtering: it decides the tier shown too.
        return queryset


class CustomerCursorPagination(StableCursorPagination):
    """By code; by id for a reader who sees customer numbers masked, whose cursor (the last row's
    position, base64 in the `next` link) would otherwise carry a whole customer number."""

    ordering = ("code",)

    def get_ordering(self, request, queryset, view):
        scope = getattr(request, "scope", None)
        return ("pk",) if scope is None or scope.masks_personal_data else self.ordering


class _CustomerViewMixin(ScopedViewMixin):
    serializer_class = CustomerSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Read here, before the filters, because it decides the tier shown too (MonthFilter declares it).
        raw = request.query_params.get("month", "")
        if raw:
            try:
                request.tier_month = parse_month(raw)
            except ValueError as error:
                raise ValidationError({"month": [str(error)]}) from None
        else:
            request.tier_month = selectors.latest_tiered_month()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema asks without a request
            return Customer.objects.none()
        month = self.request.tier_month
        tier = (
            Subquery(CustomerMonth.objects.filter(month=month, customer_id=OuterRef("pk")).values("tier_code")[:1])
            if month
            else None
        )
        queryset = selectors.customers_in_scope(self.request.scope).select_related(
            "home_outlet", "relationship_manager"
        )
        return queryset.annotate(tier=tier) if tier is not None else queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        scope: Scope | None = getattr(self.request, "scope", None)
        month = getattr(self.request, "tier_month", None)
        context.update(scope=scope or Scope.nothing(), month=f"{month:%Y-%m}" if month else None)
        return context


class CustomerListView(_CustomerViewMixin, generics.ListAPIView):
    filterset_class = CustomerFilter
    filter_backends = [FilterBackend]
    pagination_class = CustomerCursorPagination

    @extend_schema(
        operation_id="customers_list",
        summary="Customers in your scope",
        description=(
            "The customers whose home outlet is in the token's (or user's) subtree, by code, a page at a time "
            "(`cursor`, `page_size` up to 1000): home outlet, relationship manager, groups and the tier of "
            "`month` (default: the latest month tiered; null for a customer without a snapshot that month). "
            "Names, identity numbers and customer numbers are personal data: masked (张*三, 440106********1234, "
            "****1024; `masked` true, and the list in the order the customers were loaded rather than by code) "
            "unless the token has the `personal` scope or the user may read personal data. Filter by home "
            "`outlet`, subtree (`under`), relationship `manager`, `tier` in `month` and `group`. A unit or staff "
            "member outside your scope answers 404, as an unknown code does; an unknown tier or group, or a bad "
            "month, answers 400 naming the parameter."
        ),
        responses={
            200: OpenApiResponse(
                CustomerSerializer(many=True), examples=[OpenApiExample("A customer, masked", _CUSTOMER_EXAMPLE)]
            ),
            400: _BAD_REQUEST,
            404: _NOT_FOUND,
        },
        tags=["customers"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CustomerDetailView(_CustomerViewMixin, generics.RetrieveAPIView):
    lookup_field = "code"
    filter_backends: list = []

    @extend_schema(
        operation_id="customers_retrieve",
        summary="One customer",
        description=(
            "One customer by code, as in the list, with the tier of `month` (default: the latest month tiered). "
            "Asked by the whole number; the answer masks it as the list does. "
            "A customer whose home outlet is outside the token's (or user's) subtree answers 404, as an unknown "
            "code does."
        ),
        parameters=[
            OpenApiParameter(
                "month", str, description="The month whose tier is shown, YYYY-MM (default: the latest tiered)."
            )
        ],
        responses={
            200: OpenApiResponse(
                CustomerSerializer, examples=[OpenApiExample("A customer, masked", _CUSTOMER_EXAMPLE)]
            ),
            400: _BAD_REQUEST,
            404: _NOT_FOUND,
        },
        tags=["customers"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    *outreach_urlpatterns,
    path("customer-tiers/", CustomerTiersView.as_view(), name="api-customer-tiers"),
    path("tier-migrations/", TierMigrationsView.as_view(), name="api-tier-migrations"),
    path("customers/", CustomerListView.as_view(), name="api-customers"),
    path("customers/<code:code>/", CustomerDetailView.as_view(), name="api-customer"),
]
