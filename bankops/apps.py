from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _


class BankopsConfig(AppConfig):
    name = "bankops"
    verbose_name = "BankOps"

    def ready(self) -> None:
        from bankops import auth  # noqa: F401  (connects the sign-in signal receiver)


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
