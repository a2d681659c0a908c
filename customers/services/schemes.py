"""Tier scheme versions (DOMAIN.md §6: thresholds are versioned, editable by HQ).

The rules, as for scorecard template versions (kpi.services.templates):

1. A scheme is in force from its effective month until the next scheme's. Once the tiering has run by
   it (a finished run with customers, for a month in force, started after the scheme was saved), its
   thresholds, tiers and month no longer change: those tiers must stay reproducible. HQ copies it as a
   new version from a later month instead, and changes the copy.
2. A version may start in a month already tiered by the version before (a correction); those months
   keep their old tiers until the tiering runs for them again, and the admin says which they are.
3. No version starts in or before a closed month (kpi.models.MonthClose): the tier counts of a closed
   month are part of its frozen scorecards.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from customers.models import CustomerMonth, Tier, TieringRun, TierScheme
from kpi.models import MonthClose


class SchemeError(Exception):
    """A tier scheme change that the rules refuse; the message says why and what to do."""


@dataclass(frozen=True)
class TierLine:
    """One tier as a form or a file gives it, before it is saved."""

    code: str
    rank: int
    min_aum: Decimal
    is_premium: bool


def in_force_until(scheme: TierScheme) -> datetime.date | None:
    """The first month of the next scheme, or None if this one is the latest."""
    return TierScheme.objects.filter(effective_month__gt=scheme.effective_month).aggregate(next=Min("effective_month"))[
        "next"
    ]


def tiered_months(*, start: datetime.date, until: datetime.date | None) -> tuple[datetime.date, datetime.date] | None:
    """(first, last) month in [start, until) that has been tiered, or None."""
    rows = CustomerMonth.objects.filter(month__gte=start)
    if until is not None:
        rows = rows.filter(month__lt=until)
    span = rows.aggregate(first=Min("month"), last=Max("month"))
    return (span["first"], span["last"]) if span["first"] else None


def scheme_lock_reason(scheme: TierScheme) -> str | None:
    """Why this version's tiers and month cannot change any more (rule 1), or None."""
    if scheme.pk is None:
        return None
    runs = TieringRun.objects.filter(
        status=TieringRun.Status.DONE,
        customers__gt=0,
        month__gte=scheme.effective_month,
        started_at__gte=scheme.created_at,
    )
    if (until := in_force_until(scheme)) is not None:
        runs = runs.filter(month__lt=until)
    last = runs.aggregate(last=Max("month"))["last"]
    if last is None:
        return None
    return _(
        "Customers were tiered by this version (up to %(month)s): those tiers must stay reproducible, so its "
        "thresholds, tiers and month no longer change. Copy it as a new version from a later month instead "
        "(action “Copy as a new version”); the name can still be corrected."
    ) % {"month": f"{last:%Y-%m}"}


def effective_month_problem(*, effective_month: datetime.date, exclude_pk: int | None = None) -> str | None:
    """Why a version may not start in `effective_month` (taken, or a closed month: rule 3), or None."""
    if effective_month.day != 1:
        return _("A scheme takes effect on the first day of a month.")
    taken = TierScheme.objects.filter(effective_month=effective_month)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        return _("A tier scheme already takes effect in %(month)s: change that one, or choose another month.") % {
            "month": f"{effective_month:%Y-%m}"
        }
    closed = (
        MonthClose.objects.closed()
        .filter(month__gte=effective_month)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if closed is not None:
        return _(
            "%(month)s is closed: a scheme cannot take effect in or before a closed month. Start it after "
            "%(month)s, or have the month reopened first."
        ) % {"month": f"{closed:%Y-%m}"}
    return None


def tiers_problems(tiers: Sequence[TierLine]) -> list[str]:
    """What is wrong with a scheme's tiers taken together: none at all, a code or rank twice, ranks whose
    order is not the order of the thresholds (moving up must mean more AUM), or premium tiers below
    ordinary ones (优质客户 are a top segment: 三星及以上). A new tier code gets its KPI metric from the
    tiering (customers.services.tiering.tier_metrics_ensure)."""
    if not tiers:
        return [_("A scheme needs at least one tier.")]
    problems = []
    for name, values in (("code", [t.code for t in tiers]), ("rank", [t.rank for t in tiers])):
        twice = sorted({str(value) for value in values if values.count(value) > 1})
        if twice:
            problems.append(
                _("Each tier has its own %(field)s: %(values)s is given twice.")
                % {"field": name, "values": ", ".join(twice)}
            )
    ordered = sorted(tiers, key=lambda tier: tier.rank)
    thresholds = [tier.min_aum for tier in ordered]
    if any(low >= high for low, high in itertools.pairwise(thresholds)):
        problems.append(
            _("Thresholds must rise with the rank: rank 1 is the lowest tier, each next tier starts higher.")
        )
    premium = [tier.is_premium for tier in ordered]
    if any(below and not above for below, above in itertools.pairwise(premium)):
        problems.append(_("Premium tiers are the top ones: a tier above a premium tier is premium too."))
    return problems


def tier_scheme_copy(*, scheme: TierScheme, effective_month: datetime.date, created_by=None) -> TierScheme:
    """A new version of `scheme` from `effective_month` (the first of a month), with the same tiers, for HQ
    to change. Raises SchemeError when the month is not after the copied version's, is taken or closed."""
    effective_month = effective_month.replace(day=1)
    if effective_month <= scheme.effective_month:
        raise SchemeError(
            _("A new version of %(name)s starts after %(month)s, the month of the version it copies.")
            % {"name": scheme.name, "month": f"{scheme.effective_month:%Y-%m}"}
        )
    problem = effective_month_problem(effective_month=effective_month)
    if problem is not None:
        raise SchemeError(problem)
    with transaction.atomic():
        copy = TierScheme.objects.create(name=scheme.name, effective_month=effective_month, created_by=created_by)
        Tier.objects.bulk_create(
            Tier(
                scheme=copy,
                code=tier.code,
                name_zh=tier.name_zh,
                name_en=tier.name_en,
                rank=tier.rank,
                min_aum=tier.min_aum,
                is_premium=tier.is_premium,
            )
            for tier in scheme.tiers.all()
        )
    return copy
