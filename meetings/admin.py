"""HQ's view of the meetings (read-mostly): the meetings of the units in the reader's scope with their
attendance, topics, goals and action items, the goals' audit, and the action items with their links.

Meetings are held on their pages and through the API (meetings.services), which check who may hold them
and keep the goals' audit, so here they are read-only: HQ looks, filters and searches; an action item's
status may be corrected (an item marked done by mistake), nothing else.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kpi.templatetags.kpi_format import metric_scale
from lib.admin_dates import RangeDateHierarchyMixin
from lib.links import link_kind, link_kinds
from meetings.models import ActionItem, Attendance, Goal, GoalChange, Meeting, Topic
from staff.access import scope_for_user


class ScopedAdmin(admin.ModelAdmin):
    """Rows of the units inside the reader's scope only (`unit_field` is the path to the unit)."""

    unit_field = "unit"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        scope = scope_for_user(request.user)
        if scope.everything:
            return queryset
        if scope.unit_path:
            return queryset.filter(**{f"{self.unit_field}__path__startswith": scope.unit_path})
        return queryset.none()


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class AttendanceInline(ReadOnlyMixin, admin.TabularInline):
    model = Attendance
    fields = ("staff", "status")
    readonly_fields = fields
    extra = 0


class TopicInline(ReadOnlyMixin, admin.TabularInline):
    model = Topic
    fields = ("kind", "text", "added_by")
    readonly_fields = fields
    extra = 0


def _figure(value, metric) -> str:
    """A stored figure as the pages write it (kpi_format): the decimals of its metric's unit, never the
    column's four (3, not 3.0000; 12.50 万元)."""
    return metric_scale(metric).write(value)


class GoalInline(ReadOnlyMixin, admin.TabularInline):
    model = Goal
    fields = ("staff", "metric", "value_shown", "set_by", "set_at")
    readonly_fields = fields
    extra = 0

    @admin.display(description=_("goal"))
    def value_shown(self, goal: Goal) -> str:
        return _figure(goal.value, goal.metric)


def _kind_label(code: str) -> str:
    kind = link_kind(code) if code else None
    return str(kind.label) if kind else code or "—"


class LinkKindFilter(admin.SimpleListFilter):
    """What the items are linked to, by the kind's name (lib.links), not its code."""

    title = _("linked to")
    parameter_name = "link_kind"

    def lookups(self, request: HttpRequest, model_admin):
        return [(kind.code, kind.label) for kind in link_kinds()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(link_kind=self.value()) if self.value() else queryset


class ActionItemInline(ReadOnlyMixin, admin.TabularInline):
    model = ActionItem
    fields = ("text", "owner", "due", "status", "link_kind_shown", "link_id")
    readonly_fields = fields
    extra = 0

    @admin.display(description=_("linked to"))
    def link_kind_shown(self, item: ActionItem) -> str:
        return _kind_label(item.link_kind)


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("date", "kind", "unit", "held_by", "updated_at")
    list_filter = ("kind", "date")
    list_select_related = ("unit", "held_by")
    search_fields = ("unit__code", "unit__name_zh", "decisions")
    date_hierarchy = "date"
    fields = ("unit", "kind", "date", "held_by", "goal_metrics", "decisions", "created_at", "updated_at")
    readonly_fields = fields
    inlines = [AttendanceInline, TopicInline, GoalInline, ActionItemInline]


@admin.register(GoalChange)
class GoalChangeAdmin(RangeDateHierarchyMixin, ReadOnlyMixin, ScopedAdmin):
    """The goals' audit: who set, changed or cleared which goal, when, old → new."""

    unit_field = "meeting__unit"
    list_display = ("changed_at", "meeting", "staff", "metric", "old_shown", "new_shown", "changed_by", "source")
    list_filter = ("source", "metric")
    list_select_related = ("meeting__unit", "staff", "metric", "changed_by")
    search_fields = ("staff__code", "meeting__unit__code", "changed_by__username")
    date_hierarchy = "changed_at"
    fields = ("meeting", "staff", "metric", "old_shown", "new_shown", "changed_by", "changed_at", "source")
    readonly_fields = fields

    @admin.display(description=_("old value"), ordering="old_value")
    def old_shown(self, change: GoalChange) -> str:
        return _figure(change.old_value, change.metric)

    @admin.display(description=_("new value"), ordering="new_value")
    def new_shown(self, change: GoalChange) -> str:
        return _figure(change.new_value, change.metric)


@admin.register(ActionItem)
class ActionItemAdmin(ScopedAdmin):
    unit_field = "meeting__unit"
    list_display = ("text", "meeting", "owner", "due", "status", "linked_to", "closed_with_link")
    list_filter = ("status", "closed_with_link", LinkKindFilter, "due")
    list_select_related = ("meeting__unit", "owner")
    search_fields = ("text", "owner__username", "meeting__unit__code")
    date_hierarchy = "due"
    fields = (
        "meeting",
        "text",
        "owner",
        "due",
        "status",
        "linked_to",
        "closed_with_link",
        "done_at",
        "done_by",
        "created_by",
        "created_at",
    )
    # Only the status may be corrected here; everything else is the meeting's record.
    readonly_fields = tuple(name for name in fields if name != "status")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return scope_for_user(request.user).may_write_network and super().has_change_permission(request, obj)

    @admin.display(description=_("linked to"))
    def linked_to(self, item: ActionItem) -> str:
        kind = link_kind(item.link_kind) if item.link_kind else None
        if kind is None or item.link_id is None:
            return "—"
        obj = kind.objects().filter(pk=item.link_id).first()
        if obj is None:
            return f"{_kind_label(item.link_kind)} #{item.link_id}"
        url = kind.url(obj)
        return format_html('<a href="{}">{}</a>', url, kind.describe(obj)) if url else kind.describe(obj)
