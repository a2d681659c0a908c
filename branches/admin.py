from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit, PeerGroup
from branches.services import UNIT_COLUMNS, units_import
from lib.admin_delete import DeleteSummaryMixin
from lib.admin_import import CsvImportMixin
from lib.csvimport import CsvImporter


@admin.register(OrgUnit)
class OrgUnitAdmin(CsvImportMixin, DeleteSummaryMixin, admin.ModelAdmin):
    csv_importer = CsvImporter("units", UNIT_COLUMNS, units_import)
    list_display = ("code", "name_zh", "name_en", "kind", "area", "format", "transformation", "status", "breadcrumbs")
    list_filter = ("kind", "area", "format", "transformation", "status", "is_benchmark")
    search_fields = ("code", "name_zh", "name_en")
    autocomplete_fields = ("parent", "benchmark")
    readonly_fields = ("breadcrumbs",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "code",
                    "name_zh",
                    "name_en",
                    "kind",
                    "parent",
                    "breadcrumbs",
                    "status",
                    "opened_on",
                    "closed_on",
                )
            },
        ),
        (_("Outlet"), {"fields": ("area", "format", "transformation", "transformed_on", "is_benchmark", "benchmark")}),
    )

    @admin.display(description=_("path"), ordering="path")
    def breadcrumbs(self, unit: OrgUnit) -> str:
        names = getattr(unit, "ancestor_names", {})
        codes = [code for code in (unit.path or "").split("/") if code]
        return format_html_join(" › ", "<span title='{}'>{}</span>", ((code, names.get(code, code)) for code in codes))

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        _attach_ancestor_names(changelist.result_list)
        return changelist

    def get_object(self, request, object_id, from_field=None):
        unit = super().get_object(request, object_id, from_field)
        if unit is not None:
            _attach_ancestor_names([unit])
        return unit


def _attach_ancestor_names(units) -> None:
    """One query for the names of every unit on the breadcrumb trails of these units."""
    codes = {code for unit in units for code in unit.path.split("/") if code}
    names = dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "name_zh"))
    for unit in units:
        unit.ancestor_names = names


@admin.register(PeerGroup)
class PeerGroupAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "parent_unit", "area", "is_default", "member_count")
    list_filter = ("is_default", "area")
    search_fields = ("code", "name_zh", "name_en")
    filter_horizontal = ("members",)
    autocomplete_fields = ("parent_unit",)

    @admin.display(description=_("outlets"), ordering="member_total")
    def member_count(self, group: PeerGroup) -> int:
        return group.member_total

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))
