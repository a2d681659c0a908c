from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    name = "kpi"
    verbose_name = _("Performance")

    def ready(self) -> None:
        from kpi import links
        from kpi.services.runs import rollup_problems
        from lib import operations
        from lib.links import link_kind_register

        operations.register(rollup_problems)
        # A target, for the apps above that agree to change one (a meeting's action item, lib.links).
        link_kind_register(links.TARGET)
