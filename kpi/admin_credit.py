"""Credit splits (分润) in the admin: HQ shares a staff member's fact with a colleague at the same outlet,
and sets the standing rules (per metric and pair of posts, with the limits an outlet head may adjust
within); the outlets' adjustments and their audit are read here, changed on the outlet's credit splits
page (kpi/views/credit.py).

Splits are set and removed only through kpi.services.credit, which checks the split and marks the
rollup stale from the fact's date. Registered from kpi/admin.py, which imports this module.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kpi.models import CreditSplit, CreditSplitAdjustment, CreditSplitAdjustmentChange, CreditSplitRule
from kpi.services.credit import credit_split_problems, credit_split_remove, credit_split_set
from kpi.templatetags.kpi_format import kpi_share
from lib.numbers import plain_number


class CreditSplitForm(forms.ModelForm):
    class Meta:
        model = CreditSplit
        fields = ("fact", "partner", "share")
        help_texts = {
            "fact": _("A staff member's fact of a flow (a sale); search by outlet or staff code."),
            "share": _("The partner's percentage (30 means 30 %); the fact's own staff member keeps the rest."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The box shows the stored share without its column's trailing zeros: 30, not 30.0000.
        if self.instance.pk and self.initial.get("share") is not None:
            self.initial["share"] = plain_number(self.initial["share"])

    def clean(self) -> dict:
        cleaned = super().clean()
        fact = cleaned.get("fact") or (self.instance.fact if self.instance.fact_id else None)
        partner, share = cleaned.get("partner"), cleaned.get("share")
        if fact is not None and partner is not None and share is not None:
            for name, problem in credit_split_problems(fact=fact, partner=partner, share=share).items():
                self.add_error(name if name in self.fields else None, problem)
        return cleaned


@admin.register(CreditSplit)
class CreditSplitAdmin(admin.ModelAdmin):
    form = CreditSplitForm
    list_display = ("fact", "partner", "share_shown", "created_at", "created_by")
    list_select_related = ("fact__unit", "fact__staff", "fact__metric", "partner", "created_by")
    search_fields = ("fact__staff__code", "fact__unit__code", "partner__code")
    autocomplete_fields = ("fact", "partner")

    @admin.display(description=_("partner's share %"), ordering="share")
    def share_shown(self, split: CreditSplit) -> str:
        return kpi_share(split.share)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # The fact of a split is fixed: change the partner or the share, or remove the split.
        return ("fact", "created_at", "created_by") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: CreditSplit, form: CreditSplitForm, change: bool) -> None:
        split = credit_split_set(fact=obj.fact, partner=obj.partner, share=obj.share, created_by=request.user)
        # The admin goes on with `obj` (the message, the log entry, the redirect): make it the saved row.
        obj.pk = split.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: CreditSplit) -> None:
        credit_split_remove(fact=obj.fact)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for split in queryset.select_related("fact"):
            credit_split_remove(fact=split.fact)


class CreditSplitRuleForm(forms.ModelForm):
    class Meta:
        model = CreditSplitRule
        fields = (
            "metric", "owner_post", "partner_post", "share", "min_share", "max_share", "effective_from",
            "effective_to", "active", "note",
        )  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The boxes show the stored shares without their column's trailing zeros: 30, not 30.0000.
        for name in ("share", "min_share", "max_share"):
            if self.instance.pk and name in self.initial and self.initial[name] is not None:
                self.initial[name] = plain_number(self.initial[name])


@admin.register(CreditSplitRule)
class CreditSplitRuleAdmin(admin.ModelAdmin):
    form = CreditSplitRuleForm
    list_display = (
        "metric",
        "owner_post",
        "partner_post",
        "share_shown",
        "limits",
        "effective_from",
        "effective_to",
        "active",
    )
    list_filter = ("active", "metric", "owner_post", "partner_post")
    list_select_related = ("metric", "owner_post", "partner_post")
    search_fields = ("metric__code", "metric__name_zh", "note")
    fields = (
        "metric",
        ("owner_post", "partner_post"),
        ("share", "min_share", "max_share"),
        ("effective_from", "effective_to"),
        "active",
        "note",
    )

    @admin.display(description=_("partner's share %"), ordering="share")
    def share_shown(self, rule: CreditSplitRule) -> str:
        return kpi_share(rule.share)

    @admin.display(description=_("an outlet may set"))
    def limits(self, rule: CreditSplitRule) -> str:
        return f"{kpi_share(rule.min_share)} – {kpi_share(rule.max_share)}"


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Written on the outlet's credit splits page, through kpi.services.credit, with a reason."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(CreditSplitAdjustment)
class CreditSplitAdjustmentAdmin(_ReadOnlyAdmin):
    list_display = ("outlet", "rule", "share_shown", "changed_at", "changed_by")
    fields = ("outlet", "rule", "share_shown", "changed_at", "changed_by")
    readonly_fields = fields

    @admin.display(description=_("partner's share %"), ordering="share")
    def share_shown(self, adjustment: CreditSplitAdjustment) -> str:
        return kpi_share(adjustment.share)

    list_select_related = ("outlet", "rule__metric", "rule__owner_post", "rule__partner_post", "changed_by")
    search_fields = ("outlet__code", "outlet__name_zh", "rule__metric__code")


@admin.register(CreditSplitAdjustmentChange)
class CreditSplitAdjustmentChangeAdmin(_ReadOnlyAdmin):
    list_display = ("changed_at", "outlet", "rule", "old_shown", "new_shown", "reason", "changed_by")
    fields = ("changed_at", "outlet", "rule", "old_shown", "new_shown", "reason", "changed_by")
    readonly_fields = fields

    @admin.display(description=_("old share %"), ordering="old_share")
    def old_shown(self, change: CreditSplitAdjustmentChange) -> str:
        return kpi_share(change.old_share) if change.old_share is not None else gettext("HQ's rule")

    @admin.display(description=_("new share %"), ordering="new_share")
    def new_shown(self, change: CreditSplitAdjustmentChange) -> str:
        return kpi_share(change.new_share) if change.new_share is not None else gettext("HQ's rule")

    list_select_related = ("outlet", "rule__metric", "rule__owner_post", "rule__partner_post", "changed_by")
    search_fields = ("outlet__code", "outlet__name_zh", "rule__metric__code", "reason")
    date_hierarchy = "changed_at"
