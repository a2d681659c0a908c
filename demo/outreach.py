"""The demo's call and visit lists (名单, issue 18), so the outreach pages are alive for the outlet head, the
staff, the unit manager and HQ: for each outlet of the unit manager's sub-branch, three lists built the way
an outlet head builds them (outreach.services.building: one INSERT … SELECT each), ten days ago:

- 降级客户回访 (calls): the customers who moved down in the latest tiered month, each to their relationship
  manager (the rest left for assigning by hand);
- 沉睡客户唤醒 (calls): customers of 一星 and 二星 not contacted in 90 days, evenly over the outlet's staff;
- 代发工资客户走访 (visits): merchants and long-tail corporate customers, evenly over the outlet's staff.

Then ten days of work, as the seeds tell it: the calls go down the list "过筛子似的" (a quarter unanswered,
some interested in 理财 or 大额存单, a few signed up, now and then 勿扰, which flags the customer), the visits
knock on doors one by one ("一户一户的敲门，一户一户的讲解") and carry a photo. About a third of each list
waits, so every staff login finds customers still to call. The contacts' facts are written through
outreach.services.facts (source `outreach`, one facts_ingest) before the rollup scores the days.

Safe to run again: an outlet that already has a demo list is left as it is.
"""

from __future__ import annotations

import base64
import datetime
import random
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction

from branches.models import OrgUnit, UnitKind
from customers.models import TieringRun
from demo.network import NetworkPlan
from ledger import evidence
from lib.bulk import update_fields
from outreach.models import Channel, Contact, DoNotContact, ListAssignment, Outcome, OutreachList
from outreach.services.building import ListFilter, list_build, staff_outlets
from outreach.services.facts import outreach_facts_write
from staff.access import Scope
from staff.models import Role, StaffMember, User

NAMES = ("降级客户回访", "沉睡客户唤醒", "代发工资客户走访")
WINDOW_DAYS = 10
# A 1 × 1 JPEG: the visits' photos (the demo has no camera).
PHOTO = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////"
    "////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA="
)
CALL_OUTCOMES = (
    (Outcome.NO_ANSWER, 26),
    (Outcome.CONNECTED, 30),
    (Outcome.INTERESTED, 20),
    (Outcome.DONE, 10),
    (Outcome.REFUSED, 11),
    (Outcome.DO_NOT_DISTURB, 3),
)
VISIT_OUTCOMES = ((Outcome.CONNECTED, 40), (Outcome.INTERESTED, 30), (Outcome.DONE, 20), (Outcome.REFUSED, 10))
PRODUCTS = ("理财", "大额存单", "定期存款", "基金定投", "保险", "手机银行", "代发工资")
CALL_NOTES = (
    "按名单过筛子似的逐户回访",
    "客户资金到期转他行，约到网点面谈",
    "客户表示近期有大额资金到账",
    "",
    "",
)
VISIT_NOTES = ("一户一户的敲门，一户一户的讲解积分送好礼", "走访商户，介绍代发工资与收单", "企业财务在，留了宣传单", "")


@dataclass
class SeededOutreach:
    lists: int = 0
    customers: int = 0
    contacts: int = 0
    outlets: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"Outreach: {self.lists} lists of {self.customers} customers at {', '.join(self.outlets) or 'no outlet'}; "
            f"{self.contacts} calls and visits"
        )


def _pick(rng: random.Random, weighted) -> str:
    return rng.choices([value for value, _weight in weighted], weights=[weight for _value, weight in weighted])[0]


def seed_outreach(*, plan: NetworkPlan, end: datetime.date, seed: int = 2026) -> SeededOutreach:
    """The lists and ten days of their work to `end` (the last day of facts); see the module."""
    seeded = SeededOutreach()
    sub_branch = plan.sub_branches[0] if plan.sub_branches else None
    if sub_branch is None:
        return seeded
    outlets = list(OrgUnit.objects.filter(kind=UnitKind.OUTLET, parent__code=sub_branch.code).order_by("code"))
    month = (
        TieringRun.objects.filter(status=TieringRun.Status.DONE)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if not outlets or month is None:
        return seeded
    starts_on = end - datetime.timedelta(days=WINDOW_DAYS - 1)
    done = set(OutreachList.objects.filter(unit__in=outlets, name__in=NAMES).values_list("unit_id", flat=True))
    builder = User.objects.filter(role=Role.UNIT_MANAGER, unit__code=sub_branch.code).first()
    hq = Scope(everything=True, read_only=False, personal_data=True, role=Role.HQ_ADMIN)
    # Who works where on each day of the window: a contact counts at its maker's outlet that day.
    working = {day: staff_outlets(unit=outlets[0].parent, day=day) for day in _days(starts_on, end)}
    built: list[OutreachList] = []
    with transaction.atomic():
        for outlet in outlets:
            if outlet.pk in done:
                continue
            people = list(_staff_members([s for s, o in working[starts_on].items() if o == outlet.pk]))
            if not people:
                continue
            seeded.outlets.append(outlet.code)
            for name, criteria, mode, channel in (
                (NAMES[0], ListFilter(month=month, movement="down"), "manager", Channel.CALL),
                (NAMES[1], ListFilter(month=month, tiers=["star1", "star2"], no_contact_days=90), "even", Channel.CALL),
                (NAMES[2], ListFilter(groups=["merchant", "long_tail_corporate"]), "even", Channel.VISIT),
            ):
                built.append(
                    list_build(
                        scope=hq, user=builder, unit=outlet, name=name, criteria=criteria, assign_mode=mode,
                        staff=people, channel=channel, starts_on=starts_on, due_on=end + datetime.timedelta(days=20),
                    )
                )  # fmt: skip
        seeded.lists = len(built)
        seeded.customers = sum(item.customers for item in built)
        seeded.contacts = _work(built, working=working, seed=seed, end=end)
    if seeded.contacts:
        outreach_facts_write(_days(starts_on, end))
    return seeded


def _days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=offset) for offset in range((last - first).days + 1)]


def _staff_members(ids):
    return StaffMember.objects.filter(pk__in=ids).order_by("code")


def _work(built: list[OutreachList], *, working, seed: int, end: datetime.date) -> int:
    """Ten days of calls and visits down each list (about two thirds of each list reached by `end`)."""
    rng = random.Random(seed * 7 + 18)
    days = sorted(working)
    contacts: list[Contact] = []
    changed: list[ListAssignment] = []
    flagged: set[int] = set()
    channel_of = {item.pk: item.channel for item in built}
    rows = (
        ListAssignment.objects.filter(outreach_list__in=built).exclude(staff=None).order_by("outreach_list", "position")
    )
    for row in rows:
        if rng.random() > 0.66:
            continue  # still waiting
        channel = channel_of[row.outreach_list_id]
        tries = 2 if channel == Channel.CALL and rng.random() < 0.3 else 1
        day_index = rng.randrange(len(days))
        for attempt in range(tries):
            day = days[min(day_index + attempt * 2, len(days) - 1)]
            outlet_id = working[day].get(row.staff_id)
            if outlet_id is None:
                break
            outcome = _pick(rng, CALL_OUTCOMES if channel == Channel.CALL else VISIT_OUTCOMES)
            if attempt == 0 and tries == 2:
                outcome = Outcome.NO_ANSWER
            product = rng.choice(PRODUCTS) if outcome in (Outcome.INTERESTED, Outcome.DONE) else ""
            follow_up = day + datetime.timedelta(days=rng.choice((3, 5, 7))) if outcome == Outcome.INTERESTED else None
            contact = Contact(
                assignment=row, customer_id=row.customer_id, staff_id=row.staff_id, outlet_id=outlet_id, day=day,
                channel=channel, outcome=outcome, product=product, next_follow_up=follow_up,
                note=rng.choice(CALL_NOTES if channel == Channel.CALL else VISIT_NOTES),
            )  # fmt: skip
            if channel == Channel.VISIT and rng.random() < 0.5:
                contact.photo = evidence.photo_save(ContentFile(PHOTO), content_type="image/jpeg", folder="outreach")
                contact.photo_type = "image/jpeg"
            contacts.append(contact)
            if outcome != Outcome.NO_ANSWER:  # contacted means reached (outreach.models.REACHED_OUTCOMES)
                row.first_contact_on = row.first_contact_on or day
            row.last_outcome, row.next_follow_up = outcome, follow_up
            row.product_interest = product or row.product_interest
            if outcome == Outcome.DONE and row.converted_on is None:
                row.converted_on = day
            if outcome == Outcome.DO_NOT_DISTURB:
                flagged.add(row.customer_id)
        if row.first_contact_on or row.last_outcome:
            changed.append(row)
    Contact.objects.bulk_create(contacts, batch_size=2000)
    update_fields(changed, ["first_contact_on", "last_outcome", "next_follow_up", "product_interest", "converted_on"])
    DoNotContact.objects.bulk_create(
        [DoNotContact(customer_id=customer_id, by_outcome=True) for customer_id in flagged], ignore_conflicts=True
    )
    return len(contacts)
