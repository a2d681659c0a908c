from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "notify"
    verbose_name = _("Push to work chats")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before the receivers' modules load models.
        from kpi.signals import day_published
        from notify import receivers

        day_published.connect(receivers.push_published_day, dispatch_uid="notify.push_published_day")
