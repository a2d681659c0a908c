"""Pay sheets over the REST API (issue 16), read only:

    GET /api/v1/pay-sheets/        stored pay sheets in scope, with their lines (filters month, unit, under, staff)
    GET /api/v1/pay-sheets/{id}/   one of them

Only closed (stored) sheets: a preview is a page's estimate, not pay. A token sees the sheets of the
outlets of its subtree; a signed-in staff member their own. Names are masked unless the token may read
personal data (the `personal` scope). A sheet outside the scope answers 404, as an unknown one does.
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from lib.api import ApiErrorsSerializer
from lib.api_fields import MonthFilter
from pay.models import PaySheet
from pay.selectors import sheets_in_scope
from pay.serializers import PaySheetSerializer
from staff.api_scope import ScopedFilterMethods, ScopedListView, ScopedViewMixin

TAGS = ["pay"]
_NOT_FOUND = OpenApiResponse(ApiErrorsSerializer, description="No such pay sheet, unit or staff member in your scope.")
SHEET_ID = OpenApiParameter("pay_sheet_id", int, OpenApiParameter.PATH, description="The pay sheet's id.")
_EXAMPLE = {
    "id": 41,
    "month": "2026-10",
    "staff": "S1001",
    "staff_name": "黄*娟",
    "unit": "GZ0101",
    "template_code": "T-TELLER",
    "template_from": "2026-01-01",
    "scorecard_date": "2026-10-31",
    "score": "91.0000",
    "vetoed": False,
    "veto_reason": "",
    "rank": 1,
    "rank_of": 5,
    "total": "2090.00",
    "carried": "0.00",
    "closed_at": "2026-11-03T10:12:00+08:00",
    "closed_by": "chen.zhiqiang",
    "lines": [
        {
            "position": 0,
            "kind": "points",
            "metric": None,
            "volume": None,
            "rate": "20.0000",
            "gross": "1820.00",
            "amount": "1820.00",
            "gate": "",
            "source_month": None,
            "basis": {"score": "91", "yuan_per_point": "20.00"},
        },
        {
            "position": 1,
            "kind": "piece_rate",
            "metric": "counter_referrals",
            "volume": "35.0000",
            "rate": None,
            "gross": "270.00",
            "amount": "270.00",
            "gate": "",
            "source_month": None,
            "basis": {
                "method": "marginal",
                "tiers": [
                    {"from": "0", "to": "10", "rate": "5.00", "units": "10", "amount": "50.00"},
                    {"from": "10", "to": "30", "rate": "8.00", "units": "20", "amount": "160.00"},
                    {"from": "30", "to": None, "rate": "12.00", "units": "5", "amount": "60.00"},
                ],
            },
        },
    ],
}


class PaySheetFilter(ScopedFilterMethods, django_filters.FilterSet):
    month = MonthFilter(method="filter_month", help_text="Sheets of one month, e.g. 2026-10.")
    unit = django_filters.CharFilter(method="filter_unit", help_text="Sheets of one outlet, by code.")
    under = django_filters.CharFilter(method="filter_under", help_text="Sheets of every outlet in a subtree.")
    staff = django_filters.CharFilter(method="filter_staff", help_text="Sheets of one staff member, by code.")

    class Meta:
        model = PaySheet
        fields = ["month", "unit", "under", "staff"]

    def filter_month(self, queryset, name, value):
        return queryset.filter(month=value)


class PaySheetListView(ScopedListView):
    model = PaySheet
    serializer_class = PaySheetSerializer
    filterset_class = PaySheetFilter

    def scoped_queryset(self, scope):
        return sheets_in_scope(scope).order_by("pk")

    @extend_schema(
        operation_id="pay_sheets_list",
        summary="Pay sheets in scope",
        description=(
            "The stored (closed) pay sheets of the outlets in the token's (or user's) scope, each with every line "
            "and what it rests on, a page at a time. Money in 元 with two decimals."
        ),
        responses={
            200: OpenApiResponse(PaySheetSerializer(many=True), examples=[OpenApiExample("A sheet", _EXAMPLE)]),
            400: OpenApiResponse(ApiErrorsSerializer, description="A bad month, filter value, page size or cursor."),
            404: _NOT_FOUND,
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PaySheetDetailView(ScopedViewMixin, APIView):
    """One stored pay sheet in the reader's scope, with every line and what it rests on."""

    @extend_schema(
        operation_id="pay_sheets_retrieve",
        summary="One pay sheet",
        parameters=[SHEET_ID],
        responses={200: PaySheetSerializer, 404: _NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, pay_sheet_id: int):
        sheet = sheets_in_scope(request.scope).filter(pk=pay_sheet_id).first()
        if sheet is None:
            raise Http404("No such pay sheet.")
        return Response(PaySheetSerializer(sheet, context={"scope": request.scope, "request": request}).data)


urlpatterns = [
    path("pay-sheets/", PaySheetListView.as_view(), name="pay-sheet-list"),
    path("pay-sheets/<int:pay_sheet_id>/", PaySheetDetailView.as_view(), name="pay-sheet-detail"),
]
