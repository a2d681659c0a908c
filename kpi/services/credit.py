"""Credit sharing (分润, DOMAIN.md §5): one sale credited to two staff members by an agreed split.

A CreditSplit hangs on a staff member's fact: the partner gets `share` percent of it, the fact's own
staff member the rest. The fact itself is never changed (it is what the source system reported); the
rollup attributes the two parts when it reads facts (kpi.services.rollup._facts_frame), exactly in
ten-thousandths: the partner gets the share rounded half up, the owner the remainder, so the two add
up to the fact. Setting, changing or removing a split marks the rollup stale from the fact's date.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from kpi.models import Aggregation, CreditSplit, Fact
from kpi.services.rollup import days_mark_stale
from staff.models import Assignment, StaffMember

_SHARE_PLACES = CreditSplit._meta.get_field("share").decimal_places


def credit_split_problems(*, fact: Fact, partner: StaffMember, share: Decimal) -> dict[str, str]:
    """What stops this split, by argument name (empty when nothing does)."""
    problems: dict[str, str] = {}
    metric = fact.metric
    if fact.staff_id is None:
        problems["fact"] = (
            f"{fact} is an outlet's own fact, credited to no one; only a staff member's fact can be shared"
        )
    elif not metric.for_staff:
        problems["fact"] = f"metric '{metric.code}' is not measured per staff member (level: {metric.level})"
    elif metric.aggregation != Aggregation.SUM:
        # A balance carries forward day after day: a share of one day's balance would follow the
        # partner into every later day. Only a flow (a sale, a sign-up) is shared.
        problems["fact"] = f"metric '{metric.code}' is a {metric.aggregation}; only a flow (sum: a sale) is shared"
    if fact.staff_id is not None and partner.pk == fact.staff_id:
        problems["partner"] = f"{partner.code} is the fact's own staff member; share it with someone else"
    elif not Assignment.objects.on(fact.date).filter(staff=partner, unit_id=fact.unit_id).exists():
        problems["partner"] = (
            f"{partner.code} is not assigned to {fact.unit.code} on {fact.date}; "
            "a sale is shared with a colleague at the same outlet"
        )
    if not share.is_finite() or not 0 < share < 100:
        problems["share"] = f"{share} is not a share: give a percentage above 0 and below 100 (30 means 30 %)"
    elif share != share.quantize(Decimal(1).scaleb(-_SHARE_PLACES)):
        problems["share"] = f"{share} has more than {_SHARE_PLACES} decimals"
    return problems


def credit_split_set(*, fact: Fact, partner: StaffMember, share: Decimal, created_by=None) -> CreditSplit:
    """Credit `share` percent of a staff member's fact to `partner`; create the split or change it.

    Raises ValidationError (keyed by argument name) when the fact cannot be shared that way. Setting
    the same partner and share again changes nothing and leaves the rollup alone.
    """
    if problems := credit_split_problems(fact=fact, partner=partner, share=share):
        raise ValidationError(problems)
    with transaction.atomic():
        split = CreditSplit.objects.select_for_update().filter(fact=fact).first()
        if split is not None and split.partner_id == partner.pk and split.share == share:
            return split
        if split is None:
            split = CreditSplit(fact=fact, created_by=created_by)
        split.partner = partner
        split.share = share
        split.save()
        days_mark_stale(first_date=fact.date)
    return split


def credit_split_remove(*, fact: Fact) -> bool:
    """The whole fact goes back to its own staff member; False when it was not shared."""
    with transaction.atomic():
        deleted, _by_model = CreditSplit.objects.filter(fact=fact).delete()
        if deleted:
            days_mark_stale(first_date=fact.date)
    return bool(deleted)
