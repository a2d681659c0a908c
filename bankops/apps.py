from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _


class BankopsConfig(AppConfig):
    # The one this module's two configs that INSTALLED_APPS' plain "bankops" means (without `default`,
    # Django took a bare AppConfig and this ready() never ran).
    default = True
    name = "bankops"
    verbose_name = "BankOps"

    def ready(self) -> None:
        from bankops import auth  # noqa: F401  (connects the sign-in signal receiver)

        _read_only_decimals_without_the_columns_zeros()
        _many_to_many_links_named()
        _change_messages_name_fields_by_their_msgid()


def _change_messages_name_fields_by_their_msgid() -> None:
    """The admin's history names each changed field by its form label, stored in English ("Name
    (Chinese)": capfirst of the field's verbose_name) and translated when the history is read; our
    catalog holds the verbose_name itself ("name (Chinese)"), so the history read "已修改 Name (Chinese)".
    A label that is the model field's verbose_name with a capital is stored as the verbose_name; any
    other label (a form's own) as it is. Django 5.2's admin.utils._get_changed_field_labels_from_form,
    which construct_change_message calls by its module name."""
    from django.contrib.admin import utils
    from django.core.exceptions import FieldDoesNotExist
    from django.utils.text import capfirst

    def changed_field_labels(form, changed_data):
        model = getattr(getattr(form, "_meta", None), "model", None)
        labels = []
        for name in changed_data:
            field = form.fields.get(name)
            label = str(field.label) if field is not None and field.label else name
            try:
                verbose = str(model._meta.get_field(name).verbose_name) if model is not None else None
            except FieldDoesNotExist:
                verbose = None
            labels.append(verbose if verbose is not None and label == capfirst(verbose) else label)
        return labels

    utils._get_changed_field_labels_from_form = changed_field_labels


def _many_to_many_links_named() -> None:
    """A many-to-many link (the row of a through table Django makes itself: a peer group's member, a user
    group's permission) is written "<one> → <other>", where Django wrote "PeerGroup_members object (105)"
    in English on the admin's delete confirmation. A through model of our own keeps its __str__."""
    from django.apps import apps

    def link(self) -> str:
        ends = [getattr(self, field.name) for field in self._meta.fields if field.is_relation]
        return " → ".join(str(end) for end in ends)

    for model in apps.get_models(include_auto_created=True):
        if model._meta.auto_created and "__str__" not in vars(model):
            model.__str__ = link


def _read_only_decimals_without_the_columns_zeros() -> None:
    """The admin writes a read-only DecimalField (every field of a change form the reader may only view:
    an auditor's) with all its column's places, 0.900000, 100.0000. Written here as the pages write a
    figure that has no unit to go by (lib.numbers.plain_number: 0.9, 100). The admins that show a stored
    figure in its metric's unit keep their own display methods (kpi.admin)."""
    from django.contrib.admin import helpers
    from django.db import models

    from lib.numbers import plain_number

    shown = helpers.display_for_field

    def display_for_field(value, field, empty_value_display, avoid_link=False):
        if isinstance(field, models.DecimalField) and value is not None:
            return plain_number(value)
        return shown(value, field, empty_value_display, avoid_link)

    helpers.display_for_field = display_for_field


class LoginLockoutConfig(AxesAppConfig):
    """django-axes under a name the admin shows in Chinese (it ships no zh-Hans catalog: its own strings
    are translated in ours, bankops/third_party_strings.py)."""

    verbose_name = _("Sign-in lockouts")

    def ready(self) -> None:
        super().ready()
        # django-axes names its rows in English ("Access Log for … @ …"): the admin's titles and
        # checkboxes show these names, so they are named here in the reader's language.
        from axes.admin import AccessAttemptAdmin
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        AccessAttemptAdmin.status.short_description = _("status")  # a column Django would title "Status"

        def named(text):
            def __str__(row) -> str:
                when = timezone.localtime(row.attempt_time) if row.attempt_time else None
                return gettext(text) % {"username": row.username, "time": f"{when:%Y-%m-%d %H:%M:%S}" if when else ""}

            return __str__

        AccessAttempt.__str__ = named(gettext_noop("Sign-in attempts of %(username)s at %(time)s"))
        AccessFailureLog.__str__ = named(gettext_noop("Failed sign-in of %(username)s at %(time)s"))
        AccessLog.__str__ = named(gettext_noop("Sign-in of %(username)s at %(time)s"))
