"""The API's shapes of target plans and their cells (plans/api.py)."""

from __future__ import annotations

from rest_framework import serializers

from lib.api import StrictFieldsMixin
from lib.api_fields import NumberField, PeriodField
from lib.periods import PERIOD_KINDS
from plans.models import AcknowledgementStatus, Plan, PlanCell, PlanStatus, TargetAcknowledgement
from plans.services.cells import PLAN_KINDS

MAX_CELLS_PER_REQUEST = 5000


class AcknowledgementSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The unit given targets.")
    status = serializers.ChoiceField(choices=AcknowledgementStatus.values, read_only=True)
    answered_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="The login that answered, if any."
    )

    class Meta:
        model = TargetAcknowledgement
        fields = ["unit", "status", "reason", "answered_by", "answered_at"]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="The unit whose subtree is planned."
    )
    period_kind = serializers.ChoiceField(choices=[kind.value for kind in PERIOD_KINDS], read_only=True)
    metrics = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True, help_text="Metric codes.")
    status = serializers.ChoiceField(choices=PlanStatus.values, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    acknowledgements = AcknowledgementSerializer(
        many=True, read_only=True, help_text="Once published: each unit given targets and its answer (签收)."
    )

    class Meta:
        model = Plan
        fields = [
            "id",
            "name",
            "unit",
            "period",
            "period_kind",
            "period_start",
            "period_end",
            "metrics",
            "status",
            "note",
            "created_by",
            "token_name",
            "created_at",
            "updated_at",
            "published_by",
            "published_at",
            "acknowledgements",
        ]
        read_only_fields = fields


class PlanCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A new draft plan."""

    unit = serializers.CharField(max_length=32, help_text="Org unit code: the plan covers its subtree.")
    period = PeriodField(kinds=PLAN_KINDS, help_text="A year (2027), a quarter (2027-Q1), a month or an ISO week.")
    metrics = serializers.ListField(
        child=serializers.CharField(max_length=48), min_length=1, max_length=60, help_text="Metric codes."
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    revise = serializers.BooleanField(
        required=False,
        default=False,
        help_text="A new draft beside the unit's published plan for the period, to change its targets.",
    )


class PlanUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A draft's name and note."""

    name = serializers.CharField(max_length=100, required=False)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class PlanCellSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        help_text="The unit; for a staff member's cell, the outlet the row sits under.",
    )
    staff = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    staff_name = serializers.SerializerMethodField(
        help_text="The staff member's name, masked unless the token may read personal data."
    )
    metric = serializers.SlugRelatedField(slug_field="code", read_only=True)
    period_kind = serializers.ChoiceField(choices=[kind.value for kind in PERIOD_KINDS], read_only=True)
    basis = serializers.CharField(
        read_only=True,
        help_text="How the value was reached: hand, equal, level, sum, share:<period>, floored:<period>, "
        "fallback:<period>, copy:<factor>, pace:<day>, season:<weight>.",
    )

    class Meta:
        model = PlanCell
        fields = [
            "id",
            "unit",
            "staff",
            "staff_name",
            "metric",
            "period",
            "period_kind",
            "value",
            "basis",
            "updated_at",
        ]
        read_only_fields = fields

    def get_staff_name(self, cell: PlanCell) -> str | None:
        if cell.staff_id is None:
            return None
        return self.context["scope"].person_name(cell.staff.name)


class PlanCellWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    unit = serializers.CharField(
        max_length=32, help_text="Unit code; for a staff member, the outlet they are planned at."
    )
    staff = serializers.CharField(
        max_length=32, required=False, allow_null=True, allow_blank=True, help_text="Staff member code, or empty."
    )
    metric = serializers.CharField(max_length=48, help_text="Metric code (one of the plan's).")
    period = PeriodField(help_text="The plan's period, or one of its quarters or months.")
    value = NumberField(
        max_digits=20,
        decimal_places=4,
        allow_null=True,
        help_text="0 or more, below 10,000,000,000, at most 4 decimals, whole for counts (户 笔 人 件), best as a "
        'string: "500"; null clears the proposal.',
    )


class PlanCellsWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    cells = PlanCellWriteSerializer(many=True, help_text=f"At most {MAX_CELLS_PER_REQUEST} proposals, all or nothing.")

    def validate_cells(self, cells: list) -> list:
        if not cells:
            raise serializers.ValidationError("give at least one cell")
        if len(cells) > MAX_CELLS_PER_REQUEST:
            raise serializers.ValidationError(f"at most {MAX_CELLS_PER_REQUEST} cells per request")
        return cells


class SaveResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    cleared = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class PublishSerializer(StrictFieldsMixin, serializers.Serializer):
    fingerprint = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="The preview's fingerprint, to publish only what was seen; empty: publish as it stands.",
    )


class PublishedSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    acknowledgements = serializers.IntegerField(help_text="Units asked to acknowledge their targets.")
