"""HQ's pay configuration (绩效工资): pay rules per scorecard template with their piece rates, the tiers of
each piece rate, team pools; and, read-only, the stored pay sheets with their lines and the log of
closes.

What may change is said by pay.services.rules: a rule, piece rate or pool that a closed month rests on
is shown read-only with the reason. Rules and pools are written by HQ administrators
(Scope.may_write_network); sheets are closed on the pay page (/units/<code>/pay/), never here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lib.numbers import format_number, plain_number
from lib.periods_forms import MonthField
from pay.arithmetic import Tier, tiers_problem
from pay.models import PayClose, PayRule, PaySheet, PaySheetLine, PieceRate, PieceRateTier, TeamPool
from pay.services.rules import (
    piece_metric_problem,
    pool_lock_reason,
    pool_problem,
    rule_lock_reason,
    rule_start_problem,
    staff_template_codes,
)
from staff.access import scope_for_user


def _money(value) -> str:
    return format_number(value, 2) if value is not None else "—"


class HqWritesAdmin(admin.ModelAdmin):
    """HQ administrators write; others with admin access read."""

    def _writes(self, request: HttpRequest) -> bool:
        return scope_for_user(request.user).may_write_network

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._writes(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._writes(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._writes(request) and super().has_delete_permission(request, obj)


# -- rules and piece rates -----------------------------------------------------------------------------


class PayRuleForm(forms.ModelForm):
    template_code = forms.ChoiceField(
        label=_("scorecard template"),
        help_text=_("The staff template (every version of it) whose staff this rule pays."),
    )
    effective_from = MonthField(label=_("effective from"), help_text=_("The first month it pays, as 2026-11."))

    class Meta:
        model = PayRule
        fields = (
            "template_code",
            "effective_from",
            "yuan_per_point",
            "min_score",
            "veto_zeroes_pay",
            "monthly_cap",
            "note",
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        codes = staff_template_codes()
        if self.instance.template_code and self.instance.template_code not in codes:
            codes.append(self.instance.template_code)
        self.fields["template_code"].choices = [("", "---------"), *((code, code) for code in codes)]

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.instance.pk and self.has_changed():
            reason = rule_lock_reason(self.instance)
            if reason:
                raise forms.ValidationError(reason)
        code, effective_from = cleaned.get("template_code"), cleaned.get("effective_from")
        moved = not self.instance.pk or {"template_code", "effective_from"} & set(self.changed_data)
        if code and effective_from and moved:
            problem = rule_start_problem(template_code=code, effective_from=effective_from, exclude_pk=self.instance.pk)
            if problem:
                self.add_error("effective_from", problem)
        return cleaned

    def validate_unique(self) -> None:
        if "effective_from" not in self.errors:
            super().validate_unique()


class PieceRateFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if self.instance.pk and self.has_changed():
            reason = rule_lock_reason(self.instance)
            if reason:
                raise forms.ValidationError(reason)
        for form in self.forms:
            metric = form.cleaned_data.get("metric") if form.cleaned_data else None
            if metric is not None and not form.cleaned_data.get("DELETE"):
                problem = piece_metric_problem(metric)
                if problem:
                    form.add_error("metric", problem)


class PieceRateInline(admin.TabularInline):
    model = PieceRate
    formset = PieceRateFormSet
    fields = ("sort_order", "metric", "tier_summary")
    readonly_fields = ("tier_summary",)
    autocomplete_fields = ("metric",)
    show_change_link = True
    extra = 0

    @admin.display(description=_("tiers (元 per unit)"))
    def tier_summary(self, piece: PieceRate) -> str:
        if not piece.pk:
            return _("Save, then open it to set its tiers.")
        return _tiers_text(piece) or _("none yet: open it to set its tiers")


def _tiers_text(piece: PieceRate) -> str:
    return "; ".join(
        f"{plain_number(tier.from_volume)}–{plain_number(tier.to_volume) if tier.to_volume is not None else '∞'}: "
        f"{_money(tier.yuan_per_unit)}"
        for tier in piece.tiers.all()
    )


@admin.register(PayRule)
class PayRuleAdmin(HqWritesAdmin):
    form = PayRuleForm
    inlines = [PieceRateInline]
    list_display = ("template_code", "month", "yuan_per_point", "min_score", "veto_zeroes_pay", "cap", "note")
    list_filter = ("template_code", "veto_zeroes_pay")
    search_fields = ("template_code", "note")
    readonly_fields = ("lock",)

    def get_fields(self, request: HttpRequest, obj=None):
        fields = list(PayRuleForm.Meta.fields)
        return [*fields, "lock"] if obj is not None and rule_lock_reason(obj) else fields

    @admin.display(description=_("effective from"), ordering="effective_from")
    def month(self, rule: PayRule) -> str:
        return f"{rule.effective_from:%Y-%m}"

    @admin.display(description=_("cap per person and month (元)"), ordering="monthly_cap")
    def cap(self, rule: PayRule) -> str:
        return _money(rule.monthly_cap)

    @admin.display(description=_("why it no longer changes"))
    def lock(self, rule: PayRule) -> str:
        return rule_lock_reason(rule) or "—"


class TierFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        rule = self.instance.rule if self.instance.pk or self.instance.rule_id else None
        if rule is not None and self.has_changed():
            reason = rule_lock_reason(rule)
            if reason:
                raise forms.ValidationError(reason)
        tiers = [
            Tier(
                form.cleaned_data["from_volume"],
                form.cleaned_data.get("to_volume"),
                form.cleaned_data["yuan_per_unit"],
            )
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("from_volume") is not None
            and form.cleaned_data.get("yuan_per_unit") is not None
        ]
        problem = tiers_problem(tiers)
        if problem:
            raise forms.ValidationError(problem)


class TierInline(admin.TabularInline):
    model = PieceRateTier
    formset = TierFormSet
    fields = ("from_volume", "to_volume", "yuan_per_unit")
    extra = 1


class PieceRateForm(forms.ModelForm):
    class Meta:
        model = PieceRate
        fields = ("rule", "metric", "sort_order")

    def clean(self) -> dict:
        cleaned = super().clean()
        metric = cleaned.get("metric")
        if metric is not None:
            problem = piece_metric_problem(metric)
            if problem:
                self.add_error("metric", problem)
        rule = cleaned.get("rule")
        if rule is not None and self.has_changed():
            reason = rule_lock_reason(rule)
            if reason:
                raise forms.ValidationError(reason)
        return cleaned


@admin.register(PieceRate)
class PieceRateAdmin(HqWritesAdmin):
    """计件: a piece rate of a pay rule, with its tiers of volume (marginal, like tax brackets: each tier's
    rate pays only the units inside it)."""

    form = PieceRateForm
    inlines = [TierInline]
    list_display = ("rule", "metric", "tiers")
    list_select_related = ("rule", "metric")
    list_filter = ("rule__template_code",)
    autocomplete_fields = ("metric",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("tiers")

    @admin.display(description=_("tiers (元 per unit)"))
    def tiers(self, piece: PieceRate) -> str:
        return _tiers_text(piece) or "—"


# -- team pools ------------------------------------------------------------------------------------------


class TeamPoolForm(forms.ModelForm):
    month = MonthField(label=_("month"), help_text=_("The month it is shared in, as 2026-11."))

    class Meta:
        model = TeamPool
        fields = ("unit", "month", "amount", "note")

    def clean(self) -> dict:
        cleaned = super().clean()
        reason = pool_lock_reason(self.instance) if self.instance.pk and self.has_changed() else None
        if reason:
            raise forms.ValidationError(reason)
        unit, month = cleaned.get("unit"), cleaned.get("month")
        if unit is not None and month is not None and self.has_changed():
            problem = pool_problem(unit=unit, month=month)
            if problem:
                self.add_error("month", problem)
        return cleaned


@admin.register(TeamPool)
class TeamPoolAdmin(HqWritesAdmin):
    """团队奖金池: an amount a unit shares among its staff by score, to the fen (the largest remainder)."""

    form = TeamPoolForm
    list_display = ("unit", "month_label", "amount_shown", "note")
    list_select_related = ("unit",)
    list_filter = ("month",)
    search_fields = ("unit__code", "unit__name_zh", "note")
    autocomplete_fields = ("unit",)

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, pool: TeamPool) -> str:
        return f"{pool.month:%Y-%m}"

    @admin.display(description=_("amount (元)"), ordering="amount")
    def amount_shown(self, pool: TeamPool) -> str:
        return _money(pool.amount)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or not pool_lock_reason(obj))


# -- stored sheets (read-only) -----------------------------------------------------------------------------


class ScopedReadOnlyAdmin(admin.ModelAdmin):
    """Rows of the reader's units only; nothing is added, changed or deleted here."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        scope = scope_for_user(request.user)
        if scope.everything:
            return queryset
        if scope.unit_path:
            return queryset.filter(unit__path__startswith=scope.unit_path)
        return queryset.none()

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class PaySheetLineInline(admin.TabularInline):
    model = PaySheetLine
    fields = ("position", "kind", "metric", "volume_shown", "gross_shown", "amount_shown", "gate", "source_month")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("volume"))
    def volume_shown(self, line: PaySheetLine) -> str:
        return plain_number(line.volume) if line.volume is not None else "—"

    @admin.display(description=_("before gates (元)"))
    def gross_shown(self, line: PaySheetLine) -> str:
        return _money(line.gross)

    @admin.display(description=_("amount (元)"))
    def amount_shown(self, line: PaySheetLine) -> str:
        return _money(line.amount)


@admin.register(PaySheet)
class PaySheetAdmin(ScopedReadOnlyAdmin):
    inlines = [PaySheetLineInline]
    list_display = ("month_label", "staff", "unit", "template_code", "score_shown", "total_shown", "closed_at", "page")
    list_select_related = ("staff", "unit")
    list_filter = ("month", "template_code", "vetoed")
    search_fields = ("staff__code", "staff__name", "unit__code", "unit__name_zh")
    date_hierarchy = "closed_at"
    fields = (
        "month_label",
        "staff",
        "unit",
        "rule",
        "template_code",
        "template_from",
        "scorecard_date",
        "score_shown",
        "vetoed",
        "veto_reason",
        "rank",
        "rank_of",
        "total_shown",
        "carried_shown",
        "closed_at",
        "closed_by",
        "page",
    )
    readonly_fields = fields

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, sheet: PaySheet) -> str:
        return f"{sheet.month:%Y-%m}"

    @admin.display(description=_("total (元)"), ordering="total")
    def total_shown(self, sheet: PaySheet) -> str:
        return _money(sheet.total)

    @admin.display(description=_("score"), ordering="score")
    def score_shown(self, sheet: PaySheet) -> str:
        return format_number(sheet.score, 2) if sheet.score is not None else "—"

    @admin.display(description=_("carried over (元)"))
    def carried_shown(self, sheet: PaySheet) -> str:
        return _money(sheet.carried)

    @admin.display(description=_("page"))
    def page(self, sheet: PaySheet) -> str:
        url = f"{reverse('pay:staff_pay', args=[sheet.staff.code])}?month={sheet.month:%Y-%m}"
        return format_html('<a href="{}">{}</a>', url, _("Open the sheet"))


@admin.register(PayClose)
class PayCloseAdmin(ScopedReadOnlyAdmin):
    list_display = ("month_label", "unit", "at", "by", "sheets", "total_shown")
    list_select_related = ("unit", "by")
    list_filter = ("month",)
    date_hierarchy = "at"

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, close: PayClose) -> str:
        return f"{close.month:%Y-%m}"

    @admin.display(description=_("total (元)"), ordering="total")
    def total_shown(self, close: PayClose) -> str:
        return _money(close.total)
