"""The alert list's download (?export=csv|xlsx), declared once (lib.tables)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from lib.tables import BOOLEAN, DATE, DECIMAL, Column, Table

ALERTS = Table(
    Column("id", _("Alert"), "pk"),
    Column("unit_code", _("Unit"), "unit.code"),
    Column("unit", _("Unit name"), "unit.name"),
    Column("rule", _("Rule"), "rule.name"),
    Column("metric", _("Metric"), lambda alert: alert.metric.code if alert.metric_id else ""),
    Column("detail", _("What was seen"), "detail"),
    Column("value", _("Value"), "value", kind=DECIMAL),
    Column("opened_on", _("First seen"), "opened_on", kind=DATE),
    Column("last_seen_on", _("Last seen"), "last_seen_on", kind=DATE),
    Column("status", _("Status"), lambda alert: alert.get_status_display()),
    Column(
        "owner",
        _("Owner"),
        lambda alert: (alert.owner.get_full_name() or alert.owner.username) if alert.owner_id else "",
    ),
    Column("cause", _("Cause"), lambda alert: alert.get_cause_display() if alert.cause else ""),
    Column("action_plan", _("Action plan"), "action_plan"),
    Column("deadline", _("Deadline"), "deadline", kind=DATE),
    Column("overdue", _("Overdue"), "overdue", kind=BOOLEAN, yes=_("overdue")),
)
