from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Early warning and follow-through")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before the receivers' modules load models.
        from alerts import links, receivers
        from kpi.signals import day_published
        from lib.links import link_kind_register

        day_published.connect(receivers.evaluate_published_day, dispatch_uid="alerts.evaluate_published_day")
        # What other apps (a meeting's action item) may link to, without importing alerts.
        link_kind_register(links.ALERT)
        link_kind_register(links.IMPROVEMENT_PLAN)
