from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
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
