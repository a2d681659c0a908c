from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from campaigns import receivers
        from kpi.bulletin_sections import bulletin_section_register
        from kpi.signals import day_published

        day_published.connect(receivers.refresh_running_campaigns, dispatch_uid="campaigns.refresh_running")
        bulletin_section_register("campaigns", receivers.bulletin_sections)
