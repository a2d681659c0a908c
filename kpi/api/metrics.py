"""The metric catalog (pull): GET /api/v1/metrics/ and /api/v1/metrics/{code}/.

The catalog is not scoped data: every reader (a token with `read`, any signed-in user) sees all of it,
so an integration can learn what the codes in scorecards and facts mean. The serializer lives here, not
in kpi/serializers.py, because nothing else uses it.
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers

from kpi.models import Aggregation, Category, Direction, Level, Metric, MetricUnit, TimeBasis
from lib import converters  # noqa: F401  (registers the <code:…> route converter)
from lib.api import ApiErrorsSerializer, StableCursorPagination
from lib.api_filters import FilterBackend, StableOrderingFilter, TrueFalseFilter

_METRIC_EXAMPLE = {
    "code": "lobby_referral_rate",
    "name": "大堂转介率",
    "name_zh": "大堂转介率",
    "name_en": "Lobby referral rate",
    "description": "",
    "category": "marketing",
    "unit": "%",
    "aggregation": "ratio",
    "direction": "higher",
    "level": "outlet",
    "base": None,
    "numerator": "lobby_referrals",
    "denominator": "customers_served",
    "time_basis": "calendar",
    "is_active": True,
    "sort_order": 210,
}


class MetricSerializer(serializers.ModelSerializer):
    """A metric of the catalog (DOMAIN.md §3, §8). `base`, `numerator` and `denominator` are the codes of
    the metrics it is computed from: `base` for a daily average or a net change, `numerator` and
    `denominator` for a ratio; null otherwise."""

    name = serializers.CharField(read_only=True, help_text="The zh or en name, in the request's language.")
    category = serializers.ChoiceField(choices=Category.choices, read_only=True)
    unit = serializers.ChoiceField(
        choices=MetricUnit.choices, read_only=True, help_text="万元 (10,000 CNY), 户, 笔, 人, 件, 分钟 or %."
    )
    aggregation = serializers.ChoiceField(
        choices=Aggregation.choices,
        read_only=True,
        help_text="sum (flow), last (stock), average (daily average of `base`), change (net change of `base`), "
        "ratio (`numerator` / `denominator`).",
    )
    direction = serializers.ChoiceField(
        choices=Direction.choices, read_only=True, help_text="higher or lower is better."
    )
    level = serializers.ChoiceField(
        choices=Level.choices, read_only=True, help_text="Scored for units (outlet), staff, or both."
    )
    time_basis = serializers.ChoiceField(
        choices=TimeBasis.choices,
        read_only=True,
        help_text="What its time progress counts: calendar days (the default) or business days on the bank's calendar.",
    )
    base = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    numerator = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    denominator = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Metric
        fields = [
            "code",
            "name",
            "name_zh",
            "name_en",
            "description",
            "category",
            "unit",
            "aggregation",
            "direction",
            "level",
            "base",
            "numerator",
            "denominator",
            "time_basis",
            "is_active",
            "sort_order",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "is_active": {"help_text": "false: retired; kept so past facts and scorecards still read."},
            "sort_order": {"help_text": "Catalog order (scorecard lines follow it)."},
        }


class MetricFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(
        choices=Category.choices, help_text="deposits, loans, channels, service, marketing, customers or compliance."
    )
    aggregation = django_filters.ChoiceFilter(
        choices=Aggregation.choices, help_text="sum, last, average, change or ratio."
    )
    level = django_filters.ChoiceFilter(
        choices=Level.choices,
        help_text="The stored level exactly: outlet (units only), staff (staff only) or both.",
    )
    is_active = TrueFalseFilter(help_text="true: metrics in use; false: retired ones. Default: both.")

    class Meta:
        model = Metric
        fields = ["category", "aggregation", "level", "is_active"]


_METRICS = Metric.objects.select_related("base", "numerator", "denominator")


class MetricListView(generics.ListAPIView):
    queryset = _METRICS
    serializer_class = MetricSerializer
    filterset_class = MetricFilter
    filter_backends = [FilterBackend, StableOrderingFilter]
    ordering_fields = ["sort_order", "code", "category"]
    ordering = ["sort_order", "code"]
    ordering_tiebreak = "code"
    pagination_class = StableCursorPagination

    @extend_schema(
        operation_id="metrics_list",
        summary="The metric catalog",
        description=(
            "Every metric of the catalog (指标库), the codes that facts, targets and scorecards use: names, unit, "
            "how a period's value is aggregated, which direction is better, whether it is scored for units, "
            "staff or both, and for derived metrics the metrics they are computed from. Not scoped: any token "
            "with `read` sees the whole catalog. Filter by `category`, `aggregation`, `level` and `is_active`. "
            "A page at a time (`cursor`, `page_size` up to 1000), in catalog order (`sort_order`, then code) "
            "unless `ordering` says otherwise. `name` is in the request's language (English unless "
            "Accept-Language asks for zh-Hans). An unknown filter value answers 400 naming the parameter."
        ),
        responses={
            200: OpenApiResponse(MetricSerializer(many=True), examples=[OpenApiExample("A ratio", _METRIC_EXAMPLE)]),
            400: OpenApiResponse(
                ApiErrorsSerializer,
                description="A bad filter value.",
                examples=[
                    OpenApiExample(
                        "An unknown aggregation",
                        {
                            "errors": [
                                {
                                    "field": "aggregation",
                                    "message": "Select a valid choice. mean is not one of the available choices.",
                                    "row": None,
                                }
                            ]
                        },
                    )
                ],
            ),
        },
        tags=["metrics"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MetricDetailView(generics.RetrieveAPIView):
    queryset = _METRICS
    serializer_class = MetricSerializer
    lookup_field = "code"

    def get_object(self) -> Metric:
        # The code is unique: get(), not first() (which orders by the catalog's sort_order to take one).
        try:
            return self.get_queryset().get(code=self.kwargs["code"])
        except Metric.DoesNotExist:
            raise Http404("No such metric.") from None

    @extend_schema(
        operation_id="metrics_retrieve",
        summary="One metric of the catalog",
        description="One metric by code, as in the list. An unknown code answers 404.",
        responses={
            200: OpenApiResponse(MetricSerializer, examples=[OpenApiExample("A ratio", _METRIC_EXAMPLE)]),
            404: OpenApiResponse(ApiErrorsSerializer, description="No metric has this code."),
        },
        tags=["metrics"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("metrics/", MetricListView.as_view(), name="api-metrics"),
    path("metrics/<code:code>/", MetricDetailView.as_view(), name="api-metric"),
]
