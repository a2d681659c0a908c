"""Judged PK contests' score sheets (kpi.services.judging):

    GET  /api/v1/contests/{id}/sheets/   the sheets you may read: before the close a judge's own only
                                         (nobody else reads any), after it every sheet
    POST /api/v1/contests/{id}/sheets/   a judge saves their sheet for one outlet (all or nothing)

Judges are people on the contest's panel; tokens read only what the close has made public.
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.models import OrgUnit
from kpi.models import JudgeSheet
from kpi.selectors.contests import contest_get_or_404
from kpi.services.judging import judge_sheet_save, sheets_visible
from lib.api import ApiErrorsSerializer, DepthLimitedJSONParser, StrictFieldsMixin
from staff.api_scope import ScopedViewMixin, by_token, refuse_tokens

TAGS = ["contests"]


class JudgeSheetSerializer(serializers.ModelSerializer):
    outlet = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The outlet scored.")
    judge = serializers.SerializerMethodField(help_text="The judge's name, masked unless you may read personal data.")
    scores = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text="Item id → score, as decimals in text."
    )
    total = serializers.DecimalField(
        max_digits=7, decimal_places=4, read_only=True, help_text="Σ weight × score / full marks × 100 / Σ weights."
    )

    class Meta:
        model = JudgeSheet
        fields = ["id", "outlet", "judge", "scores", "total", "comment", "updated_at"]
        read_only_fields = fields

    def get_judge(self, sheet: JudgeSheet) -> str:
        user = sheet.judge
        return self.context["scope"].person_name(user.get_full_name() or user.get_username())


class JudgeSheetSaveSerializer(StrictFieldsMixin, serializers.Serializer):
    outlet = serializers.CharField(max_length=32, help_text="The outlet scored, by code.")
    scores = serializers.DictField(
        child=serializers.DecimalField(max_digits=6, decimal_places=2),
        help_text="Item id → score, from 0 to the item's full marks; every item of the form.",
    )
    comment = serializers.CharField(max_length=300, required=False, allow_blank=True)


class JudgeSheetsView(ScopedViewMixin, APIView):
    parser_classes = [DepthLimitedJSONParser]

    def _contest(self, contest_id: int):
        # A contest read from the KPIs has no sheets: its list is empty, and a sheet for it is refused (400).
        return contest_get_or_404(scope=self.request.scope, contest_id=contest_id)

    @extend_schema(
        operation_id="contest_sheets_list",
        summary="Score sheets of a judged contest",
        description="Before the close (after the contest's last day) a judge reads their own sheets only, and "
        "nobody else reads any; after it every sheet is readable by whoever reads the contest.",
        responses={200: JudgeSheetSerializer(many=True), 404: OpenApiResponse(ApiErrorsSerializer)},
        tags=TAGS,
    )
    def get(self, request, contest_id: int):
        contest = self._contest(contest_id)
        user = None if by_token(request) else request.user
        sheets = sheets_visible(contest=contest, user=user or _Nobody(), today=timezone.localdate()).order_by("pk")
        return Response(JudgeSheetSerializer(sheets, many=True, context={"scope": request.scope}).data)

    @extend_schema(
        operation_id="contest_sheets_save",
        summary="Save a score sheet",
        description="A judge of the panel scores one outlet on every item of the form; saved again, it replaces "
        "the judge's sheet for that outlet. Refused after the close.",
        request=JudgeSheetSaveSerializer,
        examples=[
            OpenApiExample("Two items", {"outlet": "GZ0101", "scores": {"3": "85", "4": "90"}}, request_only=True)
        ],
        responses={
            201: JudgeSheetSerializer,
            400: OpenApiResponse(ApiErrorsSerializer, description="Every problem, by field; nothing is written."),
            403: OpenApiResponse(ApiErrorsSerializer, description="Not a judge of this contest, or a token."),
            404: OpenApiResponse(ApiErrorsSerializer),
        },
        tags=TAGS,
    )
    def post(self, request, contest_id: int):
        refuse_tokens(request, "score sheets are filled in by the judges themselves: sign in (tokens read)")
        incoming = JudgeSheetSaveSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        contest = self._contest(contest_id)
        data = incoming.validated_data
        outlet = OrgUnit.objects.filter(code=data["outlet"]).first()
        if outlet is None:
            raise ValidationError({"outlet": [f"outlet '{data['outlet']}' does not compete in this contest"]})
        sheet = judge_sheet_save(
            contest=contest,
            judge=request.user,
            outlet=outlet,
            scores=data["scores"],
            comment=data.get("comment", ""),
            today=timezone.localdate(),
        )
        return Response(
            JudgeSheetSerializer(sheet, context={"scope": request.scope}).data, status=status.HTTP_201_CREATED
        )


class _Nobody:
    """A token reads as nobody in particular: only what the close made public."""

    is_authenticated = False


urlpatterns = [path("contests/<int:contest_id>/sheets/", JudgeSheetsView.as_view(), name="contest-sheets")]
