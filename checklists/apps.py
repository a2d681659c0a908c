from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecklistsConfig(AppConfig):
    name = "checklists"
    verbose_name = _("Checklists, patrols and inspections")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before the modules load models.
        from checklists import links, selectors
        from kpi.veto_details import veto_details_register
        from lib.links import link_kind_register
        from staff.access import waiting_work_register

        # The alert an inspection finding opens links back to it (alerts shows the link by kind and id).
        link_kind_register(links.FINDING)
        # The outlet head's badge counts today's missed patrols and failed items not yet looked at.
        waiting_work_register(
            "checklists.patrols_to_look_at",
            selectors.patrols_to_look_at_of,
            label=_("patrols to look at"),
            url_name="checklists:home",
        )
        # A scorecard vetoed by an inspection says which finding did it (kpi asks, never imports us).
        veto_details_register(links.VETO_METRIC, selectors.inspection_veto_details)
