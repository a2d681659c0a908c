"""What lies behind a veto (一票否决), told by the app that fed its metric.

A veto line fires when its metric is above the allowed value (kpi.services.scoring); the scorecard then
says "一票否决：内控检查否决 1 > 0" and the template's words. When an app above kpi feeds the metric (the
checklists app counts the inspection findings that veto a month), the reader wants the findings
themselves: which inspection, what was found. kpi may not import that app, so the app registers here, in
its AppConfig.ready(), a function of the metric's code that answers the details of a unit (its subtree)
and a period; the scorecard's explanation (kpi.selectors.score_explanation.FiredVeto.details) asks it
for the vetoes that fired, one call per fired veto of a page.

    veto_details_register("inspection_vetoes", details_for)
    details_for(unit, start, end) -> list[str]   # one line per cause, in the reader's language

Registered by metric code, so a reloaded app replaces its entry.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from branches.models import OrgUnit

VetoDetails = Callable[[OrgUnit, datetime.date, datetime.date], list[str]]

_sources: dict[str, VetoDetails] = {}


def veto_details_register(metric_code: str, details_for: VetoDetails) -> None:
    _sources[metric_code] = details_for


def veto_details(*, metric_code: str, unit: OrgUnit | None, start: datetime.date, end: datetime.date) -> list[str]:
    """The causes of a fired veto on `metric_code` for `unit` over [start, end]; none when no app tells."""
    details_for = _sources.get(metric_code)
    if details_for is None or unit is None:
        return []
    return list(details_for(unit, start, end))
