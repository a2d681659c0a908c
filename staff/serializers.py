"""API representations of people (staff/api.py)."""

from __future__ import annotations

from rest_framework import serializers

from staff.models import Assignment, StaffMember


class AssignmentSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Org unit code.")
    post = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Post code (teller, …).")

    class Meta:
        model = Assignment
        fields = ["unit", "post", "start", "end"]
        read_only_fields = fields
        extra_kwargs = {"end": {"help_text": "Last day in the post (inclusive); null while still there."}}


class StaffMemberSerializer(serializers.ModelSerializer):
    """A staff member with the assignments in force on the day asked for. The name is personal data: it
    is masked (王芳 → 王*) for a reader without the right to see it (lib.masking).

    Needs `scope` in the context and the member's assignments prefetched into `assignments_shown`."""

    name = serializers.SerializerMethodField(help_text="The name, masked unless you may read personal data.")
    name_masked = serializers.SerializerMethodField(help_text="true when `name` is masked.")
    assignments = AssignmentSerializer(
        many=True,
        read_only=True,
        source="assignments_shown",
        help_text="Assignments in force on `date` (default today) at units you may see.",
    )

    class Meta:
        model = StaffMember
        fields = ["code", "name", "name_masked", "assignments"]
        read_only_fields = fields

    def get_name(self, staff_member: StaffMember) -> str:
        return self.context["scope"].person_name(staff_member.name)

    def get_name_masked(self, staff_member: StaffMember) -> bool:
        return self.context["scope"].masks_personal_data
