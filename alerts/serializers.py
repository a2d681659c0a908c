"""API representations of alerts, their history, weekly reviews and improvement plans (alerts/api.py).

People are named by their login (`username`), which is also how PATCH names an alert's owner. A
person's name (the owner's, in the history of changes) is personal data: it is shown through the
reader's Scope (`scope` in the context; masked when absent), Scope.person_name.
"""

from __future__ import annotations

from drf_spectacular.drainage import set_override
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertStatus,
    Cause,
    ImprovementPlan,
    Measure,
    ReviewStatus,
    WeeklyReview,
)
from alerts.selectors import plan_progress
from alerts.services.follow_up import PERSON_FIELDS
from lib.api import StrictFieldsMixin
from lib.api_fields import DateField
from staff.access import Scope


def _status_field(choices, **kwargs) -> serializers.CharField:
    """A read-only status written as its code. Its enum is inlined in the schema: drf-spectacular would
    otherwise make one `StatusEnum` component of every `status` field of the API and complain of the clash."""
    field = serializers.CharField(read_only=True, **kwargs)
    values = [value for value, _label in choices]
    set_override(field, "field", {"type": "string", "enum": values, "description": kwargs.get("help_text", "")})
    return field


def _login(user) -> str | None:
    return user.username if user is not None else None


@extend_schema_field({"type": "string", "nullable": True, "description": "The login's username; null: nobody."})
class ReadUsernameField(serializers.Field):
    """A login as its username (null for nobody)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, user) -> str | None:
        return _login(user)


class AlertRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertRule
        fields = ["id", "name", "kind", "severity"]
        read_only_fields = fields


class AlertEventSerializer(serializers.ModelSerializer):
    by = ReadUsernameField(help_text="Who made the change; null: the system (the rollup).")
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(allow_null=True), min_length=2, max_length=2),
        read_only=True,
        help_text="Follow-up fields changed: {field: [old, new]} (null: empty). The owner is named by the "
        "person's name, masked (林*燕) unless you may read personal data.",
    )

    class Meta:
        model = AlertEvent
        fields = ["at", "by", "from_status", "to_status", "changes", "comment"]
        read_only_fields = fields

    def to_representation(self, event: AlertEvent) -> dict:
        data = super().to_representation(event)
        scope = self.context.get("scope") or Scope.nothing()
        data["changes"] = {
            field: [None if value is None else scope.person_name(value) for value in values]
            if field in PERSON_FIELDS
            else values
            for field, values in data["changes"].items()
        }
        return data


class AlertSerializer(serializers.ModelSerializer):
    rule = AlertRuleSerializer(read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The unit's code.")
    metric = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="The metric's code; null for missing data."
    )
    status = _status_field(
        AlertStatus.choices,
        help_text="open → in_progress → done → verified (复查), or reopened; cleared: the condition cleared by "
        "itself before anyone worked on it.",
    )
    owner = ReadUsernameField(help_text="Who owns the follow-up (a username); null: nobody yet.")
    cause = _status_field(
        [*Cause.choices, ("", "")], help_text="market, customer or internal (process); empty: not said yet."
    )
    overdue = serializers.BooleanField(
        read_only=True, help_text="The deadline has passed and the alert is still open, in progress or reopened."
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "unit",
            "metric",
            "status",
            "opened_on",
            "last_seen_on",
            "cleared_on",
            "closed_at",
            "value",
            "detail",
            "owner",
            "cause",
            "action_plan",
            "deadline",
            "overdue",
        ]
        read_only_fields = fields


class AlertDetailSerializer(AlertSerializer):
    events = AlertEventSerializer(source="history", many=True, read_only=True, help_text="The history, oldest first.")

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "events"]
        read_only_fields = fields


class AlertUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """PATCH: any of the four follow-up fields; those not sent are left as they are."""

    owner = serializers.CharField(
        allow_null=True,
        required=False,
        max_length=150,
        help_text="The username of someone who can follow up the unit (HQ, a unit manager above it, its outlet "
        "head); null to clear.",
    )
    cause = serializers.ChoiceField(choices=Cause.choices, allow_blank=True, required=False)
    action_plan = serializers.CharField(allow_blank=True, required=False, max_length=10_000)
    deadline = DateField(allow_null=True, required=False, help_text="YYYY-MM-DD; null to clear.")


class AlertTransitionSerializer(StrictFieldsMixin, serializers.Serializer):
    to = serializers.ChoiceField(
        choices=[status for status in AlertStatus.choices if status[0] != AlertStatus.CLEARED],
        help_text="in_progress (needs owner, cause, action plan and deadline), done, verified or reopened "
        "(the level above the outlet only).",
    )
    comment = serializers.CharField(
        allow_blank=True, required=False, max_length=4000, help_text="Required when reopening: what is still wrong."
    )


class WeeklyReviewSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The outlet's code.")
    missed = serializers.ListField(
        child=serializers.DictField(),
        read_only=True,
        help_text="The weekly targets missed: [{metric, target, actual, attainment}, …].",
    )
    status = _status_field(
        ReviewStatus.choices,
        help_text="to_fill: waiting for the outlet; submitted: waiting for the manager's answer; answered.",
    )
    submitted_by = ReadUsernameField()
    answered_by = ReadUsernameField()

    class Meta:
        model = WeeklyReview
        fields = [
            "id",
            "unit",
            "week_start",
            "missed",
            "status",
            "what_happened",
            "why",
            "remedy",
            "support_needed",
            "support_from",
            "submitted_by",
            "submitted_at",
            "answer",
            "answered_by",
            "answered_at",
        ]
        read_only_fields = fields


class MeasureSerializer(serializers.ModelSerializer):
    owner = ReadUsernameField()

    class Meta:
        model = Measure
        fields = ["id", "description", "owner", "due", "progress", "done_at"]
        read_only_fields = fields


class ImprovementPlanSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The outlet's code.")
    progress = serializers.SerializerMethodField(help_text="The average progress of the measures, 0–100.")
    created_by = ReadUsernameField()
    measures = MeasureSerializer(many=True, read_only=True)

    class Meta:
        model = ImprovementPlan
        fields = [
            "id",
            "unit",
            "period",
            "title",
            "diagnosis",
            "progress",
            "created_by",
            "created_at",
            "updated_at",
            "measures",
        ]
        read_only_fields = fields

    def get_progress(self, plan: ImprovementPlan) -> int:
        return plan_progress(plan)
