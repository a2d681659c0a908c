from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints register")

    def ready(self) -> None:
        # One source per outlet and day for the `complaints` metric (kpi.services.facts): where the
        # register has a complaint of an outlet and day, its count is the fact and a pushed count for
        # that outlet and day is not written; elsewhere the pushed count stands.
        from complaints.services import COMPLAINTS_METRIC, days_held
        from kpi.models import IngestBatch
        from kpi.services.facts import fact_keeper_register

        fact_keeper_register(metric_code=COMPLAINTS_METRIC, source=IngestBatch.Source.COMPLAINTS, held=days_held)
