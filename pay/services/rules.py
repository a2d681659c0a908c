"""The rules HQ keeps pay rules, piece rates and team pools to (pay.admin asks them).

1. A rule pays the staff of one staff scorecard template (by its code), from a month on.
2. Paid months stay reproducible: a rule that a stored pay sheet rests on no longer changes (nor its
   piece rates and tiers), and a new rule may not start in or before a month whose pay is closed for
   that template: HQ adds a rule from a later month instead. The carry-over of a late fact recomputes
   a paid month by the rule it was paid by.
3. A piece rate counts a staff metric that adds up over the month (aggregation `sum`), on tiers that
   start at 0 and follow each other (pay.arithmetic.tiers_problem).
4. A team pool whose month is closed for any of the staff under its unit no longer changes.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from kpi.models import Aggregation, Metric, ScorecardTemplate
from pay.models import PayRule, PaySheet, TeamPool


def staff_template_codes() -> list[str]:
    """The codes of the staff templates (every version), for the rule form's choice."""
    return sorted(
        set(ScorecardTemplate.objects.filter(subject=ScorecardTemplate.Subject.STAFF).values_list("code", flat=True))
    )


def rule_lock_reason(rule: PayRule) -> str | None:
    """Why this rule no longer changes (rule 2), or None."""
    if rule.pk is None:
        return None
    last = PaySheet.objects.filter(rule_id=rule.pk).order_by("-month").values_list("month", flat=True).first()
    if last is None:
        return None
    return _(
        "Pay sheets up to %(month)s were closed under this rule: it no longer changes, so paid months stay "
        "reproducible. Add a rule from a later month instead."
    ) % {"month": f"{last:%Y-%m}"}


def rule_start_problem(*, template_code: str, effective_from: datetime.date, exclude_pk: int | None) -> str | None:
    """Why a rule of `template_code` may not start on `effective_from`, or None."""
    if not ScorecardTemplate.objects.filter(code=template_code, subject=ScorecardTemplate.Subject.STAFF).exists():
        return _("%(code)s is not a staff scorecard template.") % {"code": template_code}
    paid = (
        PaySheet.objects.filter(template_code=template_code, month__gte=effective_from)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if paid is not None:
        return _(
            "The pay of %(month)s is closed for %(code)s: a rule cannot start in or before it. Start it after "
            "%(month)s."
        ) % {"month": f"{paid:%Y-%m}", "code": template_code}
    clash = PayRule.objects.filter(template_code=template_code, effective_from=effective_from)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        return _("%(code)s already has a rule from %(month)s.") % {
            "code": template_code,
            "month": f"{effective_from:%Y-%m}",
        }
    return None


def piece_metric_problem(metric: Metric) -> str | None:
    if metric.aggregation != Aggregation.SUM or not metric.for_staff:
        return _("%(metric)s is not a staff metric that adds up over the month: piece rates count such metrics.") % {
            "metric": metric.code
        }
    return None


def pool_problem(*, unit, month: datetime.date) -> str | None:
    """Why a pool of `unit` for `month` may not be added or changed (rule 4), or None."""
    if PaySheet.objects.filter(month=month, unit__path__startswith=unit.path).exists():
        return _("The pay of %(month)s is closed for staff of %(unit)s: its pool no longer changes.") % {
            "month": f"{month:%Y-%m}",
            "unit": unit.name,
        }
    return None


def pool_lock_reason(pool: TeamPool) -> str | None:
    """Why a stored pool no longer changes (rule 4), or None."""
    stored = TeamPool.objects.filter(pk=pool.pk).select_related("unit").first() if pool.pk else None
    return pool_problem(unit=stored.unit, month=stored.month) if stored else None
