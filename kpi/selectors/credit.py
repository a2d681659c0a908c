"""Credit sharing (分润), read: the standing rules an outlet works under, with its own adjustments and
their audit, for the credit splits page (kpi/views/credit.py). A fixed number of queries per page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from branches.models import OrgUnit
from kpi.models import CreditSplitAdjustment, CreditSplitAdjustmentChange, CreditSplitRule

# The most audit lines the page shows.
HISTORY_SHOWN = 20


@dataclass(frozen=True)
class RuleAtOutlet:
    """A standing rule as it applies at one outlet: the outlet's own share if its head adjusted it
    (`adjusted`), and the share a sale shared today gets (`share`: the adjustment held inside the
    rule's limits, else the rule's share)."""

    rule: CreditSplitRule
    adjusted: Decimal | None
    share: Decimal
    upcoming: bool  # takes effect after the day asked about

    @property
    def owner_share(self) -> Decimal:
        return Decimal(100) - self.share


def credit_rules_listed(*, on: datetime.date):
    """The active rules in force on `on` or taking effect later: those an outlet head may adjust."""
    return (
        CreditSplitRule.objects.filter(active=True)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .select_related("metric", "owner_post", "partner_post")
        .order_by("metric__sort_order", "metric__code", "owner_post__sort_order", "partner_post__sort_order",
                  "effective_from")
    )  # fmt: skip


def credit_rules_at(*, unit: OrgUnit, on: datetime.date) -> list[RuleAtOutlet]:
    """The rules listed on `on` as they apply at `unit` (an outlet's adjustments; a unit above outlets
    has none of its own). Two queries."""
    rules = list(credit_rules_listed(on=on))
    adjusted: dict[int, Decimal] = {}
    if unit.is_outlet:
        adjusted = dict(
            CreditSplitAdjustment.objects.filter(outlet=unit, rule__in=rules).values_list("rule_id", "share")
        )
    rows = []
    for rule in rules:
        own = adjusted.get(rule.pk)
        share = rule.share if own is None else rule.clamped(own)
        rows.append(RuleAtOutlet(rule=rule, adjusted=own, share=share, upcoming=rule.effective_from > on))
    return rows


def credit_adjustments_below(*, unit: OrgUnit, on: datetime.date) -> list[CreditSplitAdjustment]:
    """The adjustments of the outlets in `unit`'s subtree under the rules listed on `on` (for a unit
    above outlets: which of its outlets moved a share). One query."""
    return list(
        CreditSplitAdjustment.objects.filter(outlet__path__startswith=unit.path, rule__in=credit_rules_listed(on=on))
        .select_related("outlet", "rule__metric", "rule__owner_post", "rule__partner_post")
        .order_by("outlet__path", "rule__metric__sort_order", "rule_id")
    )


def credit_split_history(*, unit: OrgUnit) -> list[CreditSplitAdjustmentChange]:
    """The latest changes of the adjustments in `unit`'s subtree, newest first. One query."""
    return list(
        CreditSplitAdjustmentChange.objects.filter(outlet__path__startswith=unit.path)
        .select_related("outlet", "rule__metric", "rule__owner_post", "rule__partner_post", "changed_by")
        .order_by("-changed_at", "-pk")[:HISTORY_SHOWN]
    )
