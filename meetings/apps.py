from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings (晨会, 夕会, 周例会)")

    def ready(self) -> None:
        # Imported here: the app registry must be ready before the receivers' modules load models.
        from kpi.day_goals import day_goals_register
        from lib.links import objects_closed
        from meetings import day_goals, receivers, selectors
        from staff.access import waiting_work_register

        # An action item linked to an alert closes when alerts announces the alert closed (lib.links);
        # meetings imports no alerts module.
        objects_closed.connect(receivers.close_linked_action_items, dispatch_uid="meetings.close_linked_action_items")
        # The owner's overdue action items count in the header badge (alerts.selectors.badge_count).
        waiting_work_register(
            "meetings.overdue_action_items",
            selectors.overdue_action_items_of,
            label=_("overdue action items"),
            url_name="meetings:action_items",
        )
        # The goals of the morning meeting on the person's own scorecard, beside the figures (kpi imports
        # no meetings module).
        day_goals_register("meetings.morning_goals", day_goals.morning_goals)
