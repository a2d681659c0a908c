"""Org units (pull): GET /api/v1/units/ and /api/v1/units/{code}/, the part of the tree the reader sees.

Paginated by cursor like every other list of the API, so an integration follows `next` the same way
everywhere; the default order is the materialised path (unique), which lists the tree depth-first, each
unit before the units under it.

In the people layer, not in branches: the org app imports no other app, and what a reader may see of the
tree is their Scope (staff.access). Beside staff/api_views.py for the reason given there.
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.db.models import Q
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics

from branches.models import Area, OrgUnit, OutletFormat, Transformation, UnitKind, UnitStatus
from branches.serializers import OrgUnitSerializer
from lib import converters  # noqa: F401  (registers the <code:…> route converter)
from lib.api import ApiErrorsSerializer, StableCursorPagination
from lib.api_filters import FilterBackend, FormatIsAFilter, StableOrderingFilter, TrueFalseFilter
from staff.access import get_unit_or_404
from staff.api_scope import ScopedViewMixin

_UNIT_EXAMPLE = {
    "code": "GZ0101",
    "name": "天河路网点",
    "name_zh": "天河路网点",
    "name_en": "Tianhe Road Outlet",
    "kind": "outlet",
    "parent": "GZ01",
    "depth": 3,
    "area": "urban",
    "format": "full",
    "transformation": "transformed",
    "transformed_on": "2025-06-30",
    "is_benchmark": True,
    "benchmark": None,
    "status": "active",
    "opened_on": "2008-03-18",
    "closed_on": None,
}

_BAD_FILTER_EXAMPLE = OpenApiExample(
    "An unknown kind",
    {
        "errors": [
            {
                "field": "kind",
                "message": "Select a valid choice. shop is not one of the available choices.",
                "row": None,
            }
        ]
    },
)


class OrgUnitFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=UnitKind.choices, help_text="hq, branch, sub_branch or outlet.")
    parent = django_filters.CharFilter(
        method="filter_parent", help_text="The units directly under this unit, by code (GZ01)."
    )
    under = django_filters.CharFilter(
        method="filter_under", help_text="Every unit in this unit's subtree, the unit included, by code (GZ01)."
    )
    area = django_filters.ChoiceFilter(choices=Area.choices, help_text="urban, county or township.")
    format = django_filters.ChoiceFilter(choices=OutletFormat.choices, help_text="full, light or smart.")
    transformation = django_filters.ChoiceFilter(
        choices=Transformation.choices, help_text="not_started, rolling_out or transformed."
    )
    status = django_filters.ChoiceFilter(choices=UnitStatus.choices, help_text="active or closed.")
    is_benchmark = TrueFalseFilter(help_text="true: benchmark outlets (标杆网点) only; false: the others.")
    q = django_filters.CharFilter(
        method="filter_search", help_text="Code, Chinese or English name contains this (case-insensitive)."
    )

    class Meta:
        model = OrgUnit
        fields = ["kind", "parent", "under", "area", "format", "transformation", "status", "is_benchmark", "q"]

    def filter_parent(self, queryset, name, value):
        return queryset.filter(parent=get_unit_or_404(self.request.scope, value))

    def filter_under(self, queryset, name, value):
        return queryset.subtree(get_unit_or_404(self.request.scope, value))

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name_zh__icontains=value) | Q(name_en__icontains=value))


class _OrgUnitViewMixin(ScopedViewMixin):
    serializer_class = OrgUnitSerializer
    content_negotiation_class = FormatIsAFilter  # `format` is the outlet format filter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema asks without a request
            return OrgUnit.objects.none()
        return self.request.scope.units().select_related("benchmark")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "scope": getattr(self.request, "scope", None)}


class OrgUnitListView(_OrgUnitViewMixin, generics.ListAPIView):
    filterset_class = OrgUnitFilter
    filter_backends = [FilterBackend, StableOrderingFilter]
    ordering_fields = ["path", "code", "name_zh", "name_en", "depth"]
    ordering = ["path"]
    ordering_tiebreak = "path"
    pagination_class = StableCursorPagination

    @extend_schema(
        operation_id="units_list",
        summary="The org units in your scope",
        description=(
            "The org units (总行 → 分行 → 支行 → 网点) the token (or user) may see: its unit and everything under "
            "it. Filter by `kind`, by `parent` (the units directly under a unit) or `under` (a unit's whole "
            "subtree, itself included), by the outlet attributes `area`, `format`, `transformation` and "
            "`is_benchmark`, by `status`, or search code and names with `q`. A page at a time (`cursor`, "
            "`page_size` up to 1000); by default in tree order (`path`: each unit before the units under it), "
            "or `ordering` by code, name_zh, name_en or depth. `name` is in the request's language (English "
            "unless Accept-Language asks for zh-Hans). Outlet attributes are null for units above outlets. A "
            "`parent` or `under` unit outside your scope answers 404, as an unknown code does; an unknown value "
            "of a choice filter or `ordering` answers 400 naming the parameter."
        ),
        responses={
            200: OpenApiResponse(OrgUnitSerializer(many=True), examples=[OpenApiExample("An outlet", _UNIT_EXAMPLE)]),
            400: OpenApiResponse(
                ApiErrorsSerializer, description="A bad filter value.", examples=[_BAD_FILTER_EXAMPLE]
            ),
            404: OpenApiResponse(ApiErrorsSerializer, description="No such `parent` or `under` unit in your scope."),
        },
        tags=["units"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OrgUnitDetailView(_OrgUnitViewMixin, generics.RetrieveAPIView):
    lookup_field = "code"

    def get_object(self) -> OrgUnit:
        return get_unit_or_404(self.request.scope, self.kwargs["code"])

    @extend_schema(
        operation_id="units_retrieve",
        summary="One org unit",
        description=(
            "One org unit by code, as in the list. A unit outside the token's (or user's) scope answers 404, "
            "as an unknown code does."
        ),
        responses={
            200: OpenApiResponse(OrgUnitSerializer, examples=[OpenApiExample("An outlet", _UNIT_EXAMPLE)]),
            404: OpenApiResponse(
                ApiErrorsSerializer,
                description="No such unit in your scope.",
                examples=[
                    OpenApiExample("Out of scope", {"errors": [{"field": "", "message": "No such unit.", "row": None}]})
                ],
            ),
        },
        tags=["units"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("units/", OrgUnitListView.as_view(), name="api-units"),
    path("units/<code:code>/", OrgUnitDetailView.as_view(), name="api-unit"),
]
