"""What other apps may link to in alerts (lib.links): an alert, and an improvement plan (一点一策).

Registered in AlertsConfig.ready(). A meeting's action item (meetings) names one of them by kind and id,
is offered the open alerts and the plans of the meeting's units, and closes when its alert closes:
alerts announces the alerts it closes (verified, or cleared by themselves) with lib.links.objects_closed.
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alerts.models import ACTIVE_STATUSES, Alert, ImprovementPlan
from lib.links import LinkKind


def _in_scope(queryset: QuerySet, scope) -> QuerySet:
    return queryset.filter(scope.unit_records())


def _describe_alert(alert: Alert) -> str:
    return gettext("Alert #%(id)s · %(unit)s · %(rule)s · %(status)s") % {
        "id": alert.pk,
        "unit": alert.unit.name,
        "rule": alert.rule.name,
        "status": alert.get_status_display(),
    }


def _describe_plan(plan: ImprovementPlan) -> str:
    return gettext("Improvement plan %(period)s · %(unit)s · %(title)s") % {
        "period": plan.period,
        "unit": plan.unit.name,
        "title": plan.title,
    }


def _recent_plans(queryset: QuerySet, day: datetime.date) -> QuerySet:
    # A plan's period is a code (2026-11, 2026-Q4, 2026): the plans of the day's year and the year before.
    return queryset.filter(Q(period__startswith=str(day.year)) | Q(period__startswith=str(day.year - 1)))


ALERT = LinkKind(
    code="alert",
    label=_("alert"),
    model=Alert,
    visible=_in_scope,
    url=lambda alert: reverse("alerts:alert_detail", args=[alert.pk]),
    describe=_describe_alert,
    closed=~Q(status__in=ACTIVE_STATUSES),
    offered=lambda queryset, day: queryset.filter(status__in=ACTIVE_STATUSES),
    select_related=("unit", "rule"),
)

IMPROVEMENT_PLAN = LinkKind(
    code="improvement_plan",
    label=_("improvement plan (一点一策)"),
    model=ImprovementPlan,
    visible=_in_scope,
    url=lambda plan: reverse("alerts:plan_detail", args=[plan.pk]),
    describe=_describe_plan,
    offered=_recent_plans,
    select_related=("unit",),
)
