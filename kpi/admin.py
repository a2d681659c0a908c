"""HQ's pages for the metric catalog, targets, scorecard templates and month close; facts, ingest batches
and rollup runs to look at.

Targets are written only through kpi.services.targets, so a change made here leaves the same audit
row and marks the rollup stale just as an import or the API does. Facts, batches and runs are
read-only here: they come from the ingest and the rollup, which keep them consistent.
"""

from __future__ import annotations

import datetime
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from branches.models import Area, OutletFormat
from kpi import (
    admin_calendar,  # noqa: F401 (registers the calendar's admin)
    admin_credit,  # noqa: F401 (registers the credit split admin)
    admin_notes,  # noqa: F401 (registers the notes' admin)
    admin_rollout,  # noqa: F401 (registers the transformation rollout's admin)
)
from kpi.admin_split import TargetSplitMixin
from kpi.forms import CONTEST_PERIOD_HELP
from kpi.models import (
    Contest,
    ContestJudge,
    ContestPair,
    Fact,
    IngestBatch,
    JudgingItem,
    LineKind,
    Metric,
    MonthClose,
    MonthCloseEvent,
    ReportingCutoff,
    RollupRun,
    ScorecardTemplate,
    Target,
    TargetChange,
    TemplateLine,
)
from kpi.services.calendar import time_basis_changed
from kpi.services.closing import (
    MonthCloseError,
    can_close_months,
    month_close,
    month_close_problem,
    month_reopen,
    pay_basis,
)
from kpi.services.contests import (
    CONTEST_PERIOD_KINDS,
    calendar_period,
    contest_pairs_propose,
    contest_pairs_set,
    contest_problems,
    pair_problems,
)
from kpi.services.facts import FACT_COLUMNS, facts_import
from kpi.services.targets import (
    TARGET_COLUMNS,
    closed_months,
    target_is_frozen,
    target_problems,
    target_set,
    targets_delete,
    targets_import,
)
from kpi.services.templates import (
    TemplateError,
    metric_level_problem,
    template_copy,
    template_rescore,
    version_lock_reason,
    version_start_problem,
    weights_problem,
)
from kpi.templatetags.kpi_format import metric_scale, unit_scale
from lib.admin_dates import RangeDateHierarchyMixin
from lib.admin_delete import DeleteSummaryMixin
from lib.admin_import import CsvImportMixin
from lib.csvimport import CsvImporter, read_csv_columns
from lib.exports import table_response
from lib.numbers import plain_number
from lib.periods import PERIOD_FORMATS_TEXT, Period, parse_date, parse_period
from lib.periods_forms import MonthField, PeriodField
from lib.stored_messages import shown_message
from staff.access import Scope, scope_for_user


class ReadOnlyAdmin(admin.ModelAdmin):
    """A list to look at: nothing is added, changed or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def _shown_fields(fields, shown: dict[str, str]) -> list[str]:
    """A read-only change form's fields with each stored figure swapped for its display method (the
    admin would write a DecimalField with its column's four decimals: 12934.0000)."""
    return list(dict.fromkeys(shown.get(name, name) for name in fields))  # each once, where the figure was


def _figure(value, metric: Metric | None = None, *, unit: str | None = None) -> str:
    """A stored figure as the pages write it (kpi_format): the decimals of its metric's unit, thousands
    grouped ("12,934.00" for 万元, "4,889" for 户), never the column's four ("12934.0000"); "—" for none."""
    if metric is not None:
        return metric_scale(metric).write(value)
    return unit_scale(unit).write(value) if unit else plain_number(value)


@admin.register(Metric)
class MetricAdmin(DeleteSummaryMixin, admin.ModelAdmin):
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
    list_filter = ("category", "aggregation", "level", "direction", "time_basis", "is_active")
    search_fields = ("code", "name_zh", "name_en")
    autocomplete_fields = ("base", "numerator", "denominator")
    fieldsets = (
        (None, {"fields": ("code", "name_zh", "name_en", "unit", "direction", "level", "category")}),
        (_("How it is computed"), {"fields": ("aggregation", "base", "numerator", "denominator", "time_basis")}),
        (None, {"fields": ("sort_order", "is_active", "description")}),
    )

    def save_model(self, request: HttpRequest, obj: Metric, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "time_basis" in form.changed_data:
            time_basis_changed()  # every published scorecard showing the metric moves


class TargetForm(forms.ModelForm):
    """The period is typed as a code (2026-11, 2026-W48); clean() fills in its kind, start and end.

    `scope`: the writer's (TargetAdmin.get_form): a unit manager sets targets inside their subtree, for
    the staff assigned there during the period (kpi.services.targets.target_problems)."""

    period = PeriodField(label=_("period"), help_text=PERIOD_FORMATS_TEXT)
    scope: Scope | None = None

    class Meta:
        model = Target
        fields = ("unit", "staff", "metric", "period", "value")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The box shows the stored target without its column's trailing zeros: 4889, not 4889.0000.
        if self.instance.pk and self.instance.value is not None and "value" in self.initial:
            self.initial["value"] = plain_number(self.instance.value)

    def clean_period(self) -> str:
        # The model stores the code; clean() below needs the period's kind and dates.
        self.parsed_period: Period = self.cleaned_data["period"]
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
        problems = target_problems(metric=metric, period=period, value=value, scope=self.scope, **holder)
        for name, problem in problems.items():
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
    fields = ("changed_at", "old_value_shown", "new_value_shown", "changed_by", "source", "reference")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("history")

    @admin.display(description=_("old value"))
    def old_value_shown(self, change: TargetChange) -> str:
        return _figure(change.old_value, change.target.metric if change.target_id else None)

    @admin.display(description=_("new value"))
    def new_value_shown(self, change: TargetChange) -> str:
        return _figure(change.new_value, change.target.metric if change.target_id else None)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("changed_by", "target__metric")


@admin.register(Target)
class TargetAdmin(TargetSplitMixin, CsvImportMixin, admin.ModelAdmin):
    csv_importer = CsvImporter("targets", TARGET_COLUMNS, targets_import, user_kwarg="changed_by")
    form = TargetForm
    list_display = ("period", "unit", "staff", "metric", "value_shown", "updated_at", "updated_by")
    list_filter = ("period_kind", "metric")
    search_fields = ("unit__code", "staff__code", "period")
    autocomplete_fields = ("unit", "staff", "metric")
    list_select_related = ("unit", "staff", "metric", "updated_by")
    inlines = [TargetChangeInline]
    # The key of a target (who, what, when) is fixed once it exists: change the value, or delete it.
    key_fields = ("unit", "staff", "metric", "period")

    def get_queryset(self, request: HttpRequest):
        # A unit manager with admin access sees and changes the targets of their subtree only (the same
        # Scope as every page); HQ sees all.
        queryset = super().get_queryset(request)
        scope = scope_for_user(request.user)
        return queryset.filter(scope.holder_records(span=("period_start", "period_end")))

    @admin.display(description=_("target"), ordering="value")
    def value_shown(self, target: Target) -> str:
        return _figure(target.value, target.metric)

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # A class of its own per request: the scope is the writer's, not shared with another request.
        return type(form.__name__, (form,), {"scope": scope_for_user(request.user)})

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
            scope=scope_for_user(request.user),
        )
        # The admin goes on with `obj` (the message, the log entry, the redirect): make it the saved row.
        obj.pk = target.pk
        obj.updated_at, obj.updated_by = target.updated_at, target.updated_by
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A target of a closed month is frozen (kpi.services.targets.closed_period_problem).
        return super().has_delete_permission(request, obj) and not (obj is not None and target_is_frozen(obj))

    def delete_model(self, request: HttpRequest, obj: Target) -> None:
        targets_delete(targets=[obj], changed_by=request.user, source="admin")

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        closed = closed_months()
        targets = list(queryset)
        frozen = [target for target in targets if target_is_frozen(target, closed)]
        if frozen:
            messages.warning(
                request,
                ngettext(
                    "%(count)s target of a closed month was kept: a closed month's targets cannot change.",
                    "%(count)s targets of closed months were kept: a closed month's targets cannot change.",
                    len(frozen),
                )
                % {"count": len(frozen)},
            )
        targets_delete(
            targets=[target for target in targets if target not in frozen], changed_by=request.user, source="admin"
        )


@admin.register(TargetChange)
class TargetChangeAdmin(RangeDateHierarchyMixin, ReadOnlyAdmin):
    list_display = (
        "changed_at",
        "period",
        "entity_code",
        "metric_code",
        "old_value_shown",
        "new_value_shown",
        "changed_by",
        "source",
        "reference",
    )
    list_filter = ("source",)
    search_fields = ("entity_code", "metric_code", "period", "reference")
    date_hierarchy = "changed_at"
    list_select_related = ("changed_by",)

    def get_queryset(self, request: HttpRequest):
        # The metric's unit by its code (a change outlives its target), for the figures' decimals.
        unit = Metric.objects.filter(code=OuterRef("metric_code")).values("unit")[:1]
        return super().get_queryset(request).annotate(metric_unit=Subquery(unit))

    readonly_fields = ("old_value_shown", "new_value_shown")

    def get_fields(self, request: HttpRequest, obj=None):
        return _shown_fields(
            super().get_fields(request, obj), {"old_value": "old_value_shown", "new_value": "new_value_shown"}
        )

    @admin.display(description=_("old value"), ordering="old_value")
    def old_value_shown(self, change: TargetChange) -> str:
        return _figure(change.old_value, unit=getattr(change, "metric_unit", None))

    @admin.display(description=_("new value"), ordering="new_value")
    def new_value_shown(self, change: TargetChange) -> str:
        return _figure(change.new_value, unit=getattr(change, "metric_unit", None))


@admin.register(Fact)
class FactAdmin(RangeDateHierarchyMixin, CsvImportMixin, ReadOnlyAdmin):
    csv_importer = CsvImporter("facts", FACT_COLUMNS, facts_import, user_kwarg="created_by", read=read_csv_columns)
    list_display = ("date", "unit", "staff", "metric", "value_shown", "batch", "updated_at")
    list_filter = ("metric",)
    search_fields = ("unit__code", "staff__code")
    date_hierarchy = "date"
    list_select_related = ("unit", "staff", "metric", "batch")

    readonly_fields = ("value_shown",)

    def get_fields(self, request: HttpRequest, obj=None):
        return _shown_fields(super().get_fields(request, obj), {"value": "value_shown"})

    @admin.display(description=_("value"), ordering="value")
    def value_shown(self, fact: Fact) -> str:
        return _figure(fact.value, fact.metric)

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


# The rollup's progress messages (kpi.services.rollup, kpi.services.runs), stored in English (lib.stored_messages).
RUN_MESSAGES = [
    (re.compile(r"(?P<day>\d{4}-\d{2}-\d{2}): reading"), _("%(day)s: reading the facts")),
    (re.compile(r"(?P<day>\d{4}-\d{2}-\d{2}): computing"), _("%(day)s: computing")),
    (re.compile(r"(?P<day>\d{4}-\d{2}-\d{2}): writing"), _("%(day)s: writing the scorecards")),
    (re.compile(r"(?P<day>\d{4}-\d{2}-\d{2}): published"), _("%(day)s: published")),
    (re.compile(r"rebuilding running totals: (?P<day>\S+)"), _("Rebuilding the running totals: %(day)s")),
    (re.compile(r"month (?P<month>\d{4}-\d{2}) is closed"), _("Month %(month)s is closed")),
    (re.compile(r"waiting for any other rollup to finish"), _("Waiting for any other rollup to finish")),
    (
        re.compile(r"taken over from a worker that stopped; waiting for any other rollup to finish"),
        _("Taken over from a worker that stopped; waiting for any other rollup to finish"),
    ),
    (
        re.compile(r"reaped: no sign of life from its worker since (?P<since>.+)"),
        _("No sign of life from its worker since %(since)s"),
    ),
]


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
        "message_shown",
    )
    list_filter = ("status", "chained")
    date_hierarchy = "date"

    def get_fields(self, request: HttpRequest, obj=None):
        return [("message_shown" if name == "message" else name) for name in super().get_fields(request, obj)]

    @admin.display(description=_("message"))
    def message_shown(self, run: RollupRun) -> str:
        return shown_message(run.message, RUN_MESSAGES)


# -- scorecard templates (考核方案) -------------------------------------------------------------------

VERSION_HELP = _(
    "A new version is a new template with the same code and a later effective date: the version in force "
    "on a day is the latest that started on or before it, so scores published under an older version are "
    "reproduced unchanged. A version that was in force on a published day no longer changes (only its names "
    "do): copy it as a new version from a later date (action “Copy as a new version”). A new version "
    "that starts on a day already published has those days scored again by the next rollup; it cannot start "
    "in a closed month."
)
# What decides who is scored and how: frozen once the version was in force on a published day.
SCORING_FIELDS = frozenset({"code", "subject", "effective_from", "area", "format", "outlets", "posts", "is_active"})


class ScorecardTemplateForm(forms.ModelForm):
    area = forms.ChoiceField(
        label=_("area"), choices=[("", _("any")), *Area.choices], required=False, help_text=_("Outlets of this area.")
    )
    format = forms.ChoiceField(
        label=_("format"),
        choices=[("", _("any")), *OutletFormat.choices],
        required=False,
        help_text=_("Outlets of this format."),
    )

    class Meta:
        model = ScorecardTemplate
        fields = (
            "code",
            "name_zh",
            "name_en",
            "subject",
            "effective_from",
            "area",
            "format",
            "outlets",
            "posts",
            "is_active",
        )
        help_texts = {
            "code": _("The same code for every version of a template."),
            "effective_from": VERSION_HELP,
            "posts": _("Staff templates: the posts they score (at least one)."),
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        subject = cleaned.get("subject")
        if subject == ScorecardTemplate.Subject.STAFF:
            if not cleaned.get("posts"):
                self.add_error("posts", _("A staff template names at least one post."))
            for name in ("area", "format", "outlets"):
                if cleaned.get(name):
                    self.add_error(name, _("A staff template is chosen by post: leave this empty."))
        elif subject == ScorecardTemplate.Subject.OUTLET and cleaned.get("posts"):
            self.add_error("posts", _("An outlet template is chosen by area, format or outlets: it names no posts."))
        if self.instance.pk and SCORING_FIELDS & set(self.changed_data):
            reason = version_lock_reason(self.instance)
            if reason:
                self.add_error(None, reason)
        code, effective_from = cleaned.get("code"), cleaned.get("effective_from")
        if code and effective_from and (not self.instance.pk or {"code", "effective_from"} & set(self.changed_data)):
            problem = version_start_problem(code=code, effective_from=effective_from, exclude_pk=self.instance.pk)
            if problem is not None:
                self.add_error(*problem)
        return cleaned

    def validate_unique(self) -> None:
        # clean() has said it in words: the constraint's own message would repeat it.
        if "effective_from" not in self.errors:
            super().validate_unique()


class TemplateLineFormSet(forms.BaseInlineFormSet):
    """Rules across the lines of a template: one line per metric, metrics of the template's level,
    weights adding up to 100, and no change to a version in force on published days."""

    def validate_unique(self) -> None:
        # The one-line-per-metric rule is checked in clean() with a message that names the metric;
        # Django's generic "correct the duplicate values" would come first and say less.
        return None

    def clean(self) -> None:
        super().clean()
        template = self.instance
        if template.pk and self.has_changed():
            reason = version_lock_reason(template)
            if reason:
                raise forms.ValidationError(reason)
        lines = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("metric")
        ]
        seen: set[int] = set()
        for form in lines:
            metric = form.cleaned_data["metric"]
            if metric.pk in seen:
                form.add_error("metric", _("%(metric)s is on this template twice.") % {"metric": metric.code})
            seen.add(metric.pk)
            problem = metric_level_problem(template.subject, metric) if template.subject else None
            if problem:
                form.add_error("metric", problem)
        weights = [
            form.cleaned_data.get("weight") for form in lines if form.cleaned_data.get("kind") == LineKind.WEIGHTED
        ]
        if weights:
            problem = weights_problem(weights)
            if problem:
                raise forms.ValidationError(problem)


class TemplateLineInline(admin.TabularInline):
    model = TemplateLine
    formset = TemplateLineFormSet
    fields = (
        "sort_order",
        "metric",
        "kind",
        "weight",
        "floor",
        "cap",
        "points_per_unit",
        "max_points",
        "allowed_value",
        "veto_reason",
        "green_at",
        "amber_at",
        "is_key",
    )
    autocomplete_fields = ("metric",)
    extra = 0


class CopyVersionForm(ActionForm):
    new_effective_from = forms.DateField(
        label=_("new version from"),
        required=False,
        widget=forms.DateInput(attrs={"placeholder": "YYYY-MM-DD", "size": 10}),
    )


@admin.register(ScorecardTemplate)
class ScorecardTemplateAdmin(admin.ModelAdmin):
    form = ScorecardTemplateForm
    inlines = [TemplateLineInline]
    action_form = CopyVersionForm
    actions = ["copy_as_new_version"]
    list_display = (
        "code",
        "name_zh",
        "subject",
        "area",
        "format",
        "effective_from",
        "in_force_until",
        "line_count",
        "weights",
        "is_active",
    )
    list_display_links = ("code", "name_zh")
    list_filter = ("subject", "area", "format", "is_active", "effective_from")
    search_fields = ("code", "name_zh", "name_en")
    filter_horizontal = ("posts",)
    autocomplete_fields = ("outlets",)
    date_hierarchy = "effective_from"
    fieldsets = (
        (None, {"fields": ("code", "name_zh", "name_en", "effective_from", "is_active")}),
        (_("Who it scores"), {"fields": ("subject", "area", "format", "outlets", "posts")}),
    )

    def get_queryset(self, request: HttpRequest):
        next_start = ScorecardTemplate.objects.filter(
            code=OuterRef("code"), effective_from__gt=OuterRef("effective_from")
        ).order_by("effective_from")
        return (
            super()
            .get_queryset(request)
            .annotate(
                next_start=Subquery(next_start.values("effective_from")[:1]),
                line_count=Count("lines"),
                weights=Sum("lines__weight", filter=Q(lines__kind=LineKind.WEIGHTED)),
            )
        )

    @admin.display(description=_("in force until"), ordering="next_start")
    def in_force_until(self, template: ScorecardTemplate):
        start = getattr(template, "next_start", None)
        return start - datetime.timedelta(days=1) if start else "—"

    @admin.display(description=_("lines"), ordering="line_count")
    def line_count(self, template: ScorecardTemplate) -> int:
        return template.line_count

    @admin.display(description=_("weights"))
    def weights(self, template: ScorecardTemplate):
        return template.weights if template.weights is not None else "—"

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        # One by one only, where has_delete_permission can refuse a version that published scores.
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and version_lock_reason(obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: ScorecardTemplate, form, change: bool) -> None:
        stored = ScorecardTemplate.objects.filter(pk=obj.pk).values_list("effective_from", flat=True).first()
        obj._rescore_from = min(filter(None, [stored, obj.effective_from]))
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        template = form.instance
        rules_changed = not change or SCORING_FIELDS & set(form.changed_data) or any(f.has_changed() for f in formsets)
        if not rules_changed:
            return
        marked = template_rescore(first_date=template._rescore_from)
        if marked:
            messages.warning(
                request,
                _("%(days)s published days from %(day)s on will be scored again by the next rollup.")
                % {"days": marked, "day": template._rescore_from},
            )

    @admin.action(description=_("Copy as a new version from the date given"), permissions=["add"])
    def copy_as_new_version(self, request: HttpRequest, queryset) -> None:
        # The action form's own choices are filled in by the changelist: read the one field directly.
        try:
            effective_from = parse_date(request.POST.get("new_effective_from", "").strip())
        except ValueError:
            messages.error(request, _("Give the date the new version takes effect (YYYY-MM-DD) beside the action."))
            return
        for template in queryset:
            try:
                copy = template_copy(template=template, effective_from=effective_from)
            except TemplateError as refused:
                messages.error(request, f"{template.code}: {refused}")
            else:
                messages.success(
                    request, _("%(code)s: new version from %(day)s.") % {"code": copy.code, "day": copy.effective_from}
                )


# -- month close ------------------------------------------------------------------------------------


class MonthCloseForm(forms.ModelForm):
    """Closing a month from the add page: the month typed as 2026-10; the service does the rest."""

    month_code = MonthField(label=_("month"), help_text=_("The month to close, as 2026-10."))

    class Meta:
        model = MonthClose
        fields = ()

    def clean_month_code(self) -> datetime.date:
        month = self.cleaned_data["month_code"]
        problem = month_close_problem(month=month)
        if problem:
            raise forms.ValidationError(problem)
        return month


@admin.register(MonthClose)
class MonthCloseAdmin(admin.ModelAdmin):
    """HQ closes a month (its scorecards frozen as the basis of pay), reopens it, and exports its pay
    basis. Only HQ administrators see this page; everything goes through kpi.services.closing."""

    form = MonthCloseForm
    list_display = ("month_label", "is_closed", "changed_at", "changed_by", "exports")
    list_filter = ("is_closed",)
    list_select_related = ("changed_by",)
    actions = ["close_months", "reopen_months"]
    readonly_fields = ("month_label", "is_closed", "changed_at", "changed_by", "exports", "history")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_close_months(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_close_months(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_close_months(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj=None):
        return ("month_code",) if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return () if obj is None else self.readonly_fields

    def get_urls(self):
        return [
            path(
                "<int:pk>/export/<str:format_name>/",
                self.admin_site.admin_view(self.export_view),
                name="kpi_monthclose_export",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, row: MonthClose) -> str:
        return f"{row.month:%Y-%m}"

    @admin.display(description=_("pay basis"))
    def exports(self, row: MonthClose):
        if not row.is_closed:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:kpi_monthclose_export", args=[row.pk, "csv"]),
            _("export CSV"),
            reverse("admin:kpi_monthclose_export", args=[row.pk, "xlsx"]),
            _("export XLSX"),
        )

    @admin.display(description=_("history"))
    def history(self, row: MonthClose):
        events = MonthCloseEvent.objects.filter(month=row.month).select_related("by").order_by("at", "pk")
        return format_html_join(
            mark_safe("<br>"),
            "{} {} {}",
            (
                (
                    timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M"),
                    event.get_action_display(),
                    event.by or _("command line"),
                )
                for event in events
            ),
        )

    def save_model(self, request: HttpRequest, obj: MonthClose, form: MonthCloseForm, change: bool) -> None:
        row = month_close(month=form.cleaned_data["month_code"], by=request.user)
        # The admin goes on with `obj` (the message, the log entry, the redirect): make it the saved row.
        obj.pk, obj.month, obj.is_closed = row.pk, row.month, row.is_closed
        obj._state.adding = False

    def export_view(self, request: HttpRequest, pk: int, format_name: str) -> HttpResponse:
        if not can_close_months(request.user) or format_name not in ("csv", "xlsx"):
            raise Http404
        row = MonthClose.objects.filter(pk=pk).first()
        if row is None:
            raise Http404
        try:
            basis = pay_basis(month=row.month, by=request.user)
        except MonthCloseError as refused:
            messages.error(request, str(refused))
            return HttpResponseRedirect(reverse("admin:kpi_monthclose_changelist"))
        return table_response(format_name, basis.filename, basis.header, basis.rows)

    @admin.action(description=_("Close the selected months"))
    def close_months(self, request: HttpRequest, queryset) -> None:
        self._each(request, queryset, month_close, _("%(month)s closed."))

    @admin.action(description=_("Reopen the selected months"))
    def reopen_months(self, request: HttpRequest, queryset) -> None:
        self._each(request, queryset, month_reopen, _("%(month)s reopened: its stale days are rolled up again."))

    def _each(self, request: HttpRequest, queryset, service, done: str) -> None:
        if not can_close_months(request.user):
            raise PermissionDenied
        for row in queryset.order_by("month"):
            label = f"{row.month:%Y-%m}"
            try:
                service(month=row.month, by=request.user)
            except MonthCloseError as refused:
                messages.error(request, str(refused))
            else:
                messages.success(request, done % {"month": label})


@admin.register(MonthCloseEvent)
class MonthCloseEventAdmin(ReadOnlyAdmin):
    list_display = ("month_label", "action", "at", "by")
    list_filter = ("action",)
    list_select_related = ("by",)
    date_hierarchy = "at"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_close_months(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_close_months(request.user)

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, event: MonthCloseEvent) -> str:
        return f"{event.month:%Y-%m}"


# -- PK contests (两两一组 PK) ------------------------------------------------------------------------------


class ContestAdminForm(forms.ModelForm):
    """The period is typed as a calendar period code (2026-11, 2026-Q4, 2026-W48, 2026): contests run on
    calendar periods, whose scorecards the rollup publishes (kpi.services.contests)."""

    period = PeriodField(
        label=_("period"),
        help_text=CONTEST_PERIOD_HELP,
        kinds=CONTEST_PERIOD_KINDS,
        error_messages={"invalid_kind": _("Use a calendar week, month, quarter or year, e.g. 2026-11.")},
    )

    class Meta:
        model = Contest
        fields = ("name", "unit", "period", "judged", "template", "metrics")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            period = calendar_period(self.instance.period_start, self.instance.period_end)
            self.initial["period"] = period.code if period else ""
        if "template" in self.fields:
            self.fields["template"].queryset = ScorecardTemplate.objects.filter(
                subject=ScorecardTemplate.Subject.OUTLET
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        period = cleaned.get("period")
        if period is not None:
            self.instance.period_start, self.instance.period_end = period.start, period.end
        problems = contest_problems(
            name=cleaned.get("name", ""),
            unit=cleaned.get("unit"),
            period_start=period.start if period else None,
            period_end=period.end if period else None,
            template=cleaned.get("template"),
            metrics=list(cleaned.get("metrics") or []),
            judged=bool(cleaned.get("judged")),
        )
        for field_name, messages_ in problems.items():
            target = "period" if field_name.startswith("period") else field_name
            for message in messages_:
                if target not in self.errors:
                    self.add_error(target, message)
        return cleaned


class ContestPairFormSet(forms.BaseInlineFormSet):
    """The pairs are checked together, by the rules contest_pairs_set applies."""

    def clean(self) -> None:
        super().clean()
        unit = self.instance.unit if self.instance.unit_id else None
        if unit is None or any(form.errors for form in self.forms):
            return
        pairs = [
            (form.cleaned_data["outlet_a"], form.cleaned_data["outlet_b"])
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("outlet_a")
            and form.cleaned_data.get("outlet_b")
        ]
        problems = pair_problems(unit=unit, pairs=pairs)
        if problems:
            raise forms.ValidationError(problems)


class ContestPairInline(admin.TabularInline):
    model = ContestPair
    formset = ContestPairFormSet
    autocomplete_fields = ("outlet_a", "outlet_b")
    extra = 0


class JudgingItemInline(admin.TabularInline):
    model = JudgingItem
    extra = 0


class ContestJudgeInline(admin.TabularInline):
    model = ContestJudge
    autocomplete_fields = ("user",)
    extra = 0


class ContestStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("upcoming", _("Not started")), ("running", _("Running")), ("ended", _("Ended"))]

    def queryset(self, request: HttpRequest, queryset):
        today = timezone.localdate()
        if self.value() == "upcoming":
            return queryset.filter(period_start__gt=today)
        if self.value() == "running":
            return queryset.filter(period_start__lte=today, period_end__gte=today)
        if self.value() == "ended":
            return queryset.filter(period_end__lt=today)
        return queryset


@admin.register(Contest)
class ContestAdmin(admin.ModelAdmin):
    """HQ's list of PK contests. Unit managers create theirs on /contests/new/."""

    form = ContestAdminForm
    # A judged contest's form and panel; the judges' sheets are read on the contest's page after the
    # close (kpi.services.judging), never here before it.
    inlines = [ContestPairInline, JudgingItemInline, ContestJudgeInline]
    list_display = ("name", "unit", "period_start", "period_end", "template", "pair_count", "page_link")
    list_filter = (ContestStateFilter, "template", "unit__kind")
    list_select_related = ("unit", "template")
    search_fields = ("name", "unit__code", "unit__name_zh", "unit__name_en")
    date_hierarchy = "period_start"
    autocomplete_fields = ("unit",)
    filter_horizontal = ("metrics",)
    actions = ["propose_pairs"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(pair_total=Count("pairs"))

    @admin.display(description=_("period"))
    def period(self, contest: Contest) -> str:
        """The period on the view-only form (the change form types it in ContestAdminForm.period)."""
        period = calendar_period(contest.period_start, contest.period_end)
        return period.code if period else f"{contest.period_start} – {contest.period_end}"

    @admin.display(description=_("pairs"), ordering="pair_total")
    def pair_count(self, contest: Contest) -> int:
        return contest.pair_total

    @admin.display(description=_("head to head"))
    def page_link(self, contest: Contest) -> str:
        return format_html('<a href="{}">{}</a>', reverse("kpi:contest_detail", args=[contest.pk]), _("open"))

    def save_model(self, request: HttpRequest, obj: Contest, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Propose pairs of similar score (preview, then save)"), permissions=["change"])
    def propose_pairs(self, request: HttpRequest, queryset):
        """First a preview of every selected contest's proposal; saved (replacing the contest's pairs)
        only when the preview is confirmed."""
        contests = list(queryset.select_related("unit").order_by("pk"))
        proposals = [
            (contest, contest_pairs_propose(contest=contest, as_of=contest.period_start - datetime.timedelta(days=1)))
            for contest in contests
        ]
        if request.POST.get("apply") == "yes":
            for contest, proposal in proposals:
                contest_pairs_set(contest=contest, pairs=proposal.pairs)
                self.message_user(
                    request,
                    _("%(contest)s: %(count)s pairs saved.") % {"contest": contest.name, "count": len(proposal.pairs)},
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Propose pairs"),
            "opts": self.model._meta,
            "proposals": proposals,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/kpi/contest/propose_pairs.html", context)


@admin.register(ReportingCutoff)
class ReportingCutoffAdmin(admin.ModelAdmin):
    """HQ's one cut-off (数据报送截止时间): the bulletin and the pushed summary wait for the outlets expected
    on a day until then (kpi.selectors.freshness). One row, written by the migration: changed, never
    added again or deleted."""

    list_display = ("__str__", "cutoff", "updated_at")
    fields = ("cutoff", "updated_at")
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not ReportingCutoff.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
