"""API representations of the organisation (served by staff/api_org.py, where the reader's scope is known)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from branches.models import PATH_SEPARATOR, Area, OrgUnit, OutletFormat, Transformation, UnitKind, UnitStatus


class NotApplicableChoiceField(serializers.ChoiceField):
    """A choice the model stores blank where it does not apply (a branch has no area): null in the API."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class OrgUnitSerializer(serializers.ModelSerializer):
    """An org unit. `parent` and `benchmark` name units only the reader may see: the top unit of a token's
    subtree shows `parent` null rather than the code of a unit outside its scope (DOMAIN.md §7).

    Needs `scope` in the context and the unit's `benchmark` selected with it."""

    name = serializers.CharField(read_only=True, help_text="The zh or en name, in the request's language.")
    kind = serializers.ChoiceField(choices=UnitKind.choices, read_only=True)
    parent = serializers.SerializerMethodField(
        help_text="The parent unit's code; null for the head office and for a unit whose parent is outside "
        "the reader's scope."
    )
    area = NotApplicableChoiceField(choices=Area.choices, help_text="Outlets: urban, county or township.")
    format = NotApplicableChoiceField(choices=OutletFormat.choices, help_text="Outlets: full, light or smart.")
    transformation = serializers.ChoiceField(
        choices=Transformation.choices, read_only=True, help_text="Branch transformation status (转型)."
    )
    benchmark = serializers.SerializerMethodField(
        help_text="The benchmark outlet this outlet replicates (标杆复制); null when none or outside the reader's "
        "scope."
    )
    status = serializers.ChoiceField(choices=UnitStatus.choices, read_only=True)

    class Meta:
        model = OrgUnit
        fields = [
            "code",
            "name",
            "name_zh",
            "name_en",
            "kind",
            "parent",
            "depth",
            "area",
            "format",
            "transformation",
            "transformed_on",
            "is_benchmark",
            "benchmark",
            "status",
            "opened_on",
            "closed_on",
        ]
        read_only_fields = fields
        extra_kwargs = {"depth": {"help_text": "0 for the head office, 1 for a branch, and so on down."}}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_parent(self, unit: OrgUnit) -> str | None:
        ancestors = unit.ancestor_codes
        if not ancestors:
            return None
        parent_path = PATH_SEPARATOR + PATH_SEPARATOR.join(ancestors) + PATH_SEPARATOR
        # The parent itself is not loaded: its path is read off the unit's own (no query per row).
        return ancestors[-1] if self._visible(OrgUnit(code=ancestors[-1], path=parent_path)) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_benchmark(self, unit: OrgUnit) -> str | None:
        if unit.benchmark_id is None or not self._visible(unit.benchmark):
            return None
        return unit.benchmark.code

    def _visible(self, unit: OrgUnit) -> bool:
        return self.context["scope"].can_see_unit(unit)
