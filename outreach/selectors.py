"""Reads of the outreach lists for the pages, exports and the API, in scope and masked.

Who sees which list: HQ and auditors every list; a unit manager or outlet head the lists of the units of
their subtree; a staff member the lists that hold customers assigned to them (and only those customers).
A page reads a fixed number of queries whatever the size of the list (progress: one grouped query; a
page of customers: one query).
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from customers.models import Snapshot
from customers.selectors import tier_names
from outreach.models import Channel, Contact, DoNotContact, ListAssignment, Outcome, OutreachList
from staff.access import Scope

# AUM bands (万元) for a card and a list: the default star scheme's thresholds (DOMAIN.md §6).
AUM_BANDS_WAN = (0, 1, 5, 20, 100, 600)


def aum_band(aum_yuan: Decimal | None) -> str:
    """'5–20万' for an average daily AUM of 73,000 元; '≥600万' at the top; '' when unknown."""
    if aum_yuan is None:
        return ""
    wan = aum_yuan / 10_000
    for low, high in itertools.pairwise(AUM_BANDS_WAN):
        if wan < high:
            return f"{low}–{high}万"
    return f"≥{AUM_BANDS_WAN[-1]}万"


def list_tier_names(outreach_list: OutreachList) -> dict[str, str]:
    """Tier code → name (三星客户) for a list's customers, whose tiers were frozen as codes when it was
    built: by the scheme in force in the month it was built from (criteria `month`), if any."""
    month = outreach_list.criteria.get("month") if isinstance(outreach_list.criteria, dict) else None
    try:
        built_from = datetime.date.fromisoformat(f"{month}-01") if month else None
    except (TypeError, ValueError):
        built_from = None
    return tier_names(month=built_from)


def tier_name(names: dict[str, str], code: str) -> str:
    """A tier's name to show; a code no scheme has (since removed) as it is; '' for none."""
    return names.get(code, code) if code else ""


def lists_visible(scope: Scope) -> QuerySet[OutreachList]:
    lists = OutreachList.objects.select_related("unit")
    if scope.everything:
        return lists
    if scope.unit_path:
        # Their subtree's lists, and a list of a unit above whose customers went to their staff.
        held = ListAssignment.objects.filter(outreach_list=OuterRef("pk"), outlet__path__startswith=scope.unit_path)
        return lists.filter(Q(unit__path__startswith=scope.unit_path) | Exists(held))
    if scope.staff_id is not None:
        mine = ListAssignment.objects.filter(outreach_list=OuterRef("pk"), staff_id=scope.staff_id)
        return lists.filter(Exists(mine))
    return lists.none()


def assignments_visible(scope: Scope) -> QuerySet[ListAssignment]:
    """The list customers a reader sees: those of the lists they see; a staff member's own only."""
    if scope.everything:
        return ListAssignment.objects.all()
    if scope.unit_path:
        return ListAssignment.objects.filter(
            Q(outreach_list__unit__path__startswith=scope.unit_path) | Q(outlet__path__startswith=scope.unit_path)
        )
    if scope.staff_id is not None:
        return ListAssignment.objects.filter(staff_id=scope.staff_id)
    return ListAssignment.objects.none()


def with_details(rows: QuerySet[ListAssignment]) -> QuerySet[ListAssignment]:
    return rows.select_related(
        "customer", "customer__home_outlet", "staff", "outlet", "outreach_list", "outreach_list__unit"
    ).annotate(do_not_contact=Exists(DoNotContact.objects.filter(customer_id=OuterRef("customer_id"))))


def contacts_visible(scope: Scope) -> QuerySet[Contact]:
    return Contact.objects.filter(assignment__in=assignments_visible(scope))


# A list customer still to contact after a call or visit that did not reach them (未接通): not covered.
TO_RETRY = Q(first_contact_on=None, last_outcome=Outcome.NO_ANSWER)


@dataclass(frozen=True)
class Progress:
    """One staff member's share of a list (staff None: the customers not yet assigned)."""

    staff_id: int | None
    staff_code: str
    staff_name: str
    assigned: int
    contacted: int  # reached (any outcome but 未接通)
    converted: int
    interested: int
    to_retry: int = 0  # not reached yet after a 未接通: still to contact, to call again

    @property
    def coverage(self) -> Decimal | None:
        """Reached / assigned, a fraction (DOMAIN.md §4: fractions in files, percentages on pages); a
        customer called without an answer (未接通) is not covered until reached."""
        return Decimal(self.contacted) / self.assigned if self.assigned else None

    @property
    def conversion(self) -> Decimal | None:
        return Decimal(self.converted) / self.contacted if self.contacted else None


def list_progress(scope: Scope, outreach_list: OutreachList) -> list[Progress]:
    """Per staff member (names as the reader may see them), in one query; the unassigned last."""
    rows = (
        assignments_visible(scope)
        .filter(outreach_list=outreach_list)
        .values("staff_id", "staff__code", "staff__name")
        .annotate(
            assigned=Count("pk"),
            contacted=Count("pk", filter=Q(first_contact_on__isnull=False)),
            converted=Count("pk", filter=Q(converted_on__isnull=False)),
            interested=Count("pk", filter=Q(last_outcome=Outcome.INTERESTED)),
            to_retry=Count("pk", filter=TO_RETRY),
        )
        .order_by("staff__code")
    )
    found = [
        Progress(
            staff_id=row["staff_id"],
            staff_code=row["staff__code"] or "",
            staff_name=scope.person_name(row["staff__name"]) if row["staff__name"] else "",
            assigned=row["assigned"],
            contacted=row["contacted"],
            converted=row["converted"],
            interested=row["interested"],
            to_retry=row["to_retry"],
        )
        for row in rows
    ]
    return sorted(found, key=lambda row: (row.staff_id is None, row.staff_code))


def progress_total(rows: list[Progress]) -> Progress:
    return Progress(
        staff_id=None,
        staff_code="",
        staff_name="",
        assigned=sum(row.assigned for row in rows),
        contacted=sum(row.contacted for row in rows),
        converted=sum(row.converted for row in rows),
        interested=sum(row.interested for row in rows),
        to_retry=sum(row.to_retry for row in rows),
    )


@dataclass(frozen=True)
class Card:
    """A list customer as the phone shows them: masked as the reader may see them."""

    assignment: ListAssignment
    name: str
    code: str
    tier: str  # the tier's name (三星客户), as the list froze it
    band: str
    products: list[str]
    contacts: list[Contact]
    do_not_contact: bool
    staff_name: str


PRODUCTS = (
    ("deposits", "存款"),
    ("wealth", "理财"),
    ("funds", "基金"),
    ("insurance", "保险"),
    ("bonds", "国债"),
)


def products_held(snapshot: Snapshot | None) -> list[str]:
    """The products of the customer's latest month-end snapshot with a balance: where known."""
    if snapshot is None:
        return []
    return [label for name, label in PRODUCTS if getattr(snapshot, name)]


def card(scope: Scope, assignment: ListAssignment, *, contacts: int = 5) -> Card:
    """Four queries: the latest snapshot, the last contacts of the customer (any list), the flag, the
    tiers' names."""
    customer = assignment.customer
    snapshot = Snapshot.objects.filter(customer_id=customer.pk).order_by("-month").first()
    recent = list(
        Contact.objects.filter(customer_id=customer.pk).select_related("staff").order_by("-day", "-pk")[:contacts]
    )
    flagged = getattr(assignment, "do_not_contact", None)
    if flagged is None:
        flagged = DoNotContact.objects.filter(customer_id=customer.pk).exists()
    return Card(
        assignment=assignment,
        name=scope.person_name(customer.name),
        code=customer.code if scope.personal_data else scope.customer_code(customer.code),
        tier=tier_name(list_tier_names(assignment.outreach_list), assignment.tier_code),
        band=aum_band(assignment.aum_avg_daily),
        products=products_held(snapshot),
        contacts=recent,
        do_not_contact=bool(flagged),
        staff_name=scope.person_name(assignment.staff.name) if assignment.staff_id else "",
    )


def my_work(staff_id: int, outreach_list: OutreachList) -> QuerySet[ListAssignment]:
    """A staff member's customers of a list, those waiting first: not reached yet (never called, or
    called without an answer: to call again), then the reached by their next follow-up."""
    return with_details(ListAssignment.objects.filter(outreach_list=outreach_list, staff_id=staff_id)).order_by(
        F("first_contact_on").asc(nulls_first=True), F("next_follow_up").asc(nulls_last=True), "position"
    )


def next_to_work(staff_id: int | None, outreach_list: OutreachList, *, after: ListAssignment | None = None):
    """The next of one's customers of the list not called yet (in list order), for "save and next". Those
    to call again after 未接通 are left for the list of one's customers, where they wait: going on to
    them here would send two unanswered customers back and forth."""
    rows = ListAssignment.objects.filter(
        outreach_list=outreach_list, first_contact_on=None, last_outcome="", staff_id=staff_id
    )
    if after is not None:
        rows = rows.exclude(pk=after.pk)
    return rows.order_by("position").first()


def channel_label(channel: str) -> str:
    return Channel(channel).label


def today_counts(staff_id: int | None, day: datetime.date) -> dict[str, int]:
    """One's own calls and visits of a day (the tally on the lists page)."""
    if staff_id is None:
        return {}
    rows = Contact.objects.filter(staff_id=staff_id, day=day).values("channel").annotate(n=Count("pk"))
    return {row["channel"]: row["n"] for row in rows}


def own_counts(staff_id: int, list_ids: list[int]) -> dict[int, tuple[int, int]]:
    """List id → (customers assigned to the person, of them reached), in one query."""
    rows = (
        ListAssignment.objects.filter(staff_id=staff_id, outreach_list_id__in=list_ids)
        .values("outreach_list_id")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(first_contact_on__isnull=False)))
    )
    return {row["outreach_list_id"]: (row["n"], row["done"]) for row in rows}
