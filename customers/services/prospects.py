"""Prospects (潜在客户) taken down on the 客户信息表, and their becoming customers.

A prospect becomes a customer when they open an account: when a customer with the prospect's identity
number appears (the customers import, the monthly tiering, or one already there when the prospect is
taken down), `prospects_convert` links them and marks the prospect converted, in one UPDATE whatever
their number. A prospect without an identity number stays a prospect. Identity numbers are checked by
lib.identity and stored normalized, so the match is an equality.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from customers.models import Customer, Interest, Prospect, ProspectStatus, Territory
from lib.identity import id_number_problem, normalize_id_number
from staff.access import Scope
from staff.models import Assignment, StaffMember, User

# A mainland mobile (11 digits from 1) or a fixed line with its area code (0 and 9–11 digits, a dash allowed).
_PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def own_staff_member(user: User | None) -> StaffMember | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return StaffMember.objects.filter(user=user).first()


def works_at(staff: StaffMember | None, outlet: OrgUnit, day: datetime.date) -> bool:
    return staff is not None and Assignment.objects.on(day).filter(staff=staff, unit=outlet).exists()


def prospect_create(
    *,
    scope: Scope,
    user: User | None,
    outlet: OrgUnit,
    name: str,
    interest: str,
    phone: str = "",
    id_number: str = "",
    territory: Territory | None = None,
    place: str = "",
    note: str = "",
    today: datetime.date | None = None,
) -> Prospect:
    """Take down a prospect at `outlet` (the 客户信息表 on a phone), by the user's own staff record.

    Who: Scope.may_record_outreach (the outlet's staff, its heads, HQ). Checks, every problem collected
    by field before anything is written (ValidationError): a name; a phone that is a mainland mobile or
    fixed line, if given; an identity number that lib.identity accepts, if given (never quoted back); a
    known interest; a territory of the outlet, if given; a place or a territory. A prospect whose identity
    number is already a customer's is linked at once (prospects_convert)."""
    today = today or timezone.localdate()
    own = own_staff_member(user)
    if not scope.may_record_outreach(outlet, works_there=works_at(own, outlet, today)):
        raise PermissionDenied(_("You may not take down prospects for this outlet."))
    problems: dict[str, list[str]] = {}
    name, place, note = (name or "").strip(), (place or "").strip(), (note or "").strip()
    phone = re.sub(r"\s", "", phone or "")
    id_number = normalize_id_number(id_number)
    if not name:
        problems["name"] = [_("Write the prospect's name.")]
    elif len(name) > Prospect._meta.get_field("name").max_length:
        problems["name"] = [_("Keep the name to 60 characters.")]
    if phone and not _PHONE.match(phone):
        problems["phone"] = [_("Give a mobile number of 11 digits, or a fixed line with its area code.")]
    if id_number and (problem := id_number_problem(id_number, today=today)):
        problems["id_number"] = [_("The identity number %(problem)s.") % {"problem": problem}]
    if interest not in Interest.values:
        problems["interest"] = [_("Choose what the prospect is interested in.")]
    if territory is not None and territory.outlet_id != outlet.pk:
        problems["territory"] = [_("The territory belongs to another outlet.")]
    if territory is None and not place:
        problems["place"] = [_("Say where the prospect was met, or choose the territory.")]
    elif len(place) > Prospect._meta.get_field("place").max_length:
        problems["place"] = [_("Keep the place to 100 characters.")]
    if len(note) > Prospect._meta.get_field("note").max_length:
        problems["note"] = [_("Keep the note to 200 characters.")]
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        prospect = Prospect.objects.create(
            outlet=outlet,
            territory=territory,
            place=place,
            name=name,
            phone=phone,
            id_number=id_number,
            interest=interest,
            note=note,
            captured_by=own,
            captured_on=today,
        )
        if id_number:
            prospects_convert(id_numbers=[id_number], today=today)
    prospect.refresh_from_db()
    return prospect


def prospects_convert(*, id_numbers: list[str] | None = None, today: datetime.date | None = None) -> int:
    """Link every open prospect whose identity number is a customer's to that customer and mark it
    converted (today); give the customer the prospect's territory when it has none. Set-based: two
    UPDATEs whatever the number of prospects; `id_numbers` narrows it (the numbers just imported).
    Safe to run twice: a converted prospect is not open any more. Returns the prospects converted."""
    today = today or timezone.localdate()
    open_prospects = Prospect.objects.filter(status=ProspectStatus.OPEN).exclude(id_number="")
    if id_numbers is not None:
        id_numbers = [number for number in id_numbers if number]
        if not id_numbers:
            return 0
        open_prospects = open_prospects.filter(id_number__in=id_numbers)
    customer = Customer.objects.filter(id_number=OuterRef("id_number")).order_by("pk").values("pk")[:1]
    matched = open_prospects.filter(id_number__in=Customer.objects.exclude(id_number="").values("id_number"))
    with transaction.atomic():
        ids = list(matched.values_list("pk", flat=True))
        if not ids:
            return 0
        Prospect.objects.filter(pk__in=ids).update(
            customer_id=Subquery(customer), status=ProspectStatus.CONVERTED, converted_on=today
        )
        territory = (
            Prospect.objects.filter(customer_id=OuterRef("pk"), pk__in=ids)
            .exclude(territory=None)
            .order_by("pk")
            .values("territory_id")[:1]
        )
        Customer.objects.filter(territory=None, prospects__pk__in=ids).update(territory_id=Subquery(territory))
    return len(ids)
