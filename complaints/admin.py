"""HQ's view of the complaints register: every complaint, its reply and review. Complaints are never
deleted (a day the register holds stays held: complaints.services); the complainant's name and phone are
shown to those who may read personal data only."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from complaints.models import Complaint
from complaints.selectors import complaints_visible
from staff.access import scope_for_user


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ("received_on", "unit", "channel", "category", "reply_due", "replied_on", "validity")
    list_filter = ("channel", "category", "validity")
    search_fields = ("unit__code", "unit__name_zh", "summary")
    date_hierarchy = "received_on"
    autocomplete_fields = ("unit", "staff")
    readonly_fields = ("created_by", "created_at", "replied_by", "reviewed_by", "reviewed_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Complaint]:
        return complaints_visible(scope=scope_for_user(request.user))

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
