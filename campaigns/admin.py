"""HQ's side of the campaigns: a campaign with its focus metrics and bonus rules, its outlets' targets, its
scripts and materials; the gift ledger, read-only (gifts are recorded through campaigns.services, on the
pages and the API, where the budget and the per-customer limit are checked).

Saving a campaign queues its scores again (campaigns.tasks.refresh_campaign, after the commit): its
metrics, outlets or window may have changed. Each list shows only what the reader's scope reads.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, CampaignMaterial, CampaignMetric, CampaignTarget, GiftRecord
from campaigns.selectors import campaigns_visible
from lib.admin_delete import DeleteSummaryMixin
from lib.numbers import format_number
from staff.access import scope_for_user

# The campaigns' inlines leave out each row's str(), which writes a figure with its column's four decimals
# ("mobile_banking_signups × 2.0000", "GZ0101 … 100.0000"): the row's own fields show it.
SHOWN_TABULAR = "admin/campaigns/edit_inline/tabular.html"


class CampaignMetricInline(admin.TabularInline):
    model = CampaignMetric
    template = SHOWN_TABULAR
    extra = 1
    fields = ("metric", "rule", "factor", "sort_order")
    autocomplete_fields = ("metric",)


class CampaignTargetInline(admin.TabularInline):
    model = CampaignTarget
    template = SHOWN_TABULAR
    extra = 0
    fields = ("unit", "metric", "value")
    # A campaign of a branch holds a target per outlet and metric (the demo's: 124 rows): a select of
    # every unit and every metric on each row made its change form take 8 s; a search box per row does not.
    autocomplete_fields = ("unit", "metric")


class CampaignMaterialInline(admin.StackedInline):
    model = CampaignMaterial
    extra = 0
    fields = ("kind", "title", "body", "url", "sort_order")


class CampaignAdminForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = (
            "code", "name_zh", "name_en", "theme", "unit", "start", "end", "description", "units", "posts",
            "gift_budget", "gift_limit_per_customer",
        )  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        organiser, units = cleaned.get("unit"), cleaned.get("units")
        if organiser is not None and units:
            outside = [unit.name for unit in units if not unit.path.startswith(organiser.path)]
            if outside:
                raise forms.ValidationError(
                    {
                        "units": _("Only units under the organiser take part: %(units)s are not.")
                        % {"units": "、".join(outside)}
                    }
                )
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(DeleteSummaryMixin, admin.ModelAdmin):
    form = CampaignAdminForm
    list_display = ("code", "name_zh", "theme", "unit", "start", "end", "budget_shown", "scores_refreshed_at")
    list_filter = ("theme", "start")
    search_fields = ("code", "name_zh", "name_en")
    date_hierarchy = "start"
    filter_horizontal = ("units", "posts")
    inlines = (CampaignMetricInline, CampaignTargetInline, CampaignMaterialInline)
    fieldsets = (
        (None, {"fields": ("code", "name_zh", "name_en", "theme", "unit", "start", "end", "description")}),
        (_("Who takes part"), {"fields": ("units", "posts")}),
        (_("Gifts"), {"fields": ("gift_budget", "gift_limit_per_customer")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return campaigns_visible(scope_for_user(request.user), super().get_queryset(request)).select_related("unit")

    @admin.display(description=_("gift budget (yuan)"), ordering="gift_budget")
    def budget_shown(self, campaign: Campaign) -> str:
        return format_number(campaign.gift_budget, 2)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        from campaigns.tasks import refresh_campaign

        campaign_id = form.instance.pk
        transaction.on_commit(lambda: refresh_campaign.delay(campaign_id))


@admin.register(GiftRecord)
class GiftRecordAdmin(admin.ModelAdmin):
    list_filter = ("campaign", "day")
    list_select_related = ("campaign", "unit", "staff")
    date_hierarchy = "day"
    search_fields = ("unit__code", "staff__code", "item")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        scope = scope_for_user(request.user)
        gifts = super().get_queryset(request)
        if scope.everything:
            return gifts
        if scope.unit_path:
            return gifts.filter(unit__path__startswith=scope.unit_path)
        return gifts.none()

    @admin.display(description=_("value (yuan)"), ordering="value")
    def value_shown(self, gift: GiftRecord) -> str:
        return format_number(gift.value, 2)

    # The customer's number and name through the reader's scope (masked unless they may read personal
    # data): functions made per request, since one ModelAdmin serves every reader.
    def _masked(self, request: HttpRequest) -> tuple:
        scope = scope_for_user(request.user)

        @admin.display(description=_("customer number"))
        def customer_shown(gift: GiftRecord) -> str:
            return scope.customer_code(gift.customer_code)

        @admin.display(description=_("customer name"))
        def customer_name_shown(gift: GiftRecord) -> str:
            return scope.person_name(gift.customer_name) if gift.customer_name else "—"

        return customer_shown, customer_name_shown

    def get_list_display(self, request: HttpRequest):
        customer_shown, _name = self._masked(request)
        return ("day", "campaign", "unit", "staff", customer_shown, "item", "value_shown")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        customer_shown, customer_name_shown = self._masked(request)
        return (
            "campaign",
            "unit",
            "staff",
            "day",
            customer_shown,
            customer_name_shown,
            "item",
            "value_shown",
            "note",
            "entered_by",
            "entered_at",
        )

    def get_fields(self, request: HttpRequest, obj=None):
        return self.get_readonly_fields(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
