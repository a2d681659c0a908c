"""Referrals (转介): recorded, moved on (转介 → 跟进 → 成交 / 未成交), and counted as KPI facts.

The facts (referral_facts_sync, source `referral`), for the days asked about:

- referrals_made: per referrer and per outlet, the referrals recorded that day;
- lobby_referrals / counter_referrals (the standard catalog): the same counts by channel, read off the
  referrer's post when the referral was recorded (a teller: 柜面; the lobby manager or a service
  specialist: 大堂);
- referral_deals: per outlet, and per receiver, the referrals that ended in a deal (成交) that day. A deal
  credits both sides (分润): the receiver's fact names the referrer as its partner where HQ's standing
  split rule for their two posts covers referral_deals (kpi.services.credit), so the rollup gives the
  referrer the rule's share; without a rule the receiver keeps the whole deal. A fact takes one partner:
  when a receiver's deals of one day came from several referrers, the referrer of the most of them
  (then the lowest staff code) is the partner.
- the conversion rate (referral_conversion_rate = referral_deals / referrals_made) follows from the two.

One source per outlet and day. Queueing and CRM systems may push lobby_referrals and counter_referrals
themselves (a file or the API). For an outlet and a day where any such fact came from another source,
that system's counts stand and this sync writes neither metric there (its records would count the same
referrals twice); it still writes referrals_made and referral_deals, which only it feeds. Where no
other source has spoken, the records are the source.

Safe to run twice: the sync writes the counts of the records as they are now, and 0 where it had
written a count that the records no longer give (a referral moved to another day, deleted); facts_ingest
leaves an unchanged fact alone. Days of a closed month (月结) are skipped: their scorecards are frozen.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from customers.models import Customer, Interest, Prospect, Referral, ReferralChannel, ReferralStatus
from customers.services.prospects import own_staff_member, works_at
from kpi.models import Fact, IngestBatch, Metric
from kpi.services.credit import ShareQuestion, shares_for
from kpi.services.facts import facts_ingest
from kpi.services.targets import closed_months
from lib.csvimport import CsvRow
from lib.locks import transaction_lock
from staff.access import Scope
from staff.models import Assignment, StaffMember, User

LOCK = "customers.referral_facts"
# The posts that refer, and where: 柜面 (counter) or 大堂 (lobby).
CHANNEL_BY_POST = {
    "teller": ReferralChannel.COUNTER,
    "lobby_manager": ReferralChannel.LOBBY,
    "service_specialist": ReferralChannel.LOBBY,
}
# The posts referred to: the wealth manager (理财经理) and the customer manager (客户经理).
RECEIVING_POSTS = ("wealth_manager", "customer_manager")
CHANNEL_METRIC = {ReferralChannel.COUNTER: "counter_referrals", ReferralChannel.LOBBY: "lobby_referrals"}
MADE, DEALS = "referrals_made", "referral_deals"
ALL_METRICS = (MADE, DEALS, *CHANNEL_METRIC.values())
# Today and the days before that the nightly sync rewrites: a referral is recorded on its day, and its
# outcome usually within the week; older changes are caught by a sync asked for their days.
SYNC_DAYS = 7
# How far back a referral may be dated when it is recorded.
BACKDATE_DAYS = 7


def _posts_on(staff: StaffMember, outlet: OrgUnit, day: datetime.date) -> set[str]:
    return set(Assignment.objects.on(day).filter(staff=staff, unit=outlet).values_list("post__code", flat=True))


def referral_create(
    *,
    scope: Scope,
    user: User | None,
    outlet: OrgUnit,
    receiver: StaffMember | None,
    product: str,
    referrer: StaffMember | None = None,
    day: datetime.date | None = None,
    customer: Customer | None = None,
    prospect: Prospect | None = None,
    note: str = "",
    today: datetime.date | None = None,
) -> Referral:
    """Record a referral at `outlet` by `referrer` (default: the user's own staff record) to `receiver`.

    Who: Scope.may_record_outreach. Checks, every problem collected by field (ValidationError): the day is
    within the last BACKDATE_DAYS days and not in a closed month; the referrer is a teller, lobby manager or
    service specialist at the outlet that day (the channel follows: 柜面 or 大堂); the receiver is a wealth
    or customer manager there that day; a known product; a customer of the outlet or a prospect of it, if
    named."""
    today = today or timezone.localdate()
    day = day or today
    own = own_staff_member(user)
    if not scope.may_record_outreach(outlet, works_there=works_at(own, outlet, today)):
        raise PermissionDenied(_("You may not record referrals for this outlet."))
    referrer = referrer or own
    problems: dict[str, list[str]] = {}
    note = (note or "").strip()
    if not today - datetime.timedelta(days=BACKDATE_DAYS) <= day <= today:
        problems["day"] = [_("A referral is recorded within %(days)s days of it.") % {"days": BACKDATE_DAYS}]
    elif day.replace(day=1) in closed_months():
        problems["day"] = [_("%(month)s is closed (月结): nothing of it may be recorded.") % {"month": f"{day:%Y-%m}"}]
    channel = None
    if referrer is None:
        problems["referrer"] = [_("Your login is not linked to a staff record; name who made the referral.")]
    else:
        posts = _posts_on(referrer, outlet, day)
        channels = [CHANNEL_BY_POST[post] for post in sorted(posts) if post in CHANNEL_BY_POST]
        if not channels:
            problems["referrer"] = [
                _("%(who)s is not a teller, lobby manager or service specialist of this outlet on %(day)s.")
                % {"who": referrer.code, "day": day.isoformat()}
            ]
        else:
            channel = channels[0]
    if receiver is None:
        problems["receiver"] = [_("Choose the wealth or customer manager the customer is referred to.")]
    elif not _posts_on(receiver, outlet, day) & set(RECEIVING_POSTS):
        problems["receiver"] = [
            _("%(who)s is not a wealth or customer manager of this outlet on %(day)s.")
            % {"who": receiver.code, "day": day.isoformat()}
        ]
    elif referrer is not None and receiver.pk == referrer.pk:
        problems["receiver"] = [_("A referral goes to a colleague, not to oneself.")]
    if product not in Interest.values:
        problems["product"] = [_("Choose the product the customer is referred for.")]
    if customer is not None and customer.home_outlet_id != outlet.pk:
        problems["customer"] = [_("The customer is not a customer of this outlet.")]
    if prospect is not None and prospect.outlet_id != outlet.pk:
        problems["prospect"] = [_("The prospect is not a prospect of this outlet.")]
    if len(note) > Referral._meta.get_field("note").max_length:
        problems["note"] = [_("Keep the note to 200 characters.")]
    if problems:
        raise ValidationError(problems)
    return Referral.objects.create(
        outlet=outlet,
        day=day,
        referrer=referrer,
        channel=channel,
        receiver=receiver,
        product=product,
        customer=customer or (prospect.customer if prospect is not None else None),
        prospect=prospect,
        note=note,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


# The moves a referral may make: 转介 → 跟进 → 成交 / 未成交 (straight to an outcome too); an outcome is final.
NEXT_STATUSES = {
    ReferralStatus.REFERRED: (ReferralStatus.FOLLOWING, ReferralStatus.WON, ReferralStatus.LOST),
    ReferralStatus.FOLLOWING: (ReferralStatus.WON, ReferralStatus.LOST),
    ReferralStatus.WON: (),
    ReferralStatus.LOST: (),
}


def referral_advance(
    *,
    scope: Scope,
    user: User | None,
    referral: Referral,
    status: str,
    day: datetime.date | None = None,
    note: str = "",
    today: datetime.date | None = None,
) -> Referral:
    """Move a referral on: 跟进, or its outcome 成交 / 未成交 on `day` (default today), which must not be
    before the referral, after today, or in a closed month. Who: Scope.may_follow_referral (the receiver,
    the outlet's heads, HQ). An outcome is final."""
    today = today or timezone.localdate()
    day = day or today
    own = own_staff_member(user)
    receives_it = own is not None and own.pk == referral.receiver_id
    if not scope.may_follow_referral(referral.outlet, receives_it=receives_it):
        raise PermissionDenied(_("Only the colleague it was referred to, or the outlet head, moves a referral on."))
    problems: dict[str, list[str]] = {}
    if status not in NEXT_STATUSES.get(referral.status, ()):
        problems["status"] = [
            _("A referral that is %(now)s cannot become %(next)s.")
            % {"now": referral.get_status_display(), "next": dict(ReferralStatus.choices).get(status, status)}
        ]
    outcome = status in (ReferralStatus.WON, ReferralStatus.LOST)
    if outcome and not referral.day <= day <= today:
        problems["day"] = [_("The outcome falls between the referral's day and today.")]
    elif outcome and day.replace(day=1) in closed_months():
        problems["day"] = [_("%(month)s is closed (月结): nothing of it may be recorded.") % {"month": f"{day:%Y-%m}"}]
    note = (note or "").strip()
    if len(note) > Referral._meta.get_field("note").max_length:
        problems["note"] = [_("Keep the note to 200 characters.")]
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if status not in NEXT_STATUSES.get(referral.status, ()):  # moved on meanwhile
            raise ValidationError({"status": [_("The referral has been moved on meanwhile; reload it.")]})
        referral.status = status
        referral.closed_on = day if outcome else None
        if note:
            referral.note = note
        referral.save(update_fields=["status", "closed_on", "note", "updated_at"])
    return referral


# -- facts --------------------------------------------------------------------------------------------


def referral_facts_sync(
    *, first: datetime.date | None = None, last: datetime.date | None = None, user: User | None = None
) -> IngestBatch | None:
    """Write the referral facts of the days `first`..`last` (default: the last SYNC_DAYS days to today)
    through facts_ingest (source `referral`), as the module docstring says. Set-based: a fixed number
    of queries whatever the number of referrals, outlets and staff. None when there is nothing to write.

    1. Drop the days of closed months.
    2. Count the referrals by (day, outlet, referrer, channel) and the deals by (deal day, outlet,
       receiver, referrer), one grouped query each.
    3. Find the outlet-days whose lobby/counter referral facts another source wrote (one query): those
       metrics are left to it there.
    4. Ask the standing split rules about every (receiver, partner) deal fact at once (shares_for).
    5. Add the 0s of the facts this source wrote earlier that the records no longer give, and ingest.
    """
    today = timezone.localdate()
    last = last or today
    first = first or last - datetime.timedelta(days=SYNC_DAYS)
    closed = closed_months()
    days = [
        first + datetime.timedelta(days=offset)
        for offset in range((last - first).days + 1)
        if (first + datetime.timedelta(days=offset)).replace(day=1) not in closed
    ]
    if not days:
        return None
    lo, hi = days[0], days[-1]
    with transaction.atomic():
        transaction_lock(LOCK)
        metrics = dict(Metric.objects.filter(code__in=ALL_METRICS).values_list("code", "pk"))
        made = list(
            Referral.objects.filter(day__range=(lo, hi), day__in=days)
            .values_list("day", "outlet_id", "referrer_id", "channel")
            .annotate(count=Count("pk"))
        )
        deals = list(
            Referral.objects.filter(status=ReferralStatus.WON, closed_on__range=(lo, hi), closed_on__in=days)
            .values_list("closed_on", "outlet_id", "receiver_id", "referrer_id")
            .annotate(count=Count("pk"))
        )
        # (day, outlet id, staff id or None, metric code) → value
        values: Counter = Counter()
        for day, outlet_id, referrer_id, channel, count in made:
            for code in (MADE, CHANNEL_METRIC[channel]):
                values[(day, outlet_id, referrer_id, code)] += count
                values[(day, outlet_id, None, code)] += count
        by_receiver: dict[tuple, Counter] = defaultdict(Counter)
        for day, outlet_id, receiver_id, referrer_id, count in deals:
            values[(day, outlet_id, receiver_id, DEALS)] += count
            values[(day, outlet_id, None, DEALS)] += count
            by_receiver[(day, outlet_id, receiver_id)][referrer_id] += count

        channel_ids = [metrics[code] for code in CHANNEL_METRIC.values() if code in metrics]
        ours = Fact.objects.filter(date__range=(lo, hi), date__in=days, metric_id__in=metrics.values())
        pushed = set(
            ours.filter(metric_id__in=channel_ids)
            .filter(Q(batch=None) | ~Q(batch__source=IngestBatch.Source.REFERRAL))
            .values_list("date", "unit_id")
            .distinct()
        )
        code_of = {pk: code for code, pk in metrics.items()}
        for day, unit_id, staff_id, metric_id in ours.filter(batch__source=IngestBatch.Source.REFERRAL).values_list(
            "date", "unit_id", "staff_id", "metric_id"
        ):
            values.setdefault((day, unit_id, staff_id, code_of[metric_id]), 0)
        values = {
            key: value
            for key, value in values.items()
            if not (key[3] in CHANNEL_METRIC.values() and (key[0], key[1]) in pushed)
        }
        if not values:
            return None

        partners = {
            key: sorted(referrers.items(), key=lambda item: (-item[1], item[0]))[0][0]
            for key, referrers in by_receiver.items()
        }
        questions = {
            key: ShareQuestion(
                metric_id=metrics[DEALS], owner_id=key[2], partner_id=partner_id, unit_id=key[1], on=key[0]
            )
            for key, partner_id in partners.items()
            if DEALS in metrics
        }
        shares = shares_for(questions.values())
        people = {key[2] for key in values if key[2]} | set(partners.values())
        staff_codes = dict(StaffMember.objects.filter(pk__in=people).values_list("pk", "code"))
        unit_codes = dict(OrgUnit.objects.filter(pk__in={key[1] for key in values}).values_list("pk", "code"))
        rows = []
        for index, ((day, unit_id, staff_id, code), value) in enumerate(
            sorted(values.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or 0, item[0][3]))
        ):
            partner = ""
            question = questions.get((day, unit_id, staff_id)) if code == DEALS and staff_id else None
            if question is not None and shares.get(question) is not None and value:
                partner = staff_codes[question.partner_id]
            rows.append(
                CsvRow(
                    line=index,
                    values={
                        "date": day.isoformat(),
                        "unit": unit_codes[unit_id],
                        "staff": staff_codes.get(staff_id, "") if staff_id else "",
                        "metric": code,
                        "value": str(value),
                        "partner": partner,
                    },
                )
            )
        return facts_ingest(
            rows=rows,
            source=IngestBatch.Source.REFERRAL,
            created_by=user,
            label=f"转介：{lo.isoformat()} – {hi.isoformat()}",
        )
