"""API representations of meetings, the day's goals and action items (meetings/api.py).

Units, staff and metrics are named by their codes, logins by their username. A staff member's name is
personal data: it goes through the reader's Scope (`scope` in the context; masked when absent). Figures
are strings with the stored decimals, as everywhere in the API.
"""

from __future__ import annotations

from drf_spectacular.drainage import set_override
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lib.api import StrictFieldsMixin
from lib.api_fields import DateField, NumberField
from lib.ids import MAX_ID
from meetings.models import ActionItem, ActionStatus, Attendance, AttendanceStatus, Goal, Meeting, MeetingKind, Topic
from meetings.selectors import goal_actual, goal_met
from staff.access import Scope

AMOUNT = {"max_digits": 20, "decimal_places": 4}


def _scope(serializer) -> Scope:
    return serializer.context.get("scope") or Scope.nothing()


def _enum(field, values, description: str):
    """A code field whose enum is inlined in the schema (drf-spectacular would otherwise name one enum
    component per field name and warn of the clash with the other apps' `status` and `kind`)."""
    set_override(field, "field", {"type": "string", "enum": list(values), "description": description})
    return field


@extend_schema_field({"type": "string", "nullable": True, "description": "The login's username; null: nobody."})
class UsernameField(serializers.Field):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, user) -> str | None:
        return user.username if user is not None else None


class AttendanceSerializer(serializers.ModelSerializer):
    staff = serializers.CharField(source="staff.code", read_only=True, help_text="Staff code.")
    name = serializers.SerializerMethodField(help_text="The person's name, masked unless you may read personal data.")
    status = _enum(
        serializers.CharField(read_only=True),
        AttendanceStatus.values,
        "present, late, leave (请假) or absent.",
    )

    class Meta:
        model = Attendance
        fields = ["staff", "name", "status"]

    def get_name(self, mark: Attendance) -> str:
        return _scope(self).person_name(mark.staff.name)


class TopicSerializer(serializers.ModelSerializer):
    kind = _enum(
        serializers.CharField(read_only=True),
        ["script", "product", "case", "other"],
        "script (话术), product (产品), case (案例) or other.",
    )

    class Meta:
        model = Topic
        fields = ["kind", "text"]
        read_only_fields = fields


class GoalSerializer(serializers.ModelSerializer):
    meeting = serializers.IntegerField(source="meeting_id", read_only=True, help_text="The morning meeting's id.")
    unit = serializers.CharField(source="meeting.unit.code", read_only=True, help_text="The outlet's code.")
    date = serializers.DateField(source="meeting.date", read_only=True, help_text="The day the goal is for.")
    staff = serializers.CharField(source="staff.code", read_only=True, help_text="Staff code.")
    name = serializers.SerializerMethodField(help_text="The person's name, masked unless you may read personal data.")
    metric = serializers.CharField(source="metric.code", read_only=True, help_text="Metric code.")
    value = serializers.DecimalField(read_only=True, help_text="The goal, in the metric's unit.", **AMOUNT)
    actual = serializers.SerializerMethodField(
        help_text="The day's actual from the person's day scorecard, once the day is published (the rollup of the "
        "morning after); null before. A flow with no figure that day is 0."
    )
    met = serializers.SerializerMethodField(
        help_text="Whether the actual reaches the goal (at most the goal where lower is better); null without an "
        "actual."
    )
    set_by = UsernameField(help_text="Who set the goal last.")

    class Meta:
        model = Goal
        fields = [
            "id",
            "meeting",
            "unit",
            "date",
            "staff",
            "name",
            "metric",
            "value",
            "actual",
            "met",
            "set_by",
            "set_at",
        ]
        read_only_fields = fields

    def get_name(self, goal: Goal) -> str:
        return _scope(self).person_name(goal.staff.name)

    @extend_schema_field(serializers.DecimalField(allow_null=True, **AMOUNT))
    def get_actual(self, goal: Goal):
        actual = goal_actual(goal)
        return None if actual is None else serializers.DecimalField(**AMOUNT).to_representation(actual)

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_met(self, goal: Goal) -> bool | None:
        return goal_met(goal, goal_actual(goal))


class ActionItemSerializer(serializers.ModelSerializer):
    meeting = serializers.IntegerField(source="meeting_id", read_only=True, help_text="The meeting's id.")
    unit = serializers.CharField(source="meeting.unit.code", read_only=True, help_text="The meeting's unit.")
    owner = UsernameField(help_text="Who does it.")
    status = _enum(serializers.CharField(read_only=True), ActionStatus.values, "open or done.")
    overdue = serializers.BooleanField(read_only=True, help_text="Open and past its due day.")
    link_kind = serializers.CharField(
        read_only=True,
        help_text="What it is linked to: alert, improvement_plan (一点一策), target; empty: nothing.",
    )
    link_id = serializers.IntegerField(read_only=True, allow_null=True, help_text="The linked object's id.")
    done_by = UsernameField(help_text="Who marked it done; null when it closed with its linked alert.")

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "meeting",
            "unit",
            "text",
            "owner",
            "due",
            "status",
            "overdue",
            "link_kind",
            "link_id",
            "closed_with_link",
            "done_at",
            "done_by",
            "created_at",
        ]
        read_only_fields = fields


class MeetingSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True, help_text="The unit's code.")
    kind = _enum(serializers.CharField(read_only=True), MeetingKind.values, "morning (晨会) or weekly (周例会).")
    date = serializers.DateField(read_only=True, help_text="The day; a Monday meeting's Monday.")
    held_by = UsernameField(help_text="Who held the meeting.")
    goal_metrics = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="The metrics the day's goals are set on."
    )
    attendance = AttendanceSerializer(many=True, read_only=True)
    topics = TopicSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", "unit", "kind", "date", "held_by", "goal_metrics", "attendance", "topics", "decisions"]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingSerializer):
    goals = GoalSerializer(many=True, read_only=True, source="goal_rows")
    action_items = ActionItemSerializer(many=True, read_only=True, source="item_rows")

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "goals", "action_items"]
        read_only_fields = fields


# -- writes -------------------------------------------------------------------------------------------------


class GoalInputSerializer(StrictFieldsMixin, serializers.Serializer):
    staff = serializers.CharField(max_length=32, help_text="Staff code of someone who works at the outlet that day.")
    metric = serializers.CharField(max_length=48, help_text="Metric code of a flow or net change kept for staff.")
    value = NumberField(
        allow_null=True, help_text="The goal in the metric's unit (3 for 3 户); null clears the goal.", **AMOUNT
    )


class GoalsWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    unit = serializers.CharField(max_length=32, help_text="The outlet's code, in your scope.")
    date = DateField(help_text="The morning meeting's day, YYYY-MM-DD: today, or tomorrow to prepare it.")
    goals = GoalInputSerializer(many=True, allow_empty=False, max_length=1000)


class ActionItemWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    unit = serializers.CharField(max_length=32, help_text="The unit whose Monday meeting agreed it, in your scope.")
    week = DateField(help_text="The Monday of the meeting's week, YYYY-MM-DD.")
    text = serializers.CharField(max_length=300, help_text="What is to be done.")
    owner = serializers.CharField(max_length=150, help_text="The username of who does it.")
    due = DateField(help_text="The day it is due, YYYY-MM-DD, not before the meeting.")
    link_kind = serializers.CharField(
        required=False, allow_blank=True, max_length=32, help_text="alert, improvement_plan or target; leave out: none."
    )
    link_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, help_text="The linked object's id."
    )


class ActionItemSettleSerializer(StrictFieldsMixin, serializers.Serializer):
    status = _enum(
        serializers.ChoiceField(choices=ActionStatus.values), ActionStatus.values, "done, or open to open it again."
    )
