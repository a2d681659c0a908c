"""The checklists' API shapes: template versions with their sections and items (read-only), patrol sheets
with their answers, inspections with their findings (names through the reader's scope), and what a
round ticked or an inspection recorded sends."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from checklists.models import (
    ChecklistItem,
    ChecklistSection,
    ChecklistTemplate,
    Finding,
    Inspection,
    PatrolSheet,
    Severity,
    SheetAnswer,
)
from lib.api import StrictFieldsMixin
from lib.api_fields import DateField, HourMinuteField
from lib.ids import MAX_ID
from staff.models import Role


class ChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "text", "scoring", "max_points", "evidence_required", "sort_order"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "The item's id (answers and findings name it)."},
            "text": {"help_text": "What is checked."},
            "scoring": {"help_text": "pass_fail, or points (in order only with all of them)."},
            "max_points": {"help_text": "Scored in points: the most it gives; null for pass/fail."},
            "evidence_required": {"help_text": "An answer needs a photo."},
            "sort_order": {"help_text": "Its place in its section."},
        }


class ChecklistSectionSerializer(serializers.ModelSerializer):
    items = ChecklistItemSerializer(many=True, read_only=True, help_text="The section's items, in order.")

    class Meta:
        model = ChecklistSection
        fields = ["name", "sort_order", "items"]
        read_only_fields = fields
        extra_kwargs = {"name": {"help_text": "环境, 着装, 设备, 物料, …"}, "sort_order": {"help_text": "Its place."}}


class ChecklistTemplateSerializer(serializers.ModelSerializer):
    post = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="The post that ticks a patrol; null: any."
    )
    sections = ChecklistSectionSerializer(many=True, read_only=True, help_text="Sections with their items.")
    # Declared: a model field's read-only ChoiceField loses allow_blank, and the schema's enum its "".
    role = serializers.ChoiceField(
        choices=Role.choices,
        allow_blank=True,
        read_only=True,
        help_text="An inspection: the role that records it; empty: HQ, a unit manager or an auditor.",
    )

    class Meta:
        model = ChecklistTemplate
        fields = [
            "id",
            "code",
            "name_zh",
            "name_en",
            "kind",
            "effective_from",
            "post",
            "role",
            "frequency",
            "times",
            "grace_minutes",
            "is_active",
            "sections",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "The version's id (a sheet names the version it was filled on)."},
            "code": {"help_text": "The template's code, shared by its versions."},
            "name_zh": {"help_text": "Its name in Chinese."},
            "name_en": {"help_text": "Its name in English."},
            "kind": {"help_text": "patrol (巡检) or inspection (检查)."},
            "effective_from": {"help_text": "In force from this day until the next version's."},
            "frequency": {"help_text": "times (at set times of the day), daily, weekly, monthly or as_needed."},
            "times": {"help_text": 'At set times: ["09:00", "12:00", "15:30"].'},
            "grace_minutes": {"help_text": "A round may be ticked until this many minutes after its time."},
            "is_active": {"help_text": "False: withdrawn from this version's day on."},
        }


class SheetAnswerSerializer(serializers.ModelSerializer):
    item = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The item's id.")
    item_text = serializers.CharField(source="item.text", read_only=True, help_text="What was checked.")
    has_photo = serializers.SerializerMethodField(help_text="A photo is kept (served on the patrol page).")

    class Meta:
        model = SheetAnswer
        fields = ["item", "item_text", "passed", "points", "note", "has_photo"]
        read_only_fields = fields
        extra_kwargs = {
            "passed": {"help_text": "In order."},
            "points": {"help_text": "Points given (an item scored in points); null otherwise."},
            "note": {"help_text": "What is wrong."},
        }

    def get_has_photo(self, answer: SheetAnswer) -> bool:
        return bool(answer.photo)


class PatrolSheetSerializer(serializers.ModelSerializer):
    template = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The version it was filled on.")
    template_code = serializers.CharField(source="template.code", read_only=True, help_text="The template's code.")
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The outlet.")
    slot = HourMinuteField(
        read_only=True, allow_null=True, help_text="The round's time; null for a daily or longer round."
    )
    staff = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Who ticked it (staff code)."
    )
    staff_name = serializers.SerializerMethodField(help_text="Their name, masked unless you may read personal data.")
    answers = SheetAnswerSerializer(many=True, read_only=True, help_text="Item by item; none for a missed round.")

    class Meta:
        model = PatrolSheet
        fields = [
            "id",
            "template",
            "template_code",
            "unit",
            "day",
            "slot",
            "status",
            "staff",
            "staff_name",
            "filled_at",
            "note",
            "items_checked",
            "items_passed",
            "seen_at",
            "answers",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "day": {"help_text": "The round's day (a weekly or monthly round: its first day)."},
            "status": {"help_text": "done or missed."},
            "filled_at": {"help_text": "When it was ticked."},
            "note": {"help_text": "A note on the round."},
            "items_checked": {"help_text": "Items due to be checked (a missed round: all of them)."},
            "items_passed": {"help_text": "Items found in order (a missed round: 0)."},
            "seen_at": {"help_text": "When the outlet head looked at it (a miss or a failed item)."},
        }

    def get_staff_name(self, sheet: PatrolSheet) -> str:
        return self.context["scope"].person_name(sheet.staff.name) if sheet.staff_id else ""


class AnswerInSerializer(StrictFieldsMixin, serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The item's id.")
    passed = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="A pass/fail item: in order."
    )
    points = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        help_text="An item scored in points.",
    )
    note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="What is wrong."
    )


class PatrolTickSerializer(StrictFieldsMixin, serializers.Serializer):
    template = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The version in force today (its id).")
    unit = serializers.CharField(max_length=32, help_text="The outlet's code.")
    slot = HourMinuteField(
        required=False, allow_null=True, default=None,
        help_text="The round's time, HH:MM; leave out for a daily or longer round.",
    )  # fmt: skip
    answers = AnswerInSerializer(many=True, help_text="Every item of the version, once.")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="", help_text="A note.")


class FindingSerializer(serializers.ModelSerializer):
    inspection = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Its inspection.")
    unit = serializers.CharField(source="inspection.unit.code", read_only=True, help_text="The outlet inspected.")
    day = serializers.DateField(source="inspection.day", read_only=True, help_text="The day of the inspection.")
    item = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, help_text="The checklist item, if any.")
    staff = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Responsible (staff code)."
    )
    staff_name = serializers.SerializerMethodField(help_text="Their name, masked unless you may read personal data.")
    alert = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The alert it opened (整改 → 复查)."
    )
    alert_status = serializers.SerializerMethodField(help_text="The alert's status: open … verified (closed).")
    ledger_entry = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Its deduction in the ledger."
    )
    deduction_points = serializers.SerializerMethodField(
        help_text="The points the deduction took (below 0); null without one."
    )
    has_photo = serializers.SerializerMethodField(help_text="A photo is kept (served on the inspection page).")

    class Meta:
        model = Finding
        fields = [
            "id", "inspection", "unit", "day", "item", "text", "severity", "staff", "staff_name", "deadline",
            "alert", "alert_status", "ledger_entry", "deduction_points", "vetoes", "has_photo",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "text": {"help_text": "What was found."},
            "severity": {"help_text": "minor, major or severe."},
            "deadline": {"help_text": "The day to rectify by."},
            "vetoes": {"help_text": "Vetoes the outlet's month (一票否决)."},
        }

    def get_staff_name(self, finding: Finding) -> str:
        return self.context["scope"].person_name(finding.staff.name) if finding.staff_id else ""

    def get_alert_status(self, finding: Finding) -> str:
        return finding.alert.status if finding.alert_id else ""

    def get_deduction_points(self, finding: Finding) -> str | None:
        return f"{finding.ledger_entry.points:f}" if finding.ledger_entry_id else None

    def get_has_photo(self, finding: Finding) -> bool:
        return bool(finding.photo)


class InspectionSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The outlet inspected.")
    template = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The checklist version used."
    )
    inspector = serializers.SerializerMethodField(help_text="Who inspected (masked unless you may read personal data).")
    findings = serializers.SerializerMethodField(help_text="Its findings you may see.")

    class Meta:
        model = Inspection
        fields = ["id", "unit", "day", "title", "summary", "template", "inspector", "created_at", "findings"]
        read_only_fields = fields
        extra_kwargs = {
            "day": {"help_text": "The day of the inspection."},
            "title": {"help_text": "稽核检查, 内控检查, …"},
            "summary": {"help_text": "What the inspector wrote."},
            "created_at": {"help_text": "When it was recorded."},
        }

    def get_inspector(self, inspection: Inspection) -> str:
        user = inspection.inspector
        return self.context["scope"].person_name(user.get_full_name() or user.username) if user else ""

    @extend_schema_field(FindingSerializer(many=True))
    def get_findings(self, inspection: Inspection) -> list[dict]:
        from checklists.selectors import findings_visible

        scope = self.context["scope"]
        rows = findings_visible(scope, inspection.findings.all()).select_related(
            "inspection", "inspection__unit", "staff", "alert", "ledger_entry"
        )
        return FindingSerializer(rows, many=True, context=self.context).data


class FindingInSerializer(StrictFieldsMixin, serializers.Serializer):
    text = serializers.CharField(max_length=300, help_text="What was found.")
    severity = serializers.ChoiceField(choices=Severity.choices, help_text="minor, major or severe.")
    deadline = DateField(help_text="The day to rectify by, YYYY-MM-DD.")
    item = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text="A checklist item's id.",
    )
    staff = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", help_text="Responsible (staff code)."
    )
    deduction_item = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="A deduction item's code (a severe finding).",
    )
    deduction_quantity = serializers.IntegerField(
        min_value=1, max_value=100, required=False, default=1, help_text="Times."
    )
    vetoes = serializers.BooleanField(required=False, default=False, help_text="Vetoes the month (a severe finding).")


class InspectionCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    unit = serializers.CharField(max_length=32, help_text="The outlet's code.")
    day = DateField(help_text="The day of the inspection, YYYY-MM-DD (today or before).")
    title = serializers.CharField(max_length=100, help_text="稽核检查, 内控检查, …")
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="", help_text="Summary.")
    template = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text="An inspection checklist version's id.",
    )
    findings = FindingInSerializer(
        many=True, help_text="Its findings; none (an empty list) when the summary says the inspection found nothing."
    )
