"""Writes of the campaigns: the scores computed from the facts (campaign_scores_refresh) and a gift
recorded in the gift ledger (gift_record).

Scores are stored, per campaign, day, outlet, staff member (or none) and focus metric (CampaignScore),
rather than computed on read with a cache, for three reasons: the campaign page, the bulletin, the push
and the API read the same rows and so agree; a closed month's campaign days are frozen like its
scorecards (a refresh writes only days of open months, and a closed month's days only when none are
stored yet), so a figure read at the month's close stays what it was; and a leaderboard is then one
GROUP BY over a few thousand rows, not a scan of the facts for every reader. The refresh itself is one
query over the facts (the campaign's metrics, outlets and window, with the posts condition on staff
facts in the same query), rewritten in one transaction under a lock: safe to run twice, and a stop
half-way leaves the previous rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit, UnitKind, code_validator
from campaigns.models import (
    BonusRule,
    Campaign,
    CampaignMaterial,
    CampaignMetric,
    CampaignScore,
    GiftRecord,
    MaterialKind,
    Theme,
)
from campaigns.selectors import campaign_outlets, counted_until, window_of
from kpi.models import Aggregation, Fact, Metric, MetricUnit, MonthClose
from ledger.services import customer_code_problem
from lib.locks import transaction_lock
from lib.numbers import format_number
from staff.access import Scope
from staff.models import Assignment, StaffMember, User

ZERO = Decimal(0)


def _closed_months(first: datetime.date, last: datetime.date) -> set[datetime.date]:
    return set(
        MonthClose.objects.closed()
        .filter(month__gte=first.replace(day=1), month__lte=last)
        .values_list("month", flat=True)
    )


def campaign_scores_refresh(*, campaign: Campaign, today: datetime.date | None = None) -> int:
    """Compute the campaign's scores from the facts of its window up to `today`, and store them.

    1. The window: the campaign's first day to its last or `today`, whichever is earlier; without
       `today`, the latest published day (selectors.counted_until), the day the campaign's page counts
       its time progress to: a fact of today (a ledger entry approved this morning) is counted with the
       day's publication, not before it.
    2. Frozen days: the days of closed months (月结) that already have rows stay as they are.
    3. One query: the facts of the focus metrics, of the campaign's outlets, in the window outside the
       frozen months; a staff fact counts when its staff member held a post taking part at the fact's
       outlet on the fact's day (every post when none is named). Each fact counts at its own outlet, so
       a staff member who moved mid-campaign is credited where the fact is.
    4. bonus = value × factor (points per unit, or the multiplier of a points metric).
    5. The rows of the unfrozen days (and any outside the window, if the period was shortened) are
       replaced in one transaction. Returns the number of rows written.
    """
    today = today or counted_until()
    lines = {line.metric_id: line for line in campaign.lines.all()}
    first, last = window_of(campaign, today)
    with transaction.atomic():
        transaction_lock(f"campaigns.scores.{campaign.pk}")
        stored_months = {
            day.replace(day=1) for day in CampaignScore.objects.filter(campaign=campaign).dates("day", "month")
        }
        frozen = _closed_months(first, last) & stored_months if last >= first else set()
        frozen_q = Q()
        for month in frozen:
            frozen_q |= Q(day__year=month.year, day__month=month.month)
        stale = CampaignScore.objects.filter(campaign=campaign)
        if frozen:
            stale = stale.exclude(frozen_q & Q(day__gte=first, day__lte=last))
        stale.delete()
        if last < first or not lines:
            Campaign.objects.filter(pk=campaign.pk).update(scores_refreshed_at=timezone.now())
            return 0

        facts = Fact.objects.filter(
            metric_id__in=list(lines),
            date__gte=first,
            date__lte=last,
            unit__in=campaign_outlets(campaign),
        )
        for month in frozen:
            facts = facts.exclude(date__year=month.year, date__month=month.month)
        post_ids = list(campaign.posts.values_list("pk", flat=True))
        if post_ids:
            took_part = Assignment.objects.filter(
                staff_id=OuterRef("staff_id"),
                unit_id=OuterRef("unit_id"),
                post_id__in=post_ids,
                start__lte=OuterRef("date"),
            ).filter(Q(end__isnull=True) | Q(end__gte=OuterRef("date")))
            facts = facts.filter(Q(staff__isnull=True) | Exists(took_part))
        rows = [
            CampaignScore(
                campaign=campaign,
                day=day,
                unit_id=unit_id,
                staff_id=staff_id,
                metric_id=metric_id,
                value=value,
                bonus=(value * lines[metric_id].factor).quantize(Decimal("0.0001")),
            )
            for day, unit_id, staff_id, metric_id, value in facts.values_list(
                "date", "unit_id", "staff_id", "metric_id", "value"
            ).order_by()
        ]
        CampaignScore.objects.bulk_create(rows, batch_size=2000)
        Campaign.objects.filter(pk=campaign.pk).update(scores_refreshed_at=timezone.now())
    return len(rows)


def campaigns_refresh_running(*, day: datetime.date, today: datetime.date | None = None) -> list[int]:
    """Refresh every campaign whose window holds `day` or ended within a week before it (late facts of
    its last days still count). Returns their ids."""
    done = []
    for campaign in Campaign.objects.filter(start__lte=day, end__gte=day - datetime.timedelta(days=7)):
        campaign_scores_refresh(campaign=campaign, today=today)
        done.append(campaign.pk)
    return done


# -- the gift ledger ----------------------------------------------------------------------------------


def _outlet_of(staff: StaffMember, day: datetime.date, outlets) -> OrgUnit | None:
    held = (
        Assignment.objects.on(day)
        .filter(staff=staff, unit__kind=UnitKind.OUTLET, unit__in=outlets)
        .select_related("unit")
        .order_by("unit__code", "pk")
        .first()
    )
    return held.unit if held else None


def gift_record(
    *,
    scope: Scope,
    user: User | None,
    campaign: Campaign,
    staff: StaffMember,
    day: datetime.date,
    customer_code: str,
    item: str,
    value: Decimal,
    customer_name: str = "",
    note: str = "",
    today: datetime.date | None = None,
) -> GiftRecord:
    """Record a gift given by `staff` to a customer on `day`, all or nothing.

    Checks (every problem collected, keyed by field): the day is inside the campaign and not after today;
    the campaign has a gift budget; the staff member works that day at an outlet taking part, which the
    reader may record for (their outlet head, the unit manager above, HQ; a staff member their own
    gifts: Scope.may_record_gift); a customer number of the core system; a gift and a value above 0.
    Then, under a lock of the campaign's row, the budget (the campaign's gifts so far + this one ≤ the
    budget) and the per-customer limit (this customer's gifts in the campaign + this one ≤ the limit):
    refused with the figures when over, writing nothing.
    """
    today = today or timezone.localdate()
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    customer_code = (customer_code or "").strip()
    customer_name = (customer_name or "").strip()
    item = (item or "").strip()
    note = (note or "").strip()
    if not campaign.start <= day <= min(campaign.end, today):
        problem(
            "day",
            _("A gift of %(campaign)s is recorded for a day from %(first)s to %(last)s.")
            % {"campaign": campaign.name, "first": campaign.start, "last": min(campaign.end, today)},
        )
    if campaign.gift_budget <= 0:
        problem("campaign", _("%(campaign)s has no gift budget.") % {"campaign": campaign.name})
    unit = _outlet_of(staff, day, campaign_outlets(campaign))
    if unit is None:
        problem(
            "staff",
            _("%(who)s works at no outlet of %(campaign)s on %(day)s.")
            % {"who": scope.person_name(staff.name), "campaign": campaign.name, "day": day},
        )
    elif not scope.may_record_gift(unit, own=scope.staff_id == staff.pk):
        problem("staff", _("You may not record gifts for %(who)s.") % {"who": scope.person_name(staff.name)})
    if not customer_code:
        problem("customer_code", _("Write the customer number the gift was given to."))
    elif message := customer_code_problem(customer_code):
        problem("customer_code", message)
    if len(customer_name) > GiftRecord._meta.get_field("customer_name").max_length:
        problem("customer_name", _("Keep the name to 40 characters."))
    if not item:
        problem("item", _("Write which gift was given."))
    elif len(item) > GiftRecord._meta.get_field("item").max_length:
        problem("item", _("Keep the gift's name to 60 characters."))
    if (
        not isinstance(value, Decimal)
        or not value.is_finite()
        or value <= 0
        or value != value.quantize(Decimal("0.01"))
    ) or value >= Decimal("1000000"):
        problem("value", _("Give the gift's value in yuan, above 0, with at most two decimals."))
    if len(note) > 200:
        problem("note", _("Keep the note to 200 characters."))
    if problems:
        raise ValidationError(problems)

    with transaction.atomic():
        # The campaign's row locked: two gifts recorded at once cannot both pass the budget.
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        gifts = GiftRecord.objects.filter(campaign=locked)
        given = gifts.aggregate(total=Sum("value"))["total"] or ZERO
        if given + value > locked.gift_budget:
            raise ValidationError(
                {
                    "value": _(
                        "Over the gift budget: %(given)s of %(budget)s yuan given, %(left)s left; "
                        "this gift is %(value)s."
                    )
                    % {
                        "given": format_number(given, 2),
                        "budget": format_number(locked.gift_budget, 2),
                        "left": format_number(locked.gift_budget - given, 2),
                        "value": format_number(value, 2),
                    }
                }
            )
        limit = locked.gift_limit_per_customer
        if limit is not None:
            received = gifts.filter(customer_code=customer_code).aggregate(total=Sum("value"))["total"] or ZERO
            if received + value > limit:
                raise ValidationError(
                    {
                        "customer_code": _(
                            "Over the limit per customer: this customer has received %(received)s of %(limit)s yuan "
                            "in the campaign; this gift is %(value)s."
                        )
                        % {
                            "received": format_number(received, 2),
                            "limit": format_number(limit, 2),
                            "value": format_number(value, 2),
                        }
                    }
                )
        return GiftRecord.objects.create(
            campaign=locked,
            unit=unit,
            staff=staff,
            day=day,
            customer_code=customer_code,
            customer_name=customer_name,
            item=item,
            value=value,
            note=note,
            entered_by=user if getattr(user, "pk", None) else None,
        )


# -- a campaign set up on a page (a sub-branch's own) --------------------------------------------------

MAX_CAMPAIGN_DAYS = 366
MAX_FACTOR = Decimal("10000")


@dataclass(frozen=True)
class FocusInput:
    metric: Metric
    rule: str
    factor: Decimal


def campaign_create(
    *,
    scope: Scope,
    user: User | None,
    unit: OrgUnit,
    code: str,
    name_zh: str,
    theme: str,
    start: datetime.date,
    end: datetime.date,
    lines: list[FocusInput],
    gift_budget: Decimal = ZERO,
    gift_limit_per_customer: Decimal | None = None,
    description: str = "",
    script_title: str = "",
    script_body: str = "",
) -> Campaign:
    """A campaign of `unit`'s subtree, set up on the campaign page by whoever may manage campaigns there
    (Scope.may_manage_campaigns: a unit manager for their own subtree, HQ anywhere): every problem
    collected, keyed by field, before anything is written; then the campaign, its focus metrics and its
    script in one transaction, and its scores queued after the commit."""
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    code, name_zh = (code or "").strip(), (name_zh or "").strip()
    if unit.kind == UnitKind.OUTLET:
        problem("unit", _("A campaign is organised by a sub-branch, a branch or HQ, for its outlets."))
    elif not scope.may_manage_campaigns(unit):
        problem("unit", _("You may not organise a campaign for %(unit)s.") % {"unit": unit.name})
    try:
        code_validator(code)
    except ValidationError:
        problem("code", _("A code is 1–32 letters, digits, '_', '.' or '-'."))
    else:
        if code == "new" or Campaign.objects.filter(code=code).exists():
            problem("code", _("A campaign with the code %(code)s exists already.") % {"code": code})
    if not name_zh or len(name_zh) > 60:
        problem("name_zh", _("Give the campaign a name of at most 60 characters."))
    if theme not in Theme.values:
        problem("theme", _("Choose one of the themes."))
    if end < start:
        problem("end", _("A campaign ends on or after the day it starts."))
    elif (end - start).days + 1 > MAX_CAMPAIGN_DAYS:
        problem("end", _("A campaign lasts at most %(days)s days.") % {"days": MAX_CAMPAIGN_DAYS})
    if not lines:
        problem("lines", _("Choose at least one focus metric."))
    seen = set()
    for line in lines:
        if line.metric.pk in seen:
            problem("lines", _("%(metric)s is chosen twice.") % {"metric": line.metric.name})
        seen.add(line.metric.pk)
        if line.metric.aggregation != Aggregation.SUM:
            problem(
                "lines", _("%(metric)s is not a flow: a campaign adds up daily facts.") % {"metric": line.metric.name}
            )
        if line.rule not in BonusRule.values:
            problem("lines", _("Choose points per unit or a multiplier."))
        elif line.rule == BonusRule.MULTIPLIER and line.metric.unit != MetricUnit.POINTS:
            problem(
                "lines",
                _("A multiplier multiplies points: %(metric)s is not counted in points (分).")
                % {"metric": line.metric.name},
            )
        if not Decimal(0) < line.factor <= MAX_FACTOR:
            problem("lines", _("Points per unit or a multiplier is above 0 and at most 10,000."))
    if gift_budget < 0:
        problem("gift_budget", _("A gift budget is 0 or more."))
    if gift_limit_per_customer is not None and gift_limit_per_customer <= 0:
        problem("gift_limit_per_customer", _("A limit per customer is above 0, or left empty."))
    if len(script_title.strip()) > 80:
        problem("script_title", _("Keep the title to 80 characters."))
    if problems:
        raise ValidationError(problems)

    with transaction.atomic():
        campaign = Campaign.objects.create(
            code=code,
            name_zh=name_zh,
            theme=theme,
            unit=unit,
            start=start,
            end=end,
            gift_budget=gift_budget,
            gift_limit_per_customer=gift_limit_per_customer,
            description=(description or "").strip(),
            created_by=user if getattr(user, "pk", None) else None,
        )
        CampaignMetric.objects.bulk_create(
            [
                CampaignMetric(campaign=campaign, metric=line.metric, rule=line.rule, factor=line.factor, sort_order=n)
                for n, line in enumerate(lines)
            ]
        )
        if script_title.strip() or script_body.strip():
            CampaignMaterial.objects.create(
                campaign=campaign,
                kind=MaterialKind.SCRIPT,
                title=script_title.strip() or _("Script"),
                body=script_body.strip(),
            )
        from campaigns.tasks import refresh_campaign

        transaction.on_commit(lambda: refresh_campaign.delay(campaign.pk))
    return campaign
