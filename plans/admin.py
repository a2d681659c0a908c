"""HQ's view of the target plans: every plan with its proposals and who has acknowledged its targets.

Proposals change and plans publish only through plans.services (the page and the API), which check who
may and write all or nothing, so here cells and acknowledgements are read-only; a draft's name and note
may be edited and a draft deleted. A new plan is made on its page (/plans/targets/), which checks the
period and the metrics. Each list shows only the units of the reader's scope.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kpi.templatetags.kpi_format import metric_scale
from plans.basis import basis_label
from plans.models import Plan, PlanCell, TargetAcknowledgement
from staff.access import scope_for_user


class ScopedAdmin(admin.ModelAdmin):
    """Rows of units inside the reader's scope only (`unit_field` names the path to the unit)."""

    unit_field = "unit"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        scope = scope_for_user(request.user)
        if scope.everything:
            return queryset
        if scope.unit_path:
            return queryset.filter(**{f"{self.unit_field}__path__startswith": scope.unit_path})
        return queryset.none()


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class PlanCellInline(ReadOnlyInline):
    model = PlanCell
    fields = ("unit", "staff", "metric", "period", "value_shown", "how")
    readonly_fields = fields
    verbose_name_plural = _("proposed targets")

    @admin.display(description=_("proposed target"))
    def value_shown(self, cell: PlanCell) -> str:
        """As the pages write it (the metric's decimals, thousands grouped), not the column's 1200.0000."""
        return metric_scale(cell.metric).write(cell.value)

    @admin.display(description=_("basis"))
    def how(self, cell: PlanCell) -> str:
        return basis_label(cell.basis)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("unit", "staff", "metric")


class AcknowledgementInline(ReadOnlyInline):
    model = TargetAcknowledgement
    fields = ("unit", "status", "reason", "answered_by", "answered_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("unit", "answered_by")


@admin.register(Plan)
class PlanAdmin(ScopedAdmin):
    list_display = ("name", "unit", "period", "status", "created_by", "created_at", "published_at", "page")
    list_filter = ("status", "period_kind")
    search_fields = ("name", "unit__code", "unit__name_zh", "period")
    list_select_related = ("unit", "created_by")
    date_hierarchy = "created_at"
    inlines = [AcknowledgementInline, PlanCellInline]
    readonly_fields = (
        "unit",
        "period",
        "metrics",
        "status",
        "created_by",
        "token_name",
        "created_at",
        "published_by",
        "published_at",
        "page",
    )
    fields = ("name", "note", *readonly_fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made on its page, which checks the period and the metrics

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        writable = scope_for_user(request.user).may_set_targets
        return super().has_change_permission(request, obj) and writable and (obj is None or obj.is_draft)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        writable = scope_for_user(request.user).may_set_targets
        return super().has_delete_permission(request, obj) and writable and (obj is None or obj.is_draft)

    @admin.display(description=_("page"))
    def page(self, plan: Plan) -> str:
        return format_html('<a href="{}">{}</a>', reverse("plans:plan_grid", args=[plan.pk]), _("Open the grid"))


@admin.register(TargetAcknowledgement)
class TargetAcknowledgementAdmin(ScopedAdmin):
    """Who has not yet acknowledged: filter by status."""

    list_display = ("plan", "unit", "status", "reason", "answered_by", "answered_at")
    list_filter = ("status",)
    search_fields = ("plan__name", "unit__code", "unit__name_zh")
    list_select_related = ("plan", "unit", "answered_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
