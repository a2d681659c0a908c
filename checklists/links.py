"""What other apps may link to in checklists (lib.links): an inspection's finding, which the alert it
opens names (Alert.link_kind "inspection_finding", link_id), so the alert's page links back to it.

Registered in ChecklistsConfig.ready(). Who may see a finding: its outlet's readers, the managers above
it, HQ and auditors (Scope.units()), and the staff member it names as responsible
(checklists.selectors.findings_visible).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alerts.models import ACTIVE_STATUSES
from checklists.models import Finding
from lib.links import LinkKind

FINDING_KIND = "inspection_finding"
# The metric an inspection's veto counts toward (a data migration of this app declares it); a template's
# veto line on it (allowed value 0) vetoes the month of an outlet with a vetoing finding.
VETO_METRIC = "inspection_vetoes"


def _visible(queryset: QuerySet, scope) -> QuerySet:
    from checklists.selectors import findings_visible

    return findings_visible(scope, queryset)


def _describe(finding: Finding) -> str:
    return gettext("Finding #%(id)s · %(title)s %(day)s · %(unit)s · %(text)s") % {
        "id": finding.pk,
        "title": finding.inspection.title,
        "day": finding.inspection.day.isoformat(),
        "unit": finding.inspection.unit.name,
        "text": finding.text,
    }


FINDING = LinkKind(
    code=FINDING_KIND,
    label=_("inspection finding"),
    model=Finding,
    visible=_visible,
    url=lambda finding: (
        reverse("checklists:inspection_detail", args=[finding.inspection_id]) + f"#finding-{finding.pk}"
    ),
    describe=_describe,
    closed=Q(alert__isnull=False) & ~Q(alert__status__in=ACTIVE_STATUSES),
    offered=lambda queryset, day: queryset.filter(alert__status__in=ACTIVE_STATUSES),
    select_related=("inspection", "inspection__unit"),
)
