"""HQ's side of the checklists: the templates (巡检记录表, 内控检查表) with their sections and items, versioned;
the patrol sheets and the inspections, read-only.

A version something was filled on keeps what it was filled on (checklists.services.template_lock_reason):
its settings, sections and items turn read-only here, and the action "new version from tomorrow" copies
it for HQ to change. Sheets and inspections are written only through checklists.services (the pages and
the API), which check who may and open the alerts, deductions and vetoes; here HQ reads them, each list
limited to the outlets of the reader's scope.
"""

from __future__ import annotations

import datetime

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from checklists.models import (
    ChecklistItem,
    ChecklistSection,
    ChecklistTemplate,
    Finding,
    Inspection,
    PatrolSheet,
    SheetAnswer,
)
from checklists.selectors import inspections_visible, sheets_visible
from checklists.services import template_lock_reason, template_new_version
from staff.access import scope_for_user


def _locked(obj) -> bool:
    template = obj.template if isinstance(obj, ChecklistSection) else obj
    return bool(template is not None and template.pk and template_lock_reason(template))


class SectionInline(admin.TabularInline):
    model = ChecklistSection
    extra = 0
    show_change_link = True
    fields = ("name", "sort_order")

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not (obj and _locked(obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and _locked(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and _locked(obj))


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "kind", "effective_from", "frequency", "times", "post", "is_active")
    list_filter = ("kind", "frequency", "is_active")
    search_fields = ("code", "name_zh", "name_en")
    filter_horizontal = ("outlets",)
    inlines = [SectionInline]
    actions = ["new_version_tomorrow"]
    fieldsets = (
        (None, {"fields": ("code", "name_zh", "name_en", "kind", "effective_from", "is_active", "description")}),
        (_("Who fills it, and how often"), {"fields": ("post", "role", "frequency", "times", "grace_minutes")}),
        (_("Where"), {"fields": ("outlets",)}),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and _locked(obj):
            return ("code", "kind", "effective_from", "post", "role", "frequency", "times", "grace_minutes", "outlets")
        return ()

    @admin.action(description=_("New version from tomorrow (copies sections and items)"))
    def new_version_tomorrow(self, request, queryset):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        for template in queryset:
            try:
                copy = template_new_version(
                    template=template,
                    effective_from=max(tomorrow, template.effective_from + datetime.timedelta(days=1)),
                )
            except ValidationError as refused:
                self.message_user(request, f"{template}: {'; '.join(refused.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("New version: %(version)s") % {"version": copy}, messages.SUCCESS)


class ItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1
    fields = ("text", "scoring", "max_points", "evidence_required", "sort_order")

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not (obj and _locked(obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and _locked(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and _locked(obj))


@admin.register(ChecklistSection)
class ChecklistSectionAdmin(admin.ModelAdmin):
    list_display = ("name", "template", "sort_order")
    list_filter = ("template__kind",)
    search_fields = ("name", "template__name_zh", "template__code")
    inlines = [ItemInline]

    def get_readonly_fields(self, request, obj=None):
        return ("template", "name", "sort_order") if obj is not None and _locked(obj) else ()


class AnswerInline(admin.TabularInline):
    model = SheetAnswer
    extra = 0
    fields = ("item", "passed", "points", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PatrolSheet)
class PatrolSheetAdmin(admin.ModelAdmin):
    list_display = (
        "day",
        "slot",
        "unit",
        "template",
        "status",
        "items_checked",
        "items_passed",
        "filled_at",
        "seen_at",
    )
    list_filter = ("status", "template__code", "day")
    search_fields = ("unit__code", "unit__name_zh")
    date_hierarchy = "day"
    inlines = [AnswerInline]
    list_select_related = ("unit", "template")

    def get_queryset(self, request):
        return sheets_visible(scope_for_user(request.user), super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0
    fields = ("text", "severity", "staff", "deadline", "alert", "ledger_entry", "vetoes")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ("day", "unit", "title", "inspector", "created_at")
    list_filter = ("day",)
    search_fields = ("title", "unit__code", "unit__name_zh")
    date_hierarchy = "day"
    inlines = [FindingInline]
    list_select_related = ("unit", "inspector")

    def get_queryset(self, request):
        return inspections_visible(scope_for_user(request.user), super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
