from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    name = "kpi"
    verbose_name = _("Performance")

    def ready(self) -> None:
        from kpi import links
        from kpi.models import RollupDay
        from kpi.receivers import scorecards_warm_queue
        from kpi.services.runs import rollup_problems, run_tables_analyze
        from kpi.signals import day_published
        from lib import operations
        from lib.links import link_kind_register

        operations.register(rollup_problems)
        # First among the receivers (kpi is ready before the apps above): the statistics of the tables
        # just written, before alerts and notify read them (kpi.services.runs.run_tables_analyze).
        day_published.connect(run_tables_analyze, sender=RollupDay, dispatch_uid="kpi.run_tables_analyze")
        # The API's first readers of the day: its month scorecards computed ahead, in a worker.
        day_published.connect(scorecards_warm_queue, sender=RollupDay, dispatch_uid="kpi.scorecards_warm")
        # A target, for the apps above that agree to change one (a meeting's action item, lib.links).
        link_kind_register(links.TARGET)
