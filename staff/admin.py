from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from lib.admin_delete import DeleteSummaryMixin
from lib.admin_import import CsvImportMixin
from lib.csvimport import CsvImporter
from staff.models import ApiToken, Assignment, Post, StaffMember, User
from staff.services import STAFF_COLUMNS, api_token_issue_key, api_token_revoke, api_token_scopes, staff_import

# Django stores a permission's name in English when it migrates ("Can add scorecard template"); the
# admin shows that name as it is. Read off the codename instead, with the model's translated name.
PERMISSION_ACTIONS = {
    "add": _("Can add"),
    "change": _("Can change"),
    "delete": _("Can delete"),
    "view": _("Can view"),
}


def permission_label(permission: Permission) -> str:
    """ "绩效考核 | 考核方案 | 可增加" for kpi.add_scorecardtemplate; a permission of a model's own
    Meta.permissions keeps its name (translated where our catalog has it)."""
    model = permission.content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is None or action not in PERMISSION_ACTIONS or model_name != model._meta.model_name:
        return f"{permission.content_type} | {_(permission.name)}"
    return f"{model._meta.app_config.verbose_name} | {model._meta.verbose_name} | {PERMISSION_ACTIONS[action]}"


def _permission_list(permissions) -> str:
    labels = sorted(permission_label(permission) for permission in permissions.select_related("content_type"))
    return format_html_join(mark_safe("<br>"), "{}", ((label,) for label in labels))


class PermissionLabels:
    """A group's or a user's permissions listed by permission_label: in the two boxes of the change form,
    and on the view-only form (where Django would join their English names)."""

    SHOWN = {"permissions": "permissions_shown", "user_permissions": "user_permissions_shown"}

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if db_field.name in self.SHOWN:
            formfield.queryset = formfield.queryset.select_related("content_type")
            formfield.label_from_instance = permission_label
        return formfield

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": [self.SHOWN.get(field, field) for field in options["fields"]]})
            for name, options in fieldsets
        ]

    @admin.display(description=_("permissions"))
    def permissions_shown(self, group: Group) -> str:
        return _permission_list(group.permissions)

    @admin.display(description=_("user permissions"))
    def user_permissions_shown(self, user: User) -> str:
        return _permission_list(user.user_permissions)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PermissionLabels, DjangoGroupAdmin):
    pass


# Django 5.2 writes the "Password-based authentication" help in English in every language (its zh_Hans
# catalog leaves it untranslated, and the password page's warning is joined to it at import time).
USABLE_PASSWORD_HELP = _(
    "Whether the user can sign in with a password. If disabled, they may still sign in by other means, "
    "such as single sign-on."
)
PASSWORD_LOST_WARNING = _("If disabled, the current password for this user will be lost.")


class UserCreationForm(AdminUserCreationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["usable_password"].help_text = USABLE_PASSWORD_HELP


class PasswordChangeForm(AdminPasswordChangeForm):
    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        USABLE_PASSWORD_HELP,
        PASSWORD_LOST_WARNING,
    )


@admin.register(User)
class UserAdmin(PermissionLabels, DjangoUserAdmin):
    add_form = UserCreationForm
    change_password_form = PasswordChangeForm
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
class StaffMemberAdmin(CsvImportMixin, DeleteSummaryMixin, admin.ModelAdmin):
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
    list_display = ("name", "prefix", "unit", "scopes_shown", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "unit__code")
    autocomplete_fields = ("unit",)
    list_select_related = ("unit",)
    readonly_fields = ("prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "unit", "scopes")
        if not self.has_change_permission(request, obj):
            return ("name", "unit", "scopes_shown", *self.readonly_fields)
        return ("name", "unit", "scopes", *self.readonly_fields)

    @admin.display(description=_("scopes"))
    def scopes_shown(self, token: ApiToken) -> str:
        """The scopes by name (the field holds their codes, as the API reads them)."""
        labels = dict(ApiToken.ScopeName.choices)
        return ", ".join(str(labels.get(code, code)) for code in sorted(token.scope_names))

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
