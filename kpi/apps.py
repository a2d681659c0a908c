from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    name = "kpi"
    verbose_name = _("Performance")

    def ready(self) -> None:
        from kpi.services.runs import rollup_problems
        from lib import operations

        operations.register(rollup_problems)
