from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("People")

    def ready(self) -> None:
        from django.contrib.auth.models import Group

        from staff.admin import permission_label
        from staff.models import User

        # A user group's or a user's permission, as the admin's delete confirmation lists it: by its Chinese
        # label (Django's own is "kpi | scorecard template | Can view scorecard template").
        def group_permission(link) -> str:
            return f"{link.group} → {permission_label(link.permission)}"

        def user_permission(link) -> str:
            return f"{link.user} → {permission_label(link.permission)}"

        Group.permissions.through.__str__ = group_permission
        User.user_permissions.through.__str__ = user_permission
