"""What other apps may link to in kpi (lib.links): a target, for "change this target" (调整目标).

Registered in KpiConfig.ready(). A Monday meeting's action item (meetings) that agrees to change a
week's or a month's target names it; the change itself is made where targets are made (the admin, a
target plan, the API) and recorded in TargetChange. A target never closes by itself.
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kpi.models import Target
from kpi.templatetags.kpi_format import metric_scale
from lib.links import LinkKind


def _visible(queryset: QuerySet, scope) -> QuerySet:
    """A unit's targets in the scope's units; a staff member's of the periods they worked there."""
    return queryset.filter(scope.holder_records(span=("period_start", "period_end")))


def _url(target: Target) -> str:
    query = f"?period={target.period_kind}&date={target.period_end.isoformat()}"
    if target.staff_id:
        return reverse("kpi:staff_scorecard", args=[target.staff.code]) + query
    return reverse("kpi:unit_scorecard", args=[target.unit.code]) + query


def _describe(target: Target) -> str:
    return gettext("Target %(period)s · %(who)s · %(metric)s %(value)s") % {
        "period": target.period,
        "who": target.unit.name if target.unit_id else target.staff.code,
        "metric": target.metric.name,
        "value": metric_scale(target.metric).write(target.value, with_unit=True),
    }


def _offered(queryset: QuerySet, day: datetime.date) -> QuerySet:
    """The targets a meeting on `day` may agree to change: its week's and its month's, of units."""
    return queryset.filter(
        unit__isnull=False, period_kind__in=("week", "month"), period_start__lte=day, period_end__gte=day
    )


TARGET = LinkKind(
    code="target",
    label=_("target change"),
    model=Target,
    visible=_visible,
    url=_url,
    describe=_describe,
    offered=_offered,
    select_related=("unit", "staff", "metric"),
)
