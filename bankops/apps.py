from django.apps import AppConfig


class BankopsConfig(AppConfig):
    name = "bankops"
    verbose_name = "BankOps"

    def ready(self) -> None:
        from bankops import auth  # noqa: F401  (connects the sign-in signal receiver)
