"""The checklists over the REST API (issue 19):

    GET  /api/v1/checklist-templates/     template versions with sections and items (read-only; HQ edits
                                          them in the admin)
    GET  /api/v1/patrol-sheets/           patrol rounds in scope, done or missed, with their answers
    POST /api/v1/patrol-sheets/           tick a round (a signed-in person who may tick it)
    GET  /api/v1/inspections/             inspections in scope with the findings the reader may see
    POST /api/v1/inspections/             record an inspection (a signed-in supervisor, HQ or auditor)
    GET  /api/v1/inspection-findings/     findings in scope (filters unit, under, severity, open)

Reads need the read scope. Rounds and inspections are recorded by people (a signed-in user, with the
pages' rules): a token cannot walk a lobby or inspect an outlet. Every write goes through
checklists.services, as the pages' do: the same checks and words, nothing written on any error. Names
are masked unless the reader may read personal data.
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from alerts.models import ACTIVE_STATUSES
from checklists.models import (
    ChecklistItem,
    ChecklistKind,
    ChecklistTemplate,
    Finding,
    Inspection,
    PatrolSheet,
    Severity,
    SheetStatus,
)
from checklists.selectors import findings_visible, inspections_visible, patrol_outlets, sheets_visible, templates_list
from checklists.serializers import (
    ChecklistTemplateSerializer,
    FindingSerializer,
    InspectionCreateSerializer,
    InspectionSerializer,
    PatrolSheetSerializer,
    PatrolTickSerializer,
)
from checklists.services import AnswerIn, FindingIn, inspection_record, patrol_tick
from ledger.models import ItemKind, LedgerItem
from lib.api import ApiErrorsSerializer, DepthLimitedJSONParser
from staff.access import get_unit_or_404
from staff.api_scope import BAD_LIST_QUERY, NO_SUCH_UNIT, ScopedFilterMethods, ScopedListView, by_token, refuse_tokens
from staff.models import StaffMember

TAGS = ["checklists"]
_BAD = OpenApiResponse(
    ApiErrorsSerializer,
    description="An unknown field, id or code, a round not open now or already recorded, an item left unanswered, "
    "a deadline before the inspection, a deduction or veto on a finding that is not severe: every problem, by field.",
)
_PEOPLE_ONLY = OpenApiResponse(ApiErrorsSerializer, description="A token, or someone who may not record it.")


class ChecklistTemplateListView(ScopedListView):
    model = ChecklistTemplate
    serializer_class = ChecklistTemplateSerializer
    filter_backends = []

    def scoped_queryset(self, scope):
        return templates_list().order_by("pk")

    @extend_schema(
        operation_id="checklist_templates_list",
        summary="Checklist templates",
        description="Every version of every checklist (巡检记录表, 内控检查表): its kind, who fills it, how often, its "
        "sections and items. A version is in force from its day until the next version's; sheets keep the version "
        "they were filled on. Read-only: HQ edits templates in the admin.",
        responses={200: ChecklistTemplateSerializer(many=True), 400: OpenApiResponse(ApiErrorsSerializer)},
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SheetFilter(ScopedFilterMethods, django_filters.FilterSet):
    unit = django_filters.CharFilter(method="filter_unit", help_text="Rounds of one outlet, by code.")
    under = django_filters.CharFilter(method="filter_under", help_text="Rounds of the outlets of a subtree.")
    status = django_filters.ChoiceFilter(choices=SheetStatus.choices, help_text="done or missed.")
    since = django_filters.DateFilter(field_name="day", lookup_expr="gte", help_text="From this day on.")
    until = django_filters.DateFilter(field_name="day", lookup_expr="lte", help_text="Up to this day.")

    class Meta:
        model = PatrolSheet
        fields = ["unit", "under", "status", "since", "until"]


class PatrolSheetListView(ScopedListView):
    model = PatrolSheet
    serializer_class = PatrolSheetSerializer
    filterset_class = SheetFilter
    parser_classes = [DepthLimitedJSONParser]

    def scoped_queryset(self, scope):
        return (
            sheets_visible(scope)
            .select_related("template", "unit", "staff")
            .prefetch_related("answers__item")
            .order_by("pk")
        )

    @extend_schema(
        operation_id="patrol_sheets_list",
        summary="Patrol rounds in scope",
        description="The rounds of the outlets you see (a staff member: of the outlets they worked at that day), "
        "done or missed, with their answers. items_checked and items_passed add up to the pass rate: a missed round "
        "counts with all its items as checked and not in order.",
        responses={
            200: PatrolSheetSerializer(many=True),
            400: BAD_LIST_QUERY,
            404: NO_SUCH_UNIT,
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="patrol_sheets_create",
        summary="Tick a patrol round",
        description="Records a round of today's patrol at an outlet, as the phone page does: every item answered once "
        "(passed, or points), while the round is open (from 30 minutes before its time to its grace after). The lobby "
        "staff of the template's post at that outlet, or its outlet head. Items that need a photo are ticked on the "
        "page. Tokens may not tick (403).",
        request=PatrolTickSerializer,
        examples=[
            OpenApiExample(
                "The 09:00 round",
                {"template": 3, "unit": "GZ0101", "slot": "09:00", "answers": [{"item": 11, "passed": True}]},
                request_only=True,
            )
        ],
        responses={201: PatrolSheetSerializer, 400: _BAD, 403: _PEOPLE_ONLY, 404: OpenApiResponse(ApiErrorsSerializer)},
        tags=TAGS,
    )
    def post(self, request, *args, **kwargs):
        refuse_tokens(request, "a patrol is ticked by a person walking the lobby (tokens may not)")
        incoming = PatrolTickSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        today = timezone.localdate()
        unit = patrol_outlets(request.scope, request.user, today).filter(code=data["unit"]).first()
        if unit is None:
            raise ValidationError({"unit": [f"outlet '{data['unit']}' is not known"]})
        template = ChecklistTemplate.objects.filter(pk=data["template"], kind=ChecklistKind.PATROL).first()
        if template is None:
            raise ValidationError({"template": [f"patrol template {data['template']} is not known"]})
        sheet = patrol_tick(
            scope=request.scope,
            user=request.user,
            template=template,
            unit=unit,
            day=today,
            slot=data["slot"],
            answers=[
                AnswerIn(item_id=a["item"], passed=a["passed"], points=a["points"], note=a["note"])
                for a in data["answers"]
            ],
            note=data["note"],
        )
        sheet = self.get_queryset().get(pk=sheet.pk)
        return Response(self.get_serializer(sheet).data, status=status.HTTP_201_CREATED)


class InspectionFilter(ScopedFilterMethods, django_filters.FilterSet):
    unit = django_filters.CharFilter(method="filter_unit", help_text="Inspections of one outlet, by code.")
    under = django_filters.CharFilter(method="filter_under", help_text="Inspections of the outlets of a subtree.")
    since = django_filters.DateFilter(field_name="day", lookup_expr="gte", help_text="From this day on.")
    until = django_filters.DateFilter(field_name="day", lookup_expr="lte", help_text="Up to this day.")

    class Meta:
        model = Inspection
        fields = ["unit", "under", "since", "until"]


class InspectionListView(ScopedListView):
    model = Inspection
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    parser_classes = [DepthLimitedJSONParser]

    def scoped_queryset(self, scope):
        return inspections_visible(scope).select_related("unit", "inspector").order_by("pk")

    @extend_schema(
        operation_id="inspections_list",
        summary="Inspections in scope",
        description="Inspections (稽核检查, 内控检查) of the outlets you see, with the findings you may see (a staff "
        "member: the inspections naming them responsible, and those findings only).",
        responses={
            200: InspectionSerializer(many=True),
            400: BAD_LIST_QUERY,
            404: NO_SUCH_UNIT,
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="inspections_create",
        summary="Record an inspection",
        description="Records an inspection of an outlet with its findings, all or nothing, as the page does: each "
        "finding opens an alert of kind `inspection` (整改 → 复查); a severe one may carry a deduction entered and "
        "approved in the ledger (the inspection recorded today or yesterday) or veto the outlet's month. A signed-in "
        "HQ administrator, supervising unit manager or auditor; never the outlet's own head; tokens may not (403).",
        request=InspectionCreateSerializer,
        examples=[
            OpenApiExample(
                "One severe finding",
                {
                    "unit": "GZ0101",
                    "day": "2026-12-02",
                    "title": "内控检查",
                    "findings": [
                        {
                            "text": "重要空白凭证未入库保管",
                            "severity": "severe",
                            "deadline": "2026-12-09",
                            "vetoes": True,
                        }
                    ],
                },
                request_only=True,
            )
        ],
        responses={201: InspectionSerializer, 400: _BAD, 403: _PEOPLE_ONLY, 404: OpenApiResponse(ApiErrorsSerializer)},
        tags=TAGS,
    )
    def post(self, request, *args, **kwargs):
        if by_token(request) or not request.scope.may_record_some_inspection:
            raise PermissionDenied("inspections are recorded by a signed-in HQ administrator, unit manager or auditor")
        incoming = InspectionCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        unit = get_unit_or_404(request.scope, data["unit"])
        errors: dict[str, list[str]] = {}
        template = None
        if data["template"] is not None:
            template = ChecklistTemplate.objects.filter(pk=data["template"], kind=ChecklistKind.INSPECTION).first()
            if template is None:
                errors["template"] = [f"inspection checklist {data['template']} is not known"]
        codes = {f["staff"] for f in data["findings"]} - {""}
        people = {member.code: member for member in StaffMember.objects.filter(code__in=codes)}
        deduction_codes = {f["deduction_item"] for f in data["findings"]} - {""}
        deductions = {
            item.code: item for item in LedgerItem.objects.filter(code__in=deduction_codes, kind=ItemKind.DEDUCTION)
        }
        item_ids = {f["item"] for f in data["findings"]} - {None}
        items = {item.pk: item for item in ChecklistItem.objects.filter(pk__in=item_ids)}
        findings = []
        for number, finding in enumerate(data["findings"]):
            staff = people.get(finding["staff"])
            if finding["staff"] and (staff is None or not request.scope.can_see_staff(staff)):
                errors.setdefault("findings", []).append(f"{number}: staff member '{finding['staff']}' is not known")
            if finding["deduction_item"] and finding["deduction_item"] not in deductions:
                errors.setdefault("findings", []).append(
                    f"{number}: deduction item '{finding['deduction_item']}' is not known"
                )
            if finding["item"] is not None and finding["item"] not in items:
                errors.setdefault("findings", []).append(f"{number}: checklist item {finding['item']} is not known")
            findings.append(
                FindingIn(
                    text=finding["text"],
                    severity=finding["severity"],
                    deadline=finding["deadline"],
                    item=items.get(finding["item"]),
                    staff=staff,
                    deduction_item=deductions.get(finding["deduction_item"]),
                    deduction_quantity=finding["deduction_quantity"],
                    vetoes=finding["vetoes"],
                )
            )
        if errors:
            raise ValidationError(errors)
        inspection = inspection_record(
            scope=request.scope,
            user=request.user,
            unit=unit,
            day=data["day"],
            title=data["title"],
            summary=data["summary"],
            template=template,
            findings=findings,
        )
        inspection = self.get_queryset().get(pk=inspection.pk)
        return Response(self.get_serializer(inspection).data, status=status.HTTP_201_CREATED)


class FindingFilter(ScopedFilterMethods, django_filters.FilterSet):
    unit = django_filters.CharFilter(method="filter_unit", help_text="Findings of one outlet, by code.")
    under = django_filters.CharFilter(method="filter_under", help_text="Findings of the outlets of a subtree.")
    severity = django_filters.ChoiceFilter(choices=Severity.choices, help_text="minor, major or severe.")
    open = django_filters.BooleanFilter(method="filter_open", help_text="true: still to rectify or re-check.")

    class Meta:
        model = Finding
        fields = ["unit", "under", "severity", "open"]

    def filter_unit(self, queryset, name, value):
        return queryset.filter(inspection__unit=get_unit_or_404(self.request.scope, value))

    def filter_under(self, queryset, name, value):
        return queryset.filter(inspection__unit__path__startswith=get_unit_or_404(self.request.scope, value).path)

    def filter_open(self, queryset, name, value):
        active = queryset.filter(alert__status__in=ACTIVE_STATUSES)
        return active if value else queryset.exclude(pk__in=active.values("pk"))


class FindingListView(ScopedListView):
    model = Finding
    serializer_class = FindingSerializer
    filterset_class = FindingFilter

    def scoped_queryset(self, scope):
        return (
            findings_visible(scope)
            .select_related("inspection", "inspection__unit", "staff", "alert", "ledger_entry")
            .order_by("pk")
        )

    @extend_schema(
        operation_id="inspection_findings_list",
        summary="Inspection findings in scope",
        description="Findings of the outlets you see (a staff member: those naming them responsible), with their "
        "alert's status, deduction and veto.",
        responses={
            200: FindingSerializer(many=True),
            400: BAD_LIST_QUERY,
            404: NO_SUCH_UNIT,
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("checklist-templates/", ChecklistTemplateListView.as_view(), name="checklist-template-list"),
    path("patrol-sheets/", PatrolSheetListView.as_view(), name="patrol-sheet-list"),
    path("inspections/", InspectionListView.as_view(), name="inspection-list"),
    path("inspection-findings/", FindingListView.as_view(), name="inspection-finding-list"),
]
