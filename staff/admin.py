from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lib.admin_import import CsvImportMixin
from lib.csvimport import CsvImporter
from staff.models import ApiToken, Assignment, Post, StaffMember, User
from staff.services import STAFF_COLUMNS, api_token_issue_key, api_token_revoke, api_token_scopes, staff_import


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
    csv_importer = CsvImporter("staff", STAFF_COLUMNS, staff_import)
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


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=ApiToken.ScopeName.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("read: pull scorecards and values; ingest: push facts; admin: writes HQ would make."),
    )

    class Meta:
        model = ApiToken
        fields = ("name", "unit", "scopes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["scopes"] = sorted(self.instance.scope_names)

    def clean_scopes(self) -> str:
        try:
            return api_token_scopes(self.cleaned_data["scopes"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Integration tokens. A new token's key is shown once, in the message after saving; only its hash
    is stored, so a lost key means a new token (and revoking the old one)."""

    form = ApiTokenForm
    list_display = ("name", "prefix", "unit", "scopes", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "unit__code")
    autocomplete_fields = ("unit",)
    list_select_related = ("unit",)
    readonly_fields = ("prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "unit", "scopes")
        return ("name", "unit", "scopes", *self.readonly_fields)

    def save_model(self, request, obj: ApiToken, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.created_by = request.user
        key = api_token_issue_key(obj)
        super().save_model(request, obj, form, change)
        messages.warning(
            request,
            _("The key of token “%(name)s” is shown only this once; copy it now: %(key)s")
            % {"name": obj.name, "key": key},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset) -> None:
        names = list(queryset.filter(revoked_at=None).values_list("name", flat=True))
        for name in names:
            api_token_revoke(name=name)
        messages.success(request, _("%(count)d token(s) revoked.") % {"count": len(names)})
