"""HQ's pages for the metric catalog and targets; facts, ingest batches and rollup runs to look at.

Targets are written only through kpi.services.targets, so a change made here leaves the same audit
row and marks the rollup stale just as an import or the API does. Facts, batches and runs are
read-only here: they come from the ingest and the rollup, which keep them consistent.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from bankops.admin import CsvImportMixin
from bankops.lib.periods import PERIOD_FORMATS, Period, parse_period
from kpi.models import Fact, IngestBatch, Metric, RollupRun, Target, TargetChange
from kpi.services.targets import target_problems, target_set, targets_delete


class ReadOnlyAdmin(admin.ModelAdmin):
    """A list to look at: nothing is added, changed or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "unit",
        "aggregation",
        "direction",
        "level",
        "category",
        "sort_order",
        "is_active",
    )
    list_filter = ("category", "aggregation", "level", "direction", "is_active")
    search_fields = ("code", "name_zh", "name_en")
    autocomplete_fields = ("base", "numerator", "denominator")
    fieldsets = (
        (None, {"fields": ("code", "name_zh", "name_en", "unit", "direction", "level", "category")}),
        (_("How it is computed"), {"fields": ("aggregation", "base", "numerator", "denominator")}),
        (None, {"fields": ("sort_order", "is_active", "description")}),
    )


class TargetForm(forms.ModelForm):
    """The period is typed as a code (2026-11, 2026-W48); clean() fills in its kind, start and end."""

    period = forms.CharField(label=_("period"), max_length=10, help_text=PERIOD_FORMATS)

    class Meta:
        model = Target
        fields = ("unit", "staff", "metric", "period", "value")

    def clean_period(self) -> str:
        try:
            self.parsed_period: Period = parse_period(self.cleaned_data["period"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc))
        return self.parsed_period.code

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.instance.pk:
            # Only the value can change (the rest is read-only): the period is the stored one.
            self.parsed_period = parse_period(self.instance.period)
            holder = {"unit": self.instance.unit, "staff": self.instance.staff}
            metric = self.instance.metric
        else:
            holder = {"unit": cleaned.get("unit"), "staff": cleaned.get("staff")}
            metric = cleaned.get("metric")
            # An error on the field also keeps the model's unit-xor-staff constraint from repeating it.
            if holder["unit"] and holder["staff"]:
                self.add_error("staff", _("A target is for a unit or for a staff member, not both."))
                return cleaned
            if not holder["unit"] and not holder["staff"]:
                self.add_error("unit", _("Choose the unit, or the staff member, the target is for."))
                return cleaned
        value = cleaned.get("value")
        period = getattr(self, "parsed_period", None)
        if metric is None or value is None or period is None:
            return cleaned
        for name, problem in target_problems(metric=metric, period=period, value=value, **holder).items():
            self.add_error(name if name in self.fields else None, problem)
        if not self.instance.pk and not self.errors:
            duplicate = Target.objects.filter(
                metric=metric, period_kind=period.kind, period_start=period.start, **holder
            ).first()
            if duplicate is not None:
                self.add_error(
                    None, _("This target already exists (%(target)s); change it there.") % {"target": duplicate}
                )
        self.instance.period_kind = period.kind
        self.instance.period_start = period.start
        self.instance.period_end = period.end
        return cleaned


class TargetChangeInline(admin.TabularInline):
    """The target's history, newest first."""

    model = TargetChange
    fk_name = "target"
    fields = ("changed_at", "old_value", "new_value", "changed_by", "source")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("history")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("changed_by")


@admin.register(Target)
class TargetAdmin(CsvImportMixin, admin.ModelAdmin):
    import_kind = "targets"
    form = TargetForm
    list_display = ("period", "unit", "staff", "metric", "value", "updated_at", "updated_by")
    list_filter = ("period_kind", "metric")
    search_fields = ("unit__code", "staff__code", "period")
    autocomplete_fields = ("unit", "staff", "metric")
    list_select_related = ("unit", "staff", "metric", "updated_by")
    inlines = [TargetChangeInline]
    # The key of a target (who, what, when) is fixed once it exists: change the value, or delete it.
    key_fields = ("unit", "staff", "metric", "period")

    def get_inlines(self, request: HttpRequest, obj=None):
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = ("period_start", "period_end", "updated_at", "updated_by")
        return (*self.key_fields, *readonly) if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ("unit", "staff", "metric", "period", "value")
        return (*self.key_fields, "period_start", "period_end", "value", "updated_at", "updated_by")

    def save_model(self, request: HttpRequest, obj: Target, form: TargetForm, change: bool) -> None:
        target, _created = target_set(
            metric=obj.metric,
            period=form.parsed_period,
            value=obj.value,
            unit=obj.unit,
            staff=obj.staff,
            changed_by=request.user,
            source="admin",
        )
        # The admin goes on with `obj` (the message, the log entry, the redirect): make it the saved row.
        obj.pk = target.pk
        obj.updated_at, obj.updated_by = target.updated_at, target.updated_by
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Target) -> None:
        targets_delete(targets=[obj], changed_by=request.user, source="admin")

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        targets_delete(targets=queryset, changed_by=request.user, source="admin")


@admin.register(TargetChange)
class TargetChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "changed_at",
        "period",
        "entity_code",
        "metric_code",
        "old_value",
        "new_value",
        "changed_by",
        "source",
    )
    list_filter = ("source",)
    search_fields = ("entity_code", "metric_code", "period")
    date_hierarchy = "changed_at"
    list_select_related = ("changed_by",)


@admin.register(Fact)
class FactAdmin(CsvImportMixin, ReadOnlyAdmin):
    import_kind = "facts"
    list_display = ("date", "unit", "staff", "metric", "value", "batch", "updated_at")
    list_filter = ("metric",)
    search_fields = ("unit__code", "staff__code")
    date_hierarchy = "date"
    list_select_related = ("unit", "staff", "metric", "batch")

    def has_import_permission(self, request: HttpRequest) -> bool:
        # Read-only by hand, but an upload goes through the facts service like the API does.
        return request.user.has_perms(["kpi.add_fact", "kpi.change_fact"])


@admin.register(IngestBatch)
class IngestBatchAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "source",
        "label",
        "created_by",
        "token_name",
        "rows",
        "created",
        "updated",
        "unchanged",
        "first_date",
        "last_date",
    )
    list_filter = ("source",)
    search_fields = ("label", "token_name")
    date_hierarchy = "created_at"
    list_select_related = ("created_by",)


@admin.register(RollupRun)
class RollupRunAdmin(ReadOnlyAdmin):
    list_display = (
        "date",
        "status",
        "progress",
        "chained",
        "scorecards",
        "lines",
        "created_at",
        "started_at",
        "finished_at",
        "message",
    )
    list_filter = ("status", "chained")
    date_hierarchy = "date"
