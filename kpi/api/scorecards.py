"""Scorecards (pull): GET /api/v1/scorecards/, a page of published scorecards."""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.db.models import Q
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError

from kpi.api.common import DATE_PARAMETER, PERIOD_PARAMETER
from kpi.models import RollupDay, Scorecard
from kpi.retention import scorecards_not_kept
from kpi.selectors import scorecard_json
from kpi.selectors import scorecards as scorecards_reads
from kpi.serializers import SCORECARD_FIELDS, ScorecardSerializer
from lib.api import ApiErrorsSerializer, StableCursorPagination, conditional_response
from lib.api_filters import FilterBackend, TrueFalseFilter
from lib.periods import PERIOD_KINDS, parse_date
from staff.access import get_unit_or_404
from staff.api_scope import ScopedFilterMethods, ScopedViewMixin

_SCORECARD_EXAMPLE = {
    "results": [
        {
            "unit": "GZ0101",
            "staff": None,
            "date": "2026-11-24",
            "period": "month",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "total_score": "40.0000",
            "vetoed": False,
            "veto_reason": "",
            "rank": 2,
            "rank_of": 4,
            "lines": [
                {
                    "metric": "mobile_banking_signups",
                    "actual": "420.0000",
                    "target": "500.0000",
                    "attainment": "0.840000",
                    "time_progress": "0.800000",
                    "pace_attainment": "1.050000",
                    "status": "green",
                    "gap_to_pace": "20.0000",
                    "required_per_day": "13.3333",
                    "score": "42.0000",
                    "target_from_children": False,
                    "time_basis": "calendar",
                    "kind": "weighted",
                    "weight": "40.00",
                    "cap": "1.200",
                    "floor": "0.000",
                    "points_per_unit": None,
                    "max_points": None,
                    "allowed_value": None,
                },
                {
                    "metric": "complaints",
                    "actual": "1.0000",
                    "target": None,
                    "attainment": None,
                    "time_progress": "0.800000",
                    "pace_attainment": None,
                    "status": None,
                    "gap_to_pace": None,
                    "required_per_day": None,
                    "score": "-2.0000",
                    "target_from_children": False,
                    "time_basis": "calendar",
                    "kind": "points",
                    "weight": None,
                    "cap": None,
                    "floor": None,
                    "points_per_unit": "-2.0000",
                    "max_points": None,
                    "allowed_value": None,
                },
            ],
            "template_code": "OUTLET-URBAN",
            "template_version": "2026-01-01",
            "full_score": "100.0000",
            "max_score": "120.0000",
        }
    ]
}


class ScorecardFilter(ScopedFilterMethods, django_filters.FilterSet):
    """Which published scorecards of the day: one unit's or staff member's, a subtree's, units' or staff's."""

    unit = django_filters.CharFilter(method="filter_unit", help_text="One org unit's scorecard, by code (GZ0101).")
    staff = django_filters.CharFilter(method="filter_staff", help_text="One staff member's scorecard, by code (S1001).")
    under = django_filters.CharFilter(
        method="filter_under",
        help_text="Every unit scorecard in a unit's subtree, the unit included (GZ01), and the scorecards of the "
        "staff assigned there when `holder` is staff.",
    )
    holder = django_filters.ChoiceFilter(
        choices=[("unit", "unit"), ("staff", "staff")],
        method="filter_holder",
        help_text="unit: org units' scorecards only; staff: staff members' only. Default: both.",
    )
    vetoed = TrueFalseFilter(help_text="true: only vetoed scorecards (一票否决); false: only the others.")

    class Meta:
        model = Scorecard
        fields = ["unit", "staff", "under", "holder", "vetoed"]

    def filter_unit(self, queryset, name, value):
        return queryset.filter(unit=get_unit_or_404(self.request.scope, value), staff=None)

    def filter_under(self, queryset, name, value):
        # The scorecards of the staff who worked in the subtree on the scorecard's day (staff.access).
        top = get_unit_or_404(self.request.scope, value)
        return queryset.filter(
            Q(unit__path__startswith=top.path) | self.request.scope.within(top).staff_records(on="date")
        )

    def filter_holder(self, queryset, name, value):
        return queryset.filter(staff=None) if value == "unit" else queryset.exclude(staff=None)


class ScorecardListView(ScopedViewMixin, generics.ListAPIView):
    serializer_class = ScorecardSerializer
    filterset_class = ScorecardFilter
    filter_backends = [FilterBackend]
    pagination_class = StableCursorPagination

    @extend_schema(
        operation_id="scorecards_list",
        summary="Published scorecards of a business day",
        description=(
            "The published scorecards of units and staff members as of a business day, for the day, ISO week, "
            "month, quarter or year that contains it: one (`unit=CODE` or `staff=CODE`), a subtree "
            "(`under=CODE`) or everything in the token's (or user's) scope, a page at a time (`cursor`, "
            "`page_size` up to 1000, ordered by id). Only results of the day's published rollup are returned; "
            "`results` is empty when the day has not been rolled up. Decimals are strings; `attainment`, "
            "`time_progress` and `pace_attainment` are fractions (1.38 means 138 %). `total_score`, `rank` and "
            "each line's `score` come from the scorecard template that applies (null without one); `rank` is "
            "inside the peer group (same template, same parent unit). How the score was reached: each line's "
            "`kind`, `weight`, `cap`, `floor`, `points_per_unit`, `max_points` and `allowed_value` (its template "
            "line's rule), and the scorecard's `template_code`, `template_version`, `full_score` (满分) and "
            "`max_score`. A day scorecard is scored only when one of its weighted lines has a target of the "
            "day. Each line also carries its comparisons, 环比 (`previous_period_*`, as of the scorecard's "
            "`previous_period_as_of`), 同比 (`last_year_*`, as of `last_year_as_of`) and 较年初 (`year_start_*`), and "
            "for a cumulative metric (sum, change) a forecast of the period's end (`forecast_method`, `projected`, "
            "`projected_attainment`, `forecast_outcome`, `target_reached_on`). A unit or staff member outside the "
            "token's (or user's) scope answers 404, as an unknown code does. The answer carries an ETag: send it "
            "back in If-None-Match and an unchanged page answers 304 without a body. Leaner forms for integrations "
            "(the second form of the 200 answer): `fields=unit,total_score,…` keeps only the named fields of each "
            "scorecard (an unknown name answers 400 naming it); `lines=compact` writes each line as a list in the "
            "order of the page's `line_columns`."
        ),
        parameters=[
            DATE_PARAMETER,
            PERIOD_PARAMETER,
        ],
        responses={
            200: OpenApiResponse(
                ScorecardSerializer(many=True),
                examples=[OpenApiExample("An outlet's month", _SCORECARD_EXAMPLE["results"][0])],
            ),
            304: OpenApiResponse(description="Not modified: the ETag in If-None-Match is still current."),
            400: OpenApiResponse(
                description="A bad date, period or filter.",
                examples=[
                    OpenApiExample(
                        "A bad date",
                        {
                            "errors": [
                                {
                                    "field": "date",
                                    "message": "Write the business date as YYYY-MM-DD, e.g. 2026-11-24.",
                                    "row": None,
                                }
                            ]
                        },
                    )
                ],
            ),
            404: OpenApiResponse(
                ApiErrorsSerializer,
                description="No such unit or staff member in your scope, or a day whose scorecards were not kept "
                "(SCORECARD_RETENTION_DAYS: older days keep only week, month, quarter and year ends); the message "
                "names the nearest day kept.",
            ),
        },
        tags=["scorecards"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        asked, self.period = _day_and_period(request.query_params)
        # The day asked for, or the latest published (one query: its row, not its date and then its row).
        if asked:
            self.day, self.published = asked, RollupDay.objects.published(on=asked).first()
        else:
            self.published = scorecards_reads.latest_published_day()
            self.day = self.published.date if self.published else None
        _refuse_if_not_kept(self.day)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or self.published is None:  # the schema asks without a request
            return Scorecard.objects.none()
        scope = self.request.scope
        # A staff member's scorecard of a day is read where they worked that day (staff.access).
        in_scope = scope.holder_records(on="date")
        return Scorecard.objects.filter(
            run_id=self.published.published_run_id, date=self.day, period=self.period
        ).filter(
            in_scope
        )  # the page's ids; the cards not in the cache, their lines, rules: kpi.selectors.scorecard_json

    def list(self, request, *args, **kwargs):
        fields, compact = _representation(request.query_params)
        # The page's ids only; each scorecard's JSON cached per published run (kpi.selectors.scorecard_json).
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()).values("pk"))
        ids = [row["pk"] for row in page]
        cards = scorecard_json.scorecards_json(ids, published=self.published, fields=fields, compact=compact)
        page = scorecard_json.page_json(
            next_link=self.paginator.get_next_link(),
            previous_link=self.paginator.get_previous_link(),
            cards=cards,
            compact=compact,
        )
        return conditional_response(
            request, body=page.body, etag=page.etag, last_modified=self.published and self.published.published_at
        )


def _refuse_if_not_kept(day) -> None:
    """A published day whose scorecards the retention rule pruned: 404 saying so, not an empty list."""
    not_kept = scorecards_not_kept(date=day) if day else None
    if not_kept is not None:
        raise NotFound({"date": [not_kept.api_message()]})


def _representation(params) -> tuple[tuple[str, ...], bool]:
    """`fields` (a comma list of the scorecard's fields; default all) and `lines` (full or compact),
    or 400 in the API's error format naming what is unknown."""
    errors = {}
    fields = SCORECARD_FIELDS
    if "fields" in params:
        asked = [name.strip() for name in params["fields"].split(",") if name.strip()]
        unknown = [name for name in asked if name not in SCORECARD_FIELDS]
        if unknown:
            errors["fields"] = [f"Unknown field(s): {', '.join(unknown)}; choose among {', '.join(SCORECARD_FIELDS)}."]
        elif not asked:
            errors["fields"] = [f"Name at least one field: {', '.join(SCORECARD_FIELDS)}."]
        else:
            fields = tuple(name for name in SCORECARD_FIELDS if name in asked)
    shape = params.get("lines") or "full"
    if shape not in ("full", "compact"):
        errors["lines"] = [f"“{shape}” is not a form of the lines; use full or compact."]
    if errors:
        raise ValidationError(errors)
    return fields, shape == "compact"


def _day_and_period(params) -> tuple:
    """The business day asked for (None: the latest rolled up) and the period kind (default: month), or 400."""
    errors = {}
    period = params.get("period") or scorecard_json.DEFAULT_PERIOD
    if period not in {kind.value for kind in PERIOD_KINDS}:
        errors["period"] = [f"“{period}” is not a period kind; use day, week, month, quarter or year."]
    day = None
    if params.get("date"):
        try:
            day = parse_date(params["date"])
        except ValueError:
            errors["date"] = ["Write the business date as YYYY-MM-DD, e.g. 2026-11-24."]
    if errors:
        raise ValidationError(errors)
    return day, period


urlpatterns = [
    path("scorecards/", ScorecardListView.as_view(), name="api-scorecards"),
]
