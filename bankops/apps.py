from django.apps import AppConfig


class BankopsConfig(AppConfig):
    name = "bankops"
    verbose_name = "BankOps"
