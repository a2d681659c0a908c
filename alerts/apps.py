from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Early warning and follow-through")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before the receivers' modules load models.
        from alerts import receivers
        from kpi.signals import day_published

        day_published.connect(receivers.evaluate_published_day, dispatch_uid="alerts.evaluate_published_day")
