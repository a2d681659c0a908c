"""HQ's side of the points ledger: the items (what counts, how much, who may record it), and the entries,
read-only.

Entries are recorded, approved, rejected and withdrawn only through ledger.services (the pages and the
API), which check who may and write the facts all or nothing; here HQ reads them, with their audit
trail, the facts they are in and a link to the photo (streamed by the ledger's view, which checks the
scope). Each list shows only the outlets of the reader's scope.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ledger.models import EntryChange, LedgerEntry, LedgerItem
from ledger.selectors import entries_visible
from lib.admin_dates import RangeDateHierarchyMixin
from lib.numbers import format_number
from staff.access import scope_for_user


@admin.register(LedgerItem)
class LedgerItemAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name_zh",
        "kind",
        "metric",
        "points_shown",
        "daily_cap",
        "requires_customer",
        "requires_evidence",
        "requires_approval",
        "is_active",
    )
    list_filter = ("kind", "is_active", "requires_approval", "metric")
    search_fields = ("code", "name_zh", "name_en")
    filter_horizontal = ("posts",)
    fieldsets = (
        (None, {"fields": ("code", "name_zh", "name_en", "kind", "metric", "points_per_unit", "unit_label")}),
        (
            _("Who records it, and what it needs"),
            {
                "fields": (
                    "posts",
                    "requires_customer",
                    "requires_evidence",
                    "requires_approval",
                    "daily_cap",
                    "is_active",
                    "sort_order",
                )
            },
        ),
    )

    @admin.display(description=_("points per unit"), ordering="points_per_unit")
    def points_shown(self, item: LedgerItem) -> str:
        return format_number(item.signed_points_per_unit, 2, signed=True)


class EntryChangeInline(admin.TabularInline):
    model = EntryChange
    extra = 0
    can_delete = False
    fields = ("at", "action", "by", "token_name", "reason")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(RangeDateHierarchyMixin, admin.ModelAdmin):
    list_display = (
        "day",
        "staff",
        "unit",
        "item",
        "quantity",
        "points_shown",
        "partner",
        "status",
        "decided_by",
        "photo_link",
    )
    list_filter = ("status", "day", "item")
    search_fields = ("staff__code", "staff__name", "unit__code", "customer_code", "item__code")
    date_hierarchy = "day"
    list_select_related = ("staff", "unit", "item", "partner", "decided_by")
    inlines = (EntryChangeInline,)
    readonly_fields = (
        "item",
        "staff",
        "unit",
        "day",
        "quantity",
        "points_shown",
        "partner",
        "partner_share_shown",
        "own_points_shown",
        "partner_points_shown",
        "customer_code",
        "note",
        "photo_link",
        "status",
        "entered_by",
        "entered_at",
        "decided_by",
        "decided_at",
        "rejection_reason",
        "fact",
        "partner_fact",
        "batch",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return entries_visible(scope_for_user(request.user), super().get_queryset(request))

    @admin.display(description=_("points"), ordering="points")
    def points_shown(self, entry: LedgerEntry) -> str:
        return format_number(entry.points, 2)

    @admin.display(description=_("own points"))
    def own_points_shown(self, entry: LedgerEntry) -> str:
        return format_number(entry.own_points, 2)

    @admin.display(description=_("partner's points"))
    def partner_points_shown(self, entry: LedgerEntry) -> str:
        return format_number(entry.partner_points, 2) if entry.partner_id else "—"

    @admin.display(description=_("partner's share %"))
    def partner_share_shown(self, entry: LedgerEntry) -> str:
        return f"{format_number(entry.partner_share, 2)}%" if entry.partner_share is not None else "—"

    @admin.display(description=_("photo"))
    def photo_link(self, entry: LedgerEntry) -> str:
        if not entry.photo:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("ledger:photo", args=[entry.pk]), _("open"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
