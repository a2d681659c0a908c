"""HQ's pages for early warning: the alert rules to edit; alerts and weekly reviews to look at; improvement
plans (一点一策) with their measures.

Alerts and reviews change only through alerts.services (the pages and the API), which check who may
do what and keep the history, so here they are read-only. Rules are HQ's: editing them needs an
unrestricted, writable scope (HQ administrators) besides the model permission. Each list shows only
the units the reader's scope holds.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from alerts.figures import alert_value_text, missed_figures, threshold_text
from alerts.models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertStatus,
    ImprovementPlan,
    Measure,
    WeeklyReview,
    status_label,
)
from alerts.services.follow_up import is_overdue
from alerts.services.plans import PLAN_PERIOD_KINDS
from kpi.models import Metric
from lib.periods import parse_period
from staff.access import scope_for_user


def _is_hq(request: HttpRequest) -> bool:
    return scope_for_user(request.user).may_write_network


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


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "metric",
        "unit_kind",
        "period",
        "comparison",
        "threshold_shown",
        "severity",
        "is_active",
    )
    list_filter = ("kind", "is_active", "severity", "unit_kind")
    search_fields = ("name", "metric__code", "metric__name_zh", "metric__name_en")
    autocomplete_fields = ("metric",)
    fieldsets = (
        (None, {"fields": ("name", "kind", "metric", "unit_kind", "period", "severity", "is_active")}),
        (
            _("Parameters of the kind"),
            {
                "fields": ("comparison", "threshold", "days_running", "k", "window_days", "cutoff"),
                "description": _(
                    "Behind pace: threshold (a fraction, 0.9) and days running. Threshold: comparison and "
                    "threshold (in the metric's unit, 85 for 85 %). Sudden change: k and the trailing window; "
                    "comparison empty for either direction. Missing data: the cut-off time the next morning. "
                    "Veto: the period only."
                ),
            },
        ),
        (
            _("Forecast (预计本期无法完成)"),
            {
                "fields": ("min_time_progress",),
                "description": _(
                    "Forecast: threshold is the projected attainment to stay above, a fraction (empty: 1, the "
                    "target itself); nothing is judged before the minimum time progress."
                ),
            },
        ),
        (_("Follow-up"), {"fields": ("follow_up_days",)}),
    )
    list_select_related = ("metric",)

    @admin.display(description=_("threshold"), ordering="threshold")
    def threshold_shown(self, rule: AlertRule) -> str:
        """0.9 of a behind-pace rule as "90.0%", a threshold in its metric's unit (not 0.900000)."""
        return threshold_text(rule)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_hq(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return _is_hq(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return _is_hq(request) and super().has_delete_permission(request, obj)


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", _("Overdue")), ("no", _("Not overdue")))

    def queryset(self, request, queryset):
        # The same rule as follow_up.is_overdue: a deadline passed on an alert still to act on.
        overdue = Q(
            deadline__lt=timezone.localdate(),
            status__in=(AlertStatus.OPEN, AlertStatus.IN_PROGRESS, AlertStatus.REOPENED),
        )
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


class AlertEventInline(admin.TabularInline):
    model = AlertEvent
    extra = 0
    can_delete = False
    fields = ("at", "by", "from_label", "to_label", "changes_shown", "comment")
    readonly_fields = fields

    @admin.display(description=_("from"))
    def from_label(self, event: AlertEvent) -> str:
        return status_label(event.from_status)

    @admin.display(description=_("to"))
    def to_label(self, event: AlertEvent) -> str:
        return status_label(event.to_status)

    @admin.display(description=_("changes"))
    def changes_shown(self, event: AlertEvent) -> str:
        """Each changed field by its name: old → new (the event keeps them as JSON by field code)."""
        shown = []
        for name, values in (event.changes or {}).items():
            try:
                label = Alert._meta.get_field(name).verbose_name
            except FieldDoesNotExist:
                label = name
            old, new = values if isinstance(values, list) and len(values) == 2 else ("", values)
            shown.append(f"{label}: {old or '—'} → {new or '—'}")
        return "; ".join(shown)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = (
        "unit",
        "rule",
        "status",
        "opened_on",
        "last_seen_on",
        "cleared_on",
        "owner",
        "deadline",
        "overdue",
        "value_shown",
    )
    list_filter = ("status", OverdueFilter, "rule__kind", "rule", "cause")
    list_select_related = ("unit", "rule", "owner", "metric")
    search_fields = ("unit__code", "unit__name_zh", "rule__name", "detail")
    date_hierarchy = "opened_on"
    inlines = [AlertEventInline]

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, alert: Alert) -> bool:
        return is_overdue(alert)

    readonly_fields = ("value_shown",)

    def get_fields(self, request: HttpRequest, obj=None):
        # The stored figure (12.500000) as the alert's page writes it.
        fields = super().get_fields(request, obj)
        return list(dict.fromkeys("value_shown" if name == "value" else name for name in fields))

    @admin.display(description=_("value"), ordering="value")
    def value_shown(self, alert: Alert) -> str:
        """A behind-pace alert's pace as a percentage, another's figure in its metric's unit (not 0.853333)."""
        return alert_value_text(alert) or "—"


@admin.register(WeeklyReview)
class WeeklyReviewAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("unit", "week_start", "status", "submitted_by", "submitted_at", "answered_by", "answered_at")
    list_filter = ("status", "week_start")
    list_select_related = ("unit", "submitted_by", "answered_by")
    search_fields = ("unit__code", "unit__name_zh")
    date_hierarchy = "week_start"

    def get_fields(self, request: HttpRequest, obj=None):
        return [("missed_shown" if name == "missed" else name) for name in super().get_fields(request, obj)]

    @admin.display(description=_("targets missed"))
    def missed_shown(self, review: WeeklyReview) -> str:
        """The week's missed targets as the review page reads them, not as the JSON they are kept in."""
        metrics = Metric.objects.in_bulk([line.get("metric") for line in review.missed], field_name="code")
        lines = []
        for line in review.missed:
            metric = metrics.get(line.get("metric"))
            lines.append(
                _("%(metric)s: target %(target)s, actual %(actual)s, attainment %(attainment)s")
                % {"metric": metric.name if metric else line.get("metric"), **missed_figures(line, metric)}
            )
        return format_html_join(mark_safe("<br>"), "{}", ((text,) for text in lines))


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 1
    fields = ("description", "owner", "due", "progress", "done_at")
    readonly_fields = ("done_at",)
    autocomplete_fields = ("owner",)


class ImprovementPlanForm(forms.ModelForm):
    class Meta:
        model = ImprovementPlan
        fields = ("unit", "period", "title", "diagnosis")

    def clean_unit(self):
        unit = self.cleaned_data["unit"]
        if not unit.is_outlet:
            raise forms.ValidationError(_("A plan is made for an outlet."))
        return unit

    def clean_period(self):
        try:
            period = parse_period(self.cleaned_data["period"])
        except ValueError:
            period = None
        if period is None or period.kind not in PLAN_PERIOD_KINDS:
            raise forms.ValidationError(_("Give a month, a quarter or a year: 2026-11, 2026-Q4 or 2026."))
        return period.code


@admin.register(ImprovementPlan)
class ImprovementPlanAdmin(ScopedAdmin):
    form = ImprovementPlanForm
    list_display = ("unit", "period", "title", "created_by", "updated_at")
    list_filter = ("period",)
    list_select_related = ("unit", "created_by")
    search_fields = ("unit__code", "unit__name_zh", "title")
    autocomplete_fields = ("unit",)
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = [MeasureInline]

    def save_model(self, request: HttpRequest, obj: ImprovementPlan, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        # A measure is done when its progress reaches 100 %, as plan_measure_update has it.
        measures = formset.save(commit=False)
        for measure in measures:
            if measure.progress == 100 and measure.done_at is None:
                measure.done_at = timezone.now()
            elif measure.progress < 100:
                measure.done_at = None
            measure.save()
        for measure in formset.deleted_objects:
            measure.delete()
        formset.save_m2m()
