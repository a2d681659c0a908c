"""Notes on the figures (标注): GET /api/v1/annotations/ (and one), POST to write one, DELETE to remove it.

Reads are scoped by staff.access (Scope.notice_units: the notes of the units a token or user sees and of
the units above them); writes go through kpi.services.notes, as the notes page's do: the same
checks and the same rule of who may write (Scope.may_annotate; a token needs the admin scope too).
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.db.models import Q
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from kpi.models import Annotation, AnnotationKind, Metric
from kpi.selectors.notes import annotations_visible
from kpi.services.notes import annotation_create, annotation_delete
from lib.api import ApiErrorsSerializer, StableCursorPagination, StrictFieldsMixin
from lib.api_fields import DateField
from lib.api_filters import FilterBackend
from staff.access import get_unit_or_404
from staff.api import HasTokenScope
from staff.api_scope import BAD_LIST_QUERY, NO_SUCH_UNIT, ScopedFilterMethods, ScopedViewMixin
from staff.models import ApiToken

_EXAMPLE = {
    "id": 12,
    "unit": "HQ",
    "metric": None,
    "kind": "holiday",
    "start": "2026-10-01",
    "end": "2026-10-07",
    "text": "国庆节假期，网点轮休",
    "created_at": "2026-09-28T10:02:00+08:00",
}


class AnnotationSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Org unit code.")
    metric = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Metric code; null for every metric."
    )

    class Meta:
        model = Annotation
        fields = ["id", "unit", "metric", "kind", "start", "end", "text", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            "kind": {"help_text": "holiday (节假日), system_outage (系统故障), large_maturity (大额到期) or other."},
            "start": {"help_text": "The first day the note is about."},
            "end": {"help_text": "The last day (the first day for a note on one day)."},
            "text": {"help_text": "What happened, in a few words."},
        }


class AnnotationWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """A note to write: on a unit, from a day (to a day), of a kind, optionally on one metric."""

    unit = serializers.CharField(help_text="Org unit code, in your scope.")
    metric = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Metric code; leave out for every metric."
    )
    kind = serializers.ChoiceField(
        choices=AnnotationKind.values, help_text="holiday, system_outage, large_maturity or other."
    )
    start = DateField(help_text="The first day, YYYY-MM-DD.")
    end = DateField(required=False, allow_null=True, help_text="The last day, YYYY-MM-DD; leave out for one day.")
    text = serializers.CharField(max_length=200, help_text="What happened, in a few words (at most 200 characters).")

    def validate(self, attrs: dict) -> dict:
        scope = self.context["scope"]
        errors: dict[str, str] = {}
        attrs["unit"] = scope.units().filter(code=attrs["unit"]).first() or attrs["unit"]
        if not hasattr(attrs["unit"], "pk"):
            errors["unit"] = f"unit '{attrs['unit']}' is not known"
        metric_code = attrs.get("metric") or ""
        attrs["metric"] = None
        if metric_code:
            attrs["metric"] = Metric.objects.filter(code=metric_code).first()
            if attrs["metric"] is None:
                errors["metric"] = f"metric '{metric_code}' is not in the catalog"
        if errors:
            raise ValidationError(errors)
        return attrs


class AnnotationFilter(ScopedFilterMethods, django_filters.FilterSet):
    unit = django_filters.CharFilter(method="filter_unit", help_text="Notes on one org unit, by code.")
    under = django_filters.CharFilter(method="filter_under", help_text="Notes on every unit of a subtree.")
    shown_on = django_filters.CharFilter(
        method="filter_shown_on",
        help_text="Notes that show on a unit's charts: on the unit, on the units above it and on those below it.",
    )
    metric = django_filters.CharFilter(
        method="filter_metric", help_text="Notes that show on a metric's charts: on that metric and on every metric."
    )
    kind = django_filters.ChoiceFilter(choices=AnnotationKind.choices)
    on = django_filters.DateFilter(method="filter_on", help_text="Notes whose days include this day.")
    since = django_filters.DateFilter(method="filter_since", help_text="Notes that end on or after this day.")
    until = django_filters.DateFilter(method="filter_until", help_text="Notes that start on or before this day.")

    class Meta:
        model = Annotation
        fields = ["unit", "under", "shown_on", "metric", "kind", "on", "since", "until"]

    def filter_shown_on(self, queryset, name, value):
        unit = get_unit_or_404(self.request.scope, value)
        return queryset.filter(Q(unit__path__startswith=unit.path) | Q(unit__code__in=unit.ancestor_codes))

    def filter_metric(self, queryset, name, value):
        return queryset.filter(Q(metric=None) | Q(metric__code=value))

    def filter_on(self, queryset, name, value):
        return queryset.overlapping(value, value)

    def filter_since(self, queryset, name, value):
        return queryset.filter(end__gte=value)

    def filter_until(self, queryset, name, value):
        return queryset.filter(start__lte=value)


class _AnnotationViewMixin(ScopedViewMixin):
    serializer_class = AnnotationSerializer
    # Tokens: the read scope to read, the admin scope to write or delete (HasTokenScope's default); the
    # service then asks Scope.may_annotate of the unit.
    permission_classes = [permissions.IsAuthenticated, HasTokenScope]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema asks without a request
            return Annotation.objects.none()
        return annotations_visible(scope=self.request.scope).order_by("pk")


_WRITE_ERRORS = {
    400: OpenApiResponse(
        ApiErrorsSerializer,
        description="Malformed JSON, an unknown field or code, a bad date, a note that ends before it starts or "
        "covers more than 92 days, an empty text.",
        examples=[
            OpenApiExample(
                "An unknown unit",
                {"errors": [{"field": "unit", "message": "unit 'GZ9999' is not known", "row": None}]},
            )
        ],
    ),
    403: OpenApiResponse(
        ApiErrorsSerializer,
        description="The token lacks the admin scope, or the user may not write notes on this unit (an auditor, a "
        "staff member, an outlet head on a unit above her outlet).",
    ),
}


class AnnotationListView(_AnnotationViewMixin, generics.ListAPIView):
    filterset_class = AnnotationFilter
    filter_backends = [FilterBackend]
    pagination_class = StableCursorPagination

    @extend_schema(
        operation_id="annotations_list",
        summary="Notes on the figures in scope",
        description=(
            "Managers' notes on days of a unit's figures (标注: 节假日, 系统故障, 大额到期), as the charts and the "
            "bulletin show them. A note on a unit speaks to its whole subtree: the token (or user) reads the "
            "notes of the units it sees and of the units above them. Filter by unit, subtree, the charts of a "
            "unit (`shown_on`), metric, kind or days; a page at a time (`cursor`, `page_size` up to 1000). A unit "
            "outside the scope answers 404."
        ),
        responses={
            200: OpenApiResponse(AnnotationSerializer(many=True), examples=[OpenApiExample("A holiday", _EXAMPLE)]),
            400: BAD_LIST_QUERY,
            404: NO_SUCH_UNIT,
        },
        tags=["annotations"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="annotations_create",
        summary="Write a note",
        description=(
            "Writes a note on a unit for a day (`start`) or days (`start` to `end`, at most 92), of a kind, "
            "optionally on one metric. HQ writes anywhere, a unit manager in their subtree, an outlet head on "
            "their outlet, a token with the `admin` scope in its subtree. Answers 201 with the note."
        ),
        request=AnnotationWriteSerializer,
        examples=[
            OpenApiExample(
                "A large maturity at one outlet",
                {
                    "unit": "GZ0101",
                    "metric": "deposit_balance",
                    "kind": "large_maturity",
                    "start": "2026-11-20",
                    "text": "某企业 3,000 万元定期存款到期转出",
                },
                request_only=True,
            )
        ],
        responses={
            201: OpenApiResponse(AnnotationSerializer, examples=[OpenApiExample("Created", _EXAMPLE)]),
            **_WRITE_ERRORS,
        },
        tags=["annotations"],
    )
    def post(self, request, *args, **kwargs):
        incoming = AnnotationWriteSerializer(data=request.data, context={"scope": request.scope})
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        token = request.auth if isinstance(request.auth, ApiToken) else None
        note = annotation_create(
            scope=request.scope,
            unit=data["unit"],
            kind=data["kind"],
            start=data["start"],
            end=data.get("end"),
            text=data["text"],
            metric=data["metric"],
            created_by=None if token else request.user,
        )
        return Response(AnnotationSerializer(note).data, status=status.HTTP_201_CREATED)


class AnnotationDetailView(_AnnotationViewMixin, generics.RetrieveAPIView):
    lookup_url_kwarg = "annotation_id"

    @extend_schema(
        operation_id="annotations_retrieve",
        summary="One note",
        description="A note by id; 404 when it is not in the token's (or user's) scope.",
        responses={
            200: OpenApiResponse(AnnotationSerializer, examples=[OpenApiExample("A holiday", _EXAMPLE)]),
            404: OpenApiResponse(ApiErrorsSerializer, description="No such note in your scope."),
        },
        tags=["annotations"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="annotations_destroy",
        summary="Delete a note",
        description=(
            "Deletes a note, for whoever may write notes on its unit (403 otherwise: an outlet head reads HQ's "
            "holiday but does not delete it); 404 when it is not in the token's (or user's) scope."
        ),
        responses={
            204: OpenApiResponse(description="Deleted."),
            403: _WRITE_ERRORS[403],
            404: OpenApiResponse(ApiErrorsSerializer, description="No such note in your scope."),
        },
        tags=["annotations"],
    )
    def delete(self, request, *args, **kwargs):
        annotation_delete(scope=request.scope, annotation=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("annotations/", AnnotationListView.as_view(), name="api-annotations"),
    path("annotations/<int:annotation_id>/", AnnotationDetailView.as_view(), name="api-annotation"),
]
