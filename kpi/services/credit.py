"""Credit sharing (分润, DOMAIN.md §5): one sale credited to two staff members by an agreed split.

A CreditSplit hangs on a staff member's fact: the partner gets `share` percent of it, the fact's own
staff member the rest. The fact itself is never changed (it is what the source system reported); the
rollup attributes the two parts when it reads facts (kpi.services.rollup._facts_frame), exactly in
ten-thousandths: the partner gets the share rounded half up, the owner the remainder, so the two add
up to the fact. Setting, changing or removing a split marks the rollup stale from the fact's date.

Standing rules (CreditSplitRule, set by HQ) say which share a pair of posts gets for a metric (理财
70/30: the wealth manager keeps 70, the referring teller gets 30); an outlet head may move the share
within the rule's limits for their outlet (CreditSplitAdjustment, audited). `share_for` answers the
share of a sale from them; `split_exactly` is the one rounding rule of a split (the rollup uses it).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext

from branches.models import OrgUnit
from kpi.models import (
    AMOUNT,
    SHARE,
    Aggregation,
    CreditSplit,
    CreditSplitAdjustment,
    CreditSplitAdjustmentChange,
    CreditSplitRule,
    Fact,
    Metric,
)
from lib.csvimport import chunked
from lib.numbers import plain_number
from staff.access import Scope
from staff.models import Assignment, StaffMember

_SHARE_PLACES = SHARE["decimal_places"]
_PART_QUANTUM = Decimal(1).scaleb(-AMOUNT["decimal_places"])  # a fact's last place: 0.0001
_HUNDRED = Decimal(100)
# The most ids an `IN (…)` of shares_for carries.
_IN_LIMIT = 2000
REASON_LENGTH = CreditSplitAdjustmentChange._meta.get_field("reason").max_length


def split_exactly(value: Decimal, share: Decimal) -> tuple[Decimal, Decimal]:
    """(owner's part, partner's part) of a shared fact: the partner gets value × share / 100 rounded
    half up (away from zero, so a reversed sale takes back exactly what the sale gave) to a fact's
    decimal places (four), the owner the remainder, so the two parts add up to `value` exactly.

    10000.01 at 30 %: 3000.003 → partner 3000.0030, owner 7000.0070. 0.0001 at 50 %: 0.00005 →
    partner 0.0001, owner 0. −0.0001 at 50 %: partner −0.0001, owner 0.
    """
    with localcontext() as context:
        context.prec = 60  # 20 digits of a value times 7 of a share, exactly
        partner = (value * share / _HUNDRED).quantize(_PART_QUANTUM, rounding=ROUND_HALF_UP)
        return value - partner, partner


def share_for(
    *, metric: Metric, owner: StaffMember, partner: StaffMember, unit: OrgUnit, on: datetime.date
) -> Decimal | None:
    """The partner's share in percent of a sale of `metric` by `owner` shared with `partner` at the
    outlet `unit` on `on`; None when no standing rule applies. `shares_for` asked about one sale."""
    question = ShareQuestion(metric_id=metric.pk, owner_id=owner.pk, partner_id=partner.pk, unit_id=unit.pk, on=on)
    return shares_for([question])[question]


@dataclass(frozen=True)
class ShareQuestion:
    """A sale of `metric_id` by `owner_id` shared with `partner_id` at the outlet `unit_id` on `on`."""

    metric_id: int
    owner_id: int
    partner_id: int
    unit_id: int
    on: datetime.date


def shares_for(questions: Iterable[ShareQuestion]) -> dict[ShareQuestion, Decimal | None]:
    """The partner's share in percent for each sale asked about (None: no standing rule applies), in
    three queries whatever their number (a fact import asks for each of its shared rows):

    1. The posts each of the two holds at the outlet on the sale's day (their Assignments that day: a
       teller who became a wealth manager on the 1st is a wealth manager for sales from the 1st).
    2. The active rules of the metric in force that day for an (owner's post, partner's post) pair;
       when several pairs match (someone holds two posts there), the rule that took effect last, then
       the posts' order.
    3. The outlet's adjustment of that rule if it has one, held inside the rule's limits (HQ may have
       narrowed them since); otherwise the rule's share.
    """
    questions = list(dict.fromkeys(questions))
    answers: dict[ShareQuestion, Decimal | None] = dict.fromkeys(questions)
    asked = [question for question in questions if question.owner_id != question.partner_id]
    if not asked:
        return answers
    # 1. staff → [(unit, post, start, end)], for the people and outlets asked about.
    held: dict[int, list[tuple[int, int, datetime.date, datetime.date | None]]] = {}
    staff_ids = {person for question in asked for person in (question.owner_id, question.partner_id)}
    unit_ids = {question.unit_id for question in asked}
    for part in chunked(staff_ids, _IN_LIMIT):
        assignments = Assignment.objects.filter(staff_id__in=part)
        if len(unit_ids) <= _IN_LIMIT:  # else matched in memory: a query keeps within SQLite's parameters
            assignments = assignments.filter(unit_id__in=unit_ids)
        for staff_id, unit_id, post_id, start, end in assignments.values_list(
            "staff_id", "unit_id", "post_id", "start", "end"
        ):
            held.setdefault(staff_id, []).append((unit_id, post_id, start, end))

    def posts(staff_id: int, unit_id: int, day: datetime.date) -> set[int]:
        return {
            post
            for unit, post, start, end in held.get(staff_id, ())
            if unit == unit_id and start <= day and (end is None or day <= end)
        }

    # 2. the rules of the metrics asked about (HQ keeps a few dozen), matched in memory.
    rules = list(
        CreditSplitRule.objects.filter(active=True, metric_id__in={question.metric_id for question in asked})
        .select_related("owner_post", "partner_post")
        .order_by("-effective_from", "owner_post__sort_order", "partner_post__sort_order", "pk")
    )
    chosen: dict[ShareQuestion, CreditSplitRule] = {}
    for question in asked:
        owner_posts = posts(question.owner_id, question.unit_id, question.on)
        partner_posts = posts(question.partner_id, question.unit_id, question.on)
        if not owner_posts or not partner_posts:
            continue
        for rule in rules:
            if (
                rule.metric_id == question.metric_id
                and rule.owner_post_id in owner_posts
                and rule.partner_post_id in partner_posts
                and rule.effective_from <= question.on
                and (rule.effective_to is None or question.on <= rule.effective_to)
            ):
                chosen[question] = rule
                break
    if not chosen:
        return answers
    # 3. the outlets' adjustments of the rules chosen.
    adjustments = CreditSplitAdjustment.objects.filter(rule__in={rule.pk for rule in chosen.values()})
    if len(outlets := {question.unit_id for question in chosen}) <= _IN_LIMIT:
        adjustments = adjustments.filter(outlet_id__in=outlets)
    adjusted = {
        (outlet_id, rule_id): share
        for outlet_id, rule_id, share in adjustments.values_list("outlet_id", "rule_id", "share")
    }
    for question, rule in chosen.items():
        own = adjusted.get((question.unit_id, rule.pk))
        answers[question] = rule.share if own is None else rule.clamped(own)
    return answers


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
        _days_mark_stale(first_date=fact.date)
    return split


def credit_split_remove(*, fact: Fact) -> bool:
    """The whole fact goes back to its own staff member; False when it was not shared."""
    with transaction.atomic():
        deleted, _by_model = CreditSplit.objects.filter(fact=fact).delete()
        if deleted:
            _days_mark_stale(first_date=fact.date)
    return bool(deleted)


def _days_mark_stale(**days) -> None:
    # Imported here: the rollup imports this module for split_exactly, the one rounding rule.
    from kpi.services.rollup import days_mark_stale

    days_mark_stale(**days)


# -- an outlet's adjustment of a standing rule -------------------------------------------------------


def credit_split_adjustment_problems(*, outlet: OrgUnit, rule: CreditSplitRule, share, reason: str) -> dict[str, str]:
    """What stops this adjustment, by argument name (empty when nothing does)."""
    problems: dict[str, str] = {}
    if not outlet.is_outlet:
        problems["outlet"] = gettext("%(unit)s is not an outlet; a split is adjusted for one outlet.") % {
            "unit": outlet.code
        }
    low, high = plain_number(rule.min_share), plain_number(rule.max_share)
    if share is None or not isinstance(share, Decimal) or not share.is_finite():
        problems["share"] = gettext("Give the partner's share in percent, between %(low)s and %(high)s.") % {
            "low": low,
            "high": high,
        }
    elif not rule.min_share <= share <= rule.max_share:
        problems["share"] = gettext(
            "%(share)s%% is outside the limits HQ set for this rule: between %(low)s%% and %(high)s%%."
        ) % {"share": plain_number(share), "low": low, "high": high}
    elif share != share.quantize(Decimal(1).scaleb(-_SHARE_PLACES)):
        problems["share"] = gettext("%(share)s has more than %(places)s decimals.") % {
            "share": share,
            "places": _SHARE_PLACES,
        }
    if not (reason or "").strip():
        problems["reason"] = gettext("Say why the share changes (for example: 网点营销方案 2026-11).")
    elif len(reason.strip()) > REASON_LENGTH:
        problems["reason"] = gettext("Keep the reason to %(length)s characters.") % {"length": REASON_LENGTH}
    return problems


def credit_split_adjust(
    *, scope: Scope, outlet: OrgUnit, rule: CreditSplitRule, share: Decimal, reason: str, changed_by=None
) -> CreditSplitAdjustment | None:
    """Set the outlet's own share under `rule` (within the rule's limits), with the reason, audited.

    The rule's own share removes the adjustment (the outlet follows HQ's rule again); the share the
    outlet already has changes nothing and writes no audit line. Returns the adjustment, or None when
    the outlet now follows the rule. Raises PermissionDenied for someone who may not adjust the
    outlet's splits (staff.access: Scope.may_adjust_credit_split) and ValidationError (keyed by
    argument name) for a share or reason that will not do; nothing is written then. Facts shared
    before keep the share they were given: a new share applies to sales shared from now on.
    """
    if not scope.may_adjust_credit_split(outlet):
        raise PermissionDenied(gettext("You may not adjust the credit splits of this outlet."))
    if problems := credit_split_adjustment_problems(outlet=outlet, rule=rule, share=share, reason=reason):
        raise ValidationError(problems)
    with transaction.atomic():
        current = CreditSplitAdjustment.objects.select_for_update().filter(outlet=outlet, rule=rule).first()
        old_share = None if current is None else current.share
        new_share = None if share == rule.share else share
        if old_share == new_share:
            return current
        if new_share is None:
            current.delete()
            adjustment = None
        elif current is None:
            adjustment = CreditSplitAdjustment.objects.create(
                outlet=outlet, rule=rule, share=new_share, changed_by=changed_by
            )
        else:
            current.share, current.changed_by = new_share, changed_by
            current.save(update_fields=["share", "changed_by", "changed_at"])
            adjustment = current
        CreditSplitAdjustmentChange.objects.create(
            outlet=outlet,
            rule=rule,
            old_share=old_share,
            new_share=new_share,
            reason=reason.strip(),
            changed_by=changed_by,
        )
    return adjustment
