"""Recording a call or visit of a list's customer, and the 勿扰 flag.

A contact is recorded by the staff member the customer is assigned to (or by the head who may build the
list's lists, for them) on the day it happens: today, or yesterday for one written up the next morning.
It counts for the person who made it, at their outlet on that day (`Contact.outlet`): a customer who
moves to another outlet while the list runs stays on the list, and the contact still counts where the
staff member works, not at the customer's new home outlet. The fact of it (outreach.services.facts) is
written after the transaction commits, by a task queued then.

A customer counts as contacted (ListAssignment.first_contact_on, what coverage counts) the first time they
are reached: any outcome but 未接通. A call nobody answered is recorded and counted as a call made (its
contact success is 0), but leaves the customer to contact: still waiting, to call again.

The outcome 勿扰 flags the customer (DoNotContact): no list built later takes them. The flag is also set
and lifted by hand.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import UnitKind
from customers.models import Customer
from ledger import evidence
from outreach.models import REACHED_OUTCOMES, Channel, Contact, DoNotContact, ListAssignment, Outcome
from staff.access import Scope
from staff.models import Assignment, StaffMember, User

MAX_PRODUCT = 50
MAX_NOTE = 200


def _staff_outlet(staff_id: int, day: datetime.date, *, prefer_path: str) -> int | None:
    """The staff member's outlet on `day`: one under the list's unit first."""
    rows = list(
        Assignment.objects.on(day)
        .filter(staff_id=staff_id, unit__kind=UnitKind.OUTLET)
        .order_by("unit__code")
        .values_list("unit_id", "unit__path")
    )
    inside = [unit_id for unit_id, path in rows if path.startswith(prefer_path)]
    return (inside or [unit_id for unit_id, _path in rows] or [None])[0]


def _coordinate(value, low: int, high: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValueError
    if not number.is_finite() or not low <= number <= high:
        raise ValueError
    return number


def contact_record(
    *,
    scope: Scope,
    user: User | None,
    assignment: ListAssignment,
    outcome: str,
    channel: str | None = None,
    product: str = "",
    next_follow_up: datetime.date | None = None,
    note: str = "",
    photo=None,
    latitude=None,
    longitude=None,
    day: datetime.date | None = None,
) -> Contact:
    """One call or visit and its outcome; ValidationError by field, nothing written, on bad input."""
    today = timezone.localdate()
    day = day or today
    outreach_list = assignment.outreach_list
    channel = channel or outreach_list.channel
    product, note = (product or "").strip(), (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not scope.may_work_assignment(outreach_list.unit, assignment.staff_id):
        raise ValidationError({"assignment": [_("This customer is not assigned to you.")]})
    if outcome not in Outcome.values:
        errors["outcome"] = [_("Pick one of: %(choices)s.") % {"choices": ", ".join(Outcome.values)}]
    if channel not in Channel.values:
        errors["channel"] = [_("Pick one of: %(choices)s.") % {"choices": ", ".join(Channel.values)}]
    if day not in (today, today - datetime.timedelta(days=1)):
        errors["day"] = [_("A contact is recorded for today or yesterday.")]
    if len(product) > MAX_PRODUCT:
        errors["product"] = [_("At most %(count)s characters.") % {"count": MAX_PRODUCT}]
    if len(note) > MAX_NOTE:
        errors["note"] = [_("At most %(count)s characters.") % {"count": MAX_NOTE}]
    if next_follow_up is not None and not day <= next_follow_up <= day + datetime.timedelta(days=366):
        errors["next_follow_up"] = [_("A day from the contact's day to a year after it.")]
    try:
        lat = _coordinate(latitude, -90, 90)
        lon = _coordinate(longitude, -180, 180)
        if (lat is None) != (lon is None):
            raise ValueError
    except ValueError:
        errors["location"] = [_("A location is a latitude (-90 to 90) and a longitude (-180 to 180), or none.")]
        lat = lon = None
    photo_type = ""
    if photo is not None:
        if channel != Channel.VISIT:
            errors["photo"] = [_("Only a visit carries a photo.")]
        else:
            try:
                photo_type = evidence.photo_check(photo)
            except ValidationError as problem:
                errors["photo"] = [str(message) for message in problem.messages]
    staff_id = StaffMember.objects.filter(user=user).values_list("pk", flat=True).first() if user else None
    staff_id = staff_id or assignment.staff_id
    outlet_id = _staff_outlet(staff_id, day, prefer_path=outreach_list.unit.path) if staff_id else None
    if staff_id is None or outlet_id is None:
        errors.setdefault("assignment", []).append(
            _("Nobody who works at an outlet that day makes this contact: assign the customer first.")
        )
    if errors:
        raise ValidationError(errors)

    stored = evidence.photo_save(photo, content_type=photo_type, folder="outreach") if photo is not None else ""
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                assignment=assignment,
                customer_id=assignment.customer_id,
                staff_id=staff_id,
                outlet_id=outlet_id,
                day=day,
                channel=channel,
                outcome=outcome,
                product=product,
                next_follow_up=next_follow_up,
                note=note,
                photo=stored,
                photo_type=photo_type,
                latitude=lat,
                longitude=lon,
                recorded_by=user,
            )
            changes = {"last_outcome": outcome, "next_follow_up": next_follow_up}
            if product:
                changes["product_interest"] = product
            ListAssignment.objects.filter(pk=assignment.pk).update(**changes)
            if outcome in REACHED_OUTCOMES:
                # Contacted means reached: after 未接通 the customer is still to contact (to call again),
                # and neither coverage nor the person's 待联系 count moves.
                ListAssignment.objects.filter(pk=assignment.pk, first_contact_on=None).update(first_contact_on=day)
            if outcome == Outcome.DONE:
                ListAssignment.objects.filter(pk=assignment.pk, converted_on=None).update(converted_on=day)
            if outcome == Outcome.DO_NOT_DISTURB:
                DoNotContact.objects.get_or_create(
                    customer_id=assignment.customer_id, defaults={"by_outcome": True, "set_by": user}
                )
            transaction.on_commit(lambda: _queue_facts([day]))
    except Exception:
        evidence.photo_delete(stored)
        raise
    return contact


def _queue_facts(days: list[datetime.date]) -> None:
    from outreach.tasks import outreach_facts

    outreach_facts.delay([day.isoformat() for day in days])


@transaction.atomic
def do_not_contact_set(
    *, scope: Scope, user: User | None, assignment: ListAssignment, flagged: bool, note: str = ""
) -> None:
    """Sets or lifts a customer's 勿扰 flag by hand (whoever may work the customer's assignment)."""
    if not scope.may_work_assignment(assignment.outreach_list.unit, assignment.staff_id):
        raise ValidationError({"assignment": [_("This customer is not assigned to you.")]})
    if flagged:
        DoNotContact.objects.get_or_create(
            customer_id=assignment.customer_id, defaults={"set_by": user, "note": (note or "")[:200]}
        )
    else:
        DoNotContact.objects.filter(customer_id=assignment.customer_id).delete()


def is_do_not_contact(customer: Customer) -> bool:
    return DoNotContact.objects.filter(customer=customer).exists()
