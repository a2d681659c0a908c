from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from bankops.admin import CsvImportMixin
from staff.models import Assignment, Post, StaffMember, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "unit", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email", "unit__code", "unit__name_zh")
    autocomplete_fields = ("unit",)
    list_select_related = ("unit",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Role and scope"), {"fields": ("role", "unit")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Role and scope"), {"fields": ("role", "unit")}),
    )


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "sort_order", "is_front_line")
    search_fields = ("code", "name_zh", "name_en")


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    autocomplete_fields = ("unit",)


@admin.register(StaffMember)
class StaffMemberAdmin(CsvImportMixin, admin.ModelAdmin):
    import_kind = "staff"
    list_display = ("code", "name", "user")
    search_fields = ("code", "name", "assignments__unit__code")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)
    inlines = [AssignmentInline]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("staff", "post", "unit", "start", "end")
    list_filter = ("post", "unit__kind", "unit__area")
    search_fields = ("staff__code", "staff__name", "unit__code", "unit__name_zh")
    autocomplete_fields = ("staff", "unit")
    list_select_related = ("staff", "post", "unit")
    date_hierarchy = "start"
