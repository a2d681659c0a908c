"""HQ's side of the outreach lists: the lists (name, due date; their customers are frozen when built, so
they are built on the lists page, set-based, not here), their customers and contacts read-only, and the
勿扰 flags, which HQ may lift or set. Each list shows only what the reader's scope sees; customer names
are not shown here (the customer's code is)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from outreach.models import Contact, DoNotContact, ListAssignment, OutreachList
from outreach.selectors import assignments_visible, contacts_visible, lists_visible
from staff.access import scope_for_user


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(OutreachList)
class OutreachListAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "channel", "assign_mode", "starts_on", "due_on", "customers", "created_by")
    list_filter = ("channel", "assign_mode", "starts_on")
    search_fields = ("name", "unit__code")
    readonly_fields = (
        "unit",
        "channel",
        "criteria",
        "assign_mode",
        "starts_on",
        "customers",
        "created_by",
        "created_at",
    )
    fields = ("name", "due_on", *readonly_fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # built on the lists page (outreach.services.building), set-based

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return lists_visible(scope_for_user(request.user)).select_related("created_by")


@admin.register(ListAssignment)
class ListAssignmentAdmin(_ReadOnly):
    list_display = ("outreach_list", "position", "customer", "staff", "outlet", "last_outcome", "first_contact_on")
    list_filter = ("last_outcome",)
    search_fields = ("customer__code", "staff__code")
    list_select_related = ("outreach_list", "customer", "staff", "outlet")
    raw_id_fields = ("outreach_list", "customer", "staff")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return assignments_visible(scope_for_user(request.user))


@admin.register(Contact)
class ContactAdmin(_ReadOnly):
    list_display = ("day", "customer", "staff", "outlet", "channel", "outcome", "product", "has_photo")
    list_filter = ("channel", "outcome", "day")
    search_fields = ("customer__code", "staff__code")
    list_select_related = ("customer", "staff", "outlet")
    exclude = ("latitude", "longitude")
    show_full_result_count = False

    @admin.display(description=_("photo"), boolean=True)
    def has_photo(self, contact: Contact) -> bool:
        return contact.has_photo

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return contacts_visible(scope_for_user(request.user))


@admin.register(DoNotContact)
class DoNotContactAdmin(admin.ModelAdmin):
    list_display = ("customer", "by_outcome", "set_by", "set_at", "note")
    list_filter = ("by_outcome",)
    search_fields = ("customer__code",)
    raw_id_fields = ("customer",)
    readonly_fields = ("by_outcome", "set_by", "set_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_by = request.user
        super().save_model(request, obj, form, change)
