"""Writes of the points ledger: an entry recorded (entry_create), entries approved, rejected or their
approval withdrawn in one batch (entries_decide), an entry withdrawn (撤回) by the person who recorded it
while it waits (entry_withdraw), and the facts they add up to (_facts_rewrite).

The fact. For a staff member, a day, an outlet and a metric, the fact is the sum of the points of that
person's approved entries of items counting toward the metric: their own part of their entries, and
their part of the entries they are the partner of (分润). It is written through kpi's facts_ingest
(source `ledger`), whatever changed it: an approval, an entry that needs none, a withdrawal (the sum
again, without the withdrawn entry; 0 when none is left). So the rollup is queued the way every ingest
queues it, the scorecards, ranks and alerts see the points, and a closed month (月结) is refused there
as everywhere. Each entry keeps the facts it is in and the batch that last wrote them.

Every write is one transaction: bad input writes nothing (the problems are a ValidationError keyed by
field, each in the reader's language). Writers take the lock `ledger.entries` for the transaction
(PostgreSQL; SQLite runs one writer at a time anyway) and lock the entries they change, so two
approvals of the same person's day cannot each add up the sum without the other's entry, and two
entries cannot both pass the daily cap.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit, UnitKind
from kpi.models import Fact, IngestBatch, Metric, MonthClose
from kpi.services.credit import share_for, split_exactly
from kpi.services.facts import facts_ingest
from ledger import evidence
from ledger.models import EntryChange, EntryStatus, LedgerEntry, LedgerItem
from lib.bulk import update_fields
from lib.csvimport import CsvRow, ImportRejected
from lib.ids import parse_ids
from lib.locks import transaction_lock
from staff.access import Scope
from staff.models import ApiToken, Assignment, StaffMember, User

LOCK = "ledger.entries"
MAX_QUANTITY = 1000
# A customer number as the core system writes it: letters and digits (and - _), not an identity number
# or a mobile number typed in its place (those are personal data and have no business in a ledger).
_CUSTOMER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_IDENTITY_LIKE = re.compile(r"^\d{17}[\dXx]$|^\d{15}$")
_MOBILE_LIKE = re.compile(r"^1[3-9]\d{9}$")


class Action:
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    ALL = (APPROVE, REJECT, WITHDRAW)


@dataclass(frozen=True)
class Withdrawn:
    entry: LedgerEntry
    # False when the entry had already been withdrawn (a second click, a retried request): nothing written.
    changed: bool


@dataclass(frozen=True)
class Decided:
    action: str
    entries: int
    facts_changed: int


def entry_days(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The days an entry may be recorded for: yesterday and today."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=1), today


def own_staff_member(user: User) -> StaffMember | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return StaffMember.objects.filter(user=user).first()


def closed_month_message(day: datetime.date) -> str | None:
    """Why nothing may be counted on `day`, if its month is closed (月结)."""
    close = MonthClose.objects.closed(day).select_related("changed_by").first()
    if close is None:
        return None
    return _(
        "%(month)s is closed (月结): its points are frozen, so nothing of %(day)s may be recorded, approved or "
        "withdrawn; HQ reopens the month to correct it."
    ) % {"month": f"{day:%Y-%m}", "day": day.isoformat()}


def customer_code_problem(code: str) -> str | None:
    if not code:
        return None
    if _IDENTITY_LIKE.match(code) or _MOBILE_LIKE.match(code):
        return _("Write the customer number of the core system, not an identity or mobile number.")
    if not _CUSTOMER_CODE.match(code):
        return _("A customer number is 1–32 letters, digits, '-' or '_'.")
    return None


def outlet_of(staff: StaffMember, day: datetime.date, *, scope: Scope | None = None) -> Assignment | None:
    """The staff member's assignment at an outlet on `day` (inside `scope`'s units when given; the first
    by outlet code when they serve several)."""
    assignments = Assignment.objects.on(day).filter(staff=staff, unit__kind=UnitKind.OUTLET)
    if scope is not None and not scope.everything and scope.unit_path:
        assignments = assignments.filter(unit__path__startswith=scope.unit_path)
    return assignments.select_related("unit", "post").order_by("unit__code", "pk").first()


def entry_create(
    *,
    scope: Scope,
    user: User | None,
    item: LedgerItem,
    day: datetime.date,
    quantity: int,
    staff: StaffMember | None = None,
    customer_code: str = "",
    partner: StaffMember | None = None,
    note: str = "",
    photo=None,
    token: ApiToken | None = None,
    today: datetime.date | None = None,
) -> LedgerEntry:
    """Record `quantity` units of `item` on `day` for `staff` (default: the user's own staff record).

    Who: a reward item is recorded by the staff member themselves; a deduction by the outlet head or
    the unit manager over the person's outlet (Scope.may_enter_deductions), always with a reason in
    `note`. Checks (every problem collected, keyed by field, before anything is written): the item is
    active; the day is today or yesterday and its month open; the person works at an outlet that day
    in a post that may record the item; a customer number and a photo where the item needs them; the
    daily cap; a partner (分润) works at the same outlet that day and a standing split rule covers the
    pair (kpi.services.credit.share_for), else the partner is refused.

    An item that needs no approval counts at once: the entry is approved and the facts written in the
    same transaction.
    """
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    customer_code = (customer_code or "").strip()
    note = (note or "").strip()
    first_day, last_day = entry_days(today)
    if not item.is_active:
        problem("item", _("%(item)s is no longer recorded.") % {"item": item.name})
    if not first_day <= day <= last_day:
        problem(
            "day",
            _("Entries are recorded for today or yesterday (%(first)s – %(last)s).")
            % {"first": first_day.isoformat(), "last": last_day.isoformat()},
        )
    elif message := closed_month_message(day):
        problem("day", message)
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        problem("quantity", _("Give a whole number from 1 to %(max)s.") % {"max": MAX_QUANTITY})

    own = own_staff_member(user) if user is not None else None
    if staff is None:
        staff = own
    assignment = None
    if staff is None:
        problem(
            "staff",
            _("Your login is not linked to a staff record; ask HQ to link it before recording points."),
        )
    else:
        assignment = outlet_of(staff, day, scope=scope if item.is_deduction else None)
        if assignment is None:
            problem(
                "staff",
                _("%(who)s works at no outlet on %(day)s.") % {"who": scope.person_name(staff.name), "day": day},
            )
    unit = assignment.unit if assignment else None

    if item.is_deduction:
        if unit is not None and not scope.may_enter_deductions(unit):
            problem("item", _("A deduction is entered by the outlet head or the unit manager, not by the person."))
        if not note:
            problem("note", _("A deduction always says why: write the reason."))
        if staff is not None and own is not None and staff.pk == own.pk:
            problem("staff", _("A deduction is entered for someone else, by the person's outlet head."))
        if partner is not None:
            problem("partner", _("A deduction is not shared with a partner."))
    elif staff is not None and (own is None or staff.pk != own.pk):
        problem("staff", _("Points are recorded by the staff member themselves."))

    if assignment is not None and item.pk is not None:
        post_ids = set(item.posts.values_list("pk", flat=True))
        if post_ids and assignment.post_id not in post_ids:
            problem(
                "item",
                _("%(item)s is not recorded by the post %(post)s.") % {"item": item.name, "post": assignment.post.name},
            )

    if item.requires_customer and not customer_code:
        problem("customer_code", _("%(item)s needs the customer number.") % {"item": item.name})
    elif message := customer_code_problem(customer_code):
        problem("customer_code", message)
    if len(note) > LedgerEntry._meta.get_field("note").max_length:
        problem("note", _("Keep the note to 200 characters."))

    content_type = ""
    if photo is not None:
        try:
            content_type = evidence.photo_check(photo)
        except ValidationError as refused:
            problem("photo", refused.messages[0])
    elif item.requires_evidence:
        problem("photo", _("%(item)s needs a photo as evidence.") % {"item": item.name})

    share = None
    if partner is not None and not item.is_deduction and staff is not None and unit is not None:
        share = _partner_share(
            item=item, staff=staff, partner=partner, unit=unit, day=day, scope=scope, problem=problem
        )

    if problems:
        raise ValidationError(problems)

    points = Decimal(quantity) * item.signed_points_per_unit
    own_points, partner_points = points, Decimal(0)
    if share is not None:
        own_points, partner_points = split_exactly(points, share)

    stored = evidence.photo_save(photo, content_type=content_type) if photo is not None else ""
    try:
        with transaction.atomic():
            transaction_lock(LOCK)
            if item.daily_cap is not None:
                recorded = (
                    LedgerEntry.objects.filter(
                        staff=staff, item=item, day=day, status__in=(EntryStatus.PENDING, EntryStatus.APPROVED)
                    ).aggregate(total=Sum("quantity"))["total"]
                    or 0
                )
                if recorded + quantity > item.daily_cap:
                    raise ValidationError(
                        {
                            "quantity": _(
                                "%(item)s counts at most %(cap)s a day a person; %(recorded)s already recorded on "
                                "%(day)s."
                            )
                            % {"item": item.name, "cap": item.daily_cap, "recorded": recorded, "day": day}
                        }
                    )
            entry = LedgerEntry.objects.create(
                item=item,
                staff=staff,
                unit=unit,
                day=day,
                quantity=quantity,
                points=points,
                partner=partner if share is not None else None,
                partner_share=share,
                own_points=own_points,
                partner_points=partner_points,
                customer_code=customer_code,
                note=note,
                photo=stored,
                photo_type=content_type,
                entered_by=user if getattr(user, "pk", None) else None,
            )
            who = {"by": user if getattr(user, "pk", None) else None, "token_name": token.name if token else ""}
            EntryChange.objects.create(entry=entry, action=EntryChange.Action.CREATED, **who)
            if not item.requires_approval:
                entry.status = EntryStatus.APPROVED
                entry.decided_at = timezone.now()
                entry.save(update_fields=["status", "decided_at"])
                EntryChange.objects.create(entry=entry, action=EntryChange.Action.AUTO_APPROVED, **who)
                _facts_rewrite([entry], user=user, token=token)
    except BaseException:
        evidence.photo_delete(stored)
        raise
    return entry


def _partner_share(*, item, staff, partner, unit, day, scope, problem) -> Decimal | None:
    """The partner's share (percent) of the entry by the standing rule of the day, or None with a problem."""
    if partner.pk == staff.pk:
        problem("partner", _("Share the points with a colleague, not with yourself."))
        return None
    if not Assignment.objects.on(day).filter(staff=partner, unit=unit).exists():
        problem(
            "partner",
            _("%(who)s does not work at %(outlet)s on %(day)s; points are shared with a colleague of the same outlet.")
            % {"who": partner.code, "outlet": unit.name, "day": day},
        )
        return None
    share = share_for(metric=item.metric, owner=staff, partner=partner, unit=unit, on=day)
    if share is None:
        problem(
            "partner",
            _(
                "No credit split rule (分润) covers %(metric)s between these two posts; record the entry without a "
                "partner, or ask HQ for a rule."
            )
            % {"metric": item.metric.name},
        )
    return share


def entries_decide(
    *,
    scope: Scope,
    user: User | None,
    entry_ids: list[int],
    action: str,
    reason: str = "",
    token: ApiToken | None = None,
) -> Decided:
    """Approve or reject pending entries, or withdraw the approval of approved ones, all or nothing.

    - approve: pending → approved; the facts of the people and days they touch are added up again.
    - reject: pending → rejected, with a reason (required); no fact changes.
    - withdraw: approved → pending again (to be approved or rejected anew), with the facts corrected.
    Each entry must be of an outlet the reader may approve for (Scope.may_approve_ledger), and, to
    approve or withdraw, of an open month. Entries not found in the reader's sight are refused as not
    found, never hinted at.
    """
    reason = (reason or "").strip()
    if action not in Action.ALL:
        raise ValidationError({"action": _("Choose approve, reject or withdraw.")})
    try:
        ids = parse_ids(entry_ids)
    except (TypeError, ValueError):
        raise ValidationError({"entries": _("Entries are named by their numbers.")})
    if not ids:
        raise ValidationError({"entries": _("Tick at least one entry.")})
    if action == Action.REJECT and not reason:
        raise ValidationError({"reason": _("Say why the entries are rejected; the staff member reads it.")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("Keep the reason to 200 characters.")})
    wanted = EntryStatus.APPROVED if action == Action.WITHDRAW else EntryStatus.PENDING
    with transaction.atomic():
        transaction_lock(LOCK)
        entries = list(
            LedgerEntry.objects.select_for_update(
                of=("self",)
            )  # the entries only: PostgreSQL locks no outer-joined partner
            .filter(pk__in=ids)
            .select_related("item", "item__metric", "unit", "staff", "partner")
            .order_by("pk")
        )
        found = {entry.pk: entry for entry in entries if scope.can_see_unit(entry.unit)}
        problems: list[str] = []
        missing = [pk for pk in ids if pk not in found]
        if missing:
            problems.append(_("No such entries: %(ids)s.") % {"ids": ", ".join(map(str, missing))})
        closed: dict[datetime.date, str | None] = {}
        for entry in found.values():
            label = f"#{entry.pk} {entry.day} {scope.person_name(entry.staff.name)} {entry.item.name}"
            if not scope.may_approve_ledger(entry.unit):
                problems.append(_("%(entry)s: you may not approve the entries of this outlet.") % {"entry": label})
                continue
            if entry.status != wanted:
                problems.append(
                    _("%(entry)s is %(status)s, not %(wanted)s.")
                    % {"entry": label, "status": entry.get_status_display(), "wanted": EntryStatus(wanted).label}
                )
                continue
            if action != Action.REJECT:
                if entry.day not in closed:
                    closed[entry.day] = closed_month_message(entry.day)
                if closed[entry.day]:
                    problems.append(f"{label}: {closed[entry.day]}")
        if problems:
            raise ValidationError({"entries": problems})

        now = timezone.now()
        who = {"by": user if getattr(user, "pk", None) else None, "token_name": token.name if token else ""}
        changed = list(found.values())
        for entry in changed:
            if action == Action.APPROVE:
                entry.status, entry.decided_by, entry.decided_at, entry.rejection_reason = (
                    EntryStatus.APPROVED,
                    who["by"],
                    now,
                    "",
                )
            elif action == Action.REJECT:
                entry.status, entry.decided_by, entry.decided_at, entry.rejection_reason = (
                    EntryStatus.REJECTED,
                    who["by"],
                    now,
                    reason,
                )
            else:
                entry.status, entry.decided_by, entry.decided_at = EntryStatus.PENDING, None, None
        LedgerEntry.objects.bulk_update(changed, ["status", "decided_by", "decided_at", "rejection_reason"])
        change = {
            Action.APPROVE: EntryChange.Action.APPROVED,
            Action.REJECT: EntryChange.Action.REJECTED,
            Action.WITHDRAW: EntryChange.Action.WITHDRAWN,
        }[action]
        EntryChange.objects.bulk_create(
            [EntryChange(entry=entry, action=change, reason=reason, **who) for entry in changed]
        )
        facts_changed = 0
        if action != Action.REJECT:
            batch = _facts_rewrite(changed, user=user, token=token)
            facts_changed = (batch.created + batch.updated) if batch else 0
    return Decided(action=action, entries=len(changed), facts_changed=facts_changed)


def is_own_entry(entry: LedgerEntry, *, user: User | None, own: StaffMember | None) -> bool:
    """Whether `user` (whose staff record is `own`) recorded the entry for themselves: whose entry it is to
    withdraw. Not a partner's share of it, nor a deduction entered against them."""
    return (
        own is not None
        and getattr(user, "pk", None) is not None
        and entry.staff_id == own.pk
        and entry.entered_by_id == user.pk
    )


def entry_withdraw(*, user: User | None, entry: LedgerEntry, reason: str = "") -> Withdrawn:
    """Withdraw (撤回) an entry that waits for approval, by the person who recorded it for themselves: a
    mistyped quantity is corrected by withdrawing the entry and recording the right one, no longer only by
    the outlet head rejecting it. `entry` is one the reader sees (ledger.selectors.get_entry_or_404).

    1. Only one's own: the login recorded it (`entered_by`) for its own staff record, the rule entry_create
       records rewards by. A colleague's entry (one shared with them as partner too), a deduction the
       outlet head entered against them, an entry seen from above, a token (it speaks for nobody):
       PermissionDenied.
    2. Under the ledger's lock and the entry's row lock (an approval of the same entry waits, then finds
       it withdrawn), its status read again: pending → withdrawn, with its EntryChange. Already withdrawn:
       nothing written (`changed` False), so a second click or a retried request changes nothing.
       Approved or rejected: ValidationError (`status`); an approval is withdrawn by the outlet head
       (entries_decide).

    A pending entry counts toward no fact, so no fact changes and, as for a rejection, a closed month does
    not stop it. The entry is kept, withdrawn, counting nothing toward the daily cap or the suspected
    duplicates, so the right one may be recorded at once. `reason`, if any, goes with its EntryChange.
    """
    reason = (reason or "").strip()
    if not is_own_entry(entry, user=user, own=own_staff_member(user) if user is not None else None):
        raise PermissionDenied(_("An entry is withdrawn by the person who recorded it, not by anyone else."))
    if len(reason) > 200:
        raise ValidationError({"reason": _("Keep the reason to 200 characters.")})
    with transaction.atomic():
        transaction_lock(LOCK)
        status = LedgerEntry.objects.select_for_update().filter(pk=entry.pk).values_list("status", flat=True).get()
        if status == EntryStatus.WITHDRAWN:
            entry.status = status
            return Withdrawn(entry=entry, changed=False)
        if status != EntryStatus.PENDING:
            raise ValidationError(
                {
                    "status": _(
                        "%(item)s of %(day)s is %(status)s: only an entry waiting for approval may be withdrawn; "
                        "ask your outlet head to correct it."
                    )
                    % {"item": entry.item.name, "day": entry.day.isoformat(), "status": EntryStatus(status).label}
                }
            )
        LedgerEntry.objects.filter(pk=entry.pk).update(status=EntryStatus.WITHDRAWN)
        entry.status = EntryStatus.WITHDRAWN
        EntryChange.objects.create(entry=entry, action=EntryChange.Action.ENTRY_WITHDRAWN, by=user, reason=reason)
    return Withdrawn(entry=entry, changed=True)


def entries_facts_write(*, entries: list[LedgerEntry], user: User | None = None) -> IngestBatch | None:
    """Add up again the facts of these entries' people, days and metrics and write them in one facts_ingest
    (source `ledger`): for entries loaded in bulk, as the demo loads weeks of them (each entry's item
    already on it, `select_related` or set). Nothing for no entries."""
    if not entries:
        return None
    with transaction.atomic():
        transaction_lock(LOCK)
        return _facts_rewrite(entries, user=user)


def _fact_keys(entries: list[LedgerEntry]) -> set[tuple[datetime.date, int, int, int]]:
    """(day, unit, staff, metric) of every fact these entries' points are in: their staff member's, and
    their partner's."""
    keys = set()
    for entry in entries:
        metric_id = entry.item.metric_id
        keys.add((entry.day, entry.unit_id, entry.staff_id, metric_id))
        if entry.partner_id:
            keys.add((entry.day, entry.unit_id, entry.partner_id, metric_id))
    return keys


def _facts_rewrite(entries: list[LedgerEntry], *, user: User | None, token: ApiToken | None = None) -> IngestBatch:
    """Add up again the facts these entries' points are in and write them through facts_ingest (source
    `ledger`); link each approved entry of those facts to them. Inside the caller's transaction."""
    keys = _fact_keys(entries)
    days = {key[0] for key in keys}
    unit_ids = {key[1] for key in keys}
    metric_ids = {key[3] for key in keys}
    totals: dict[tuple, Decimal] = dict.fromkeys(keys, Decimal(0))
    approved = LedgerEntry.objects.filter(
        status=EntryStatus.APPROVED, day__in=days, unit_id__in=unit_ids, item__metric_id__in=metric_ids
    )
    for day, unit_id, staff_id, metric_id, total in approved.values_list(
        "day", "unit_id", "staff_id", "item__metric_id"
    ).annotate(total=Sum("own_points")):
        if (key := (day, unit_id, staff_id, metric_id)) in totals:
            totals[key] += total
    for day, unit_id, partner_id, metric_id, total in (
        approved.exclude(partner=None)
        .values_list("day", "unit_id", "partner_id", "item__metric_id")
        .annotate(total=Sum("partner_points"))
    ):
        if (key := (day, unit_id, partner_id, metric_id)) in totals:
            totals[key] += total

    unit_codes = dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "code"))
    staff_codes = dict(StaffMember.objects.filter(pk__in={key[2] for key in keys}).values_list("pk", "code"))
    metric_codes = dict(Metric.objects.filter(pk__in=metric_ids).values_list("pk", "code"))
    rows = [
        CsvRow(
            line=index,
            values={
                "date": day.isoformat(),
                "unit": unit_codes[unit_id],
                "staff": staff_codes[staff_id],
                "metric": metric_codes[metric_id],
                "value": f"{total:f}",
            },
        )
        for index, ((day, unit_id, staff_id, metric_id), total) in enumerate(sorted(totals.items()))
    ]
    try:
        batch = facts_ingest(
            rows=rows,
            source=IngestBatch.Source.LEDGER,
            created_by=user,
            token=None,
            label=f"台账：{len(entries)} 条登记",
        )
    except ImportRejected as rejected:
        raise ValidationError({"entries": [problem.message for problem in rejected.problems]})
    if token is not None and not batch.token_name:
        IngestBatch.objects.filter(pk=batch.pk).update(token_name=token.name)

    # entry → fact: every entry whose points are in one of these facts points at it.
    facts = {
        (fact.date, fact.unit_id, fact.staff_id, fact.metric_id): fact.pk
        for fact in Fact.objects.filter(
            date__in=days, unit_id__in=unit_ids, metric_id__in=metric_ids, staff_id__in={key[2] for key in keys}
        ).only("pk", "date", "unit_id", "staff_id", "metric_id")
    }
    people = {key[2] for key in keys}
    linked = []
    for entry in LedgerEntry.objects.filter(
        Q(staff_id__in=people) | Q(partner_id__in=people),
        day__in=days,
        unit_id__in=unit_ids,
        item__metric_id__in=metric_ids,
    ).select_related("item"):
        metric_id = entry.item.metric_id
        counted = entry.status == EntryStatus.APPROVED
        own_key = (entry.day, entry.unit_id, entry.staff_id, metric_id)
        partner_key = (entry.day, entry.unit_id, entry.partner_id, metric_id) if entry.partner_id else None
        if own_key not in keys and partner_key not in keys:
            continue
        entry.fact_id = facts.get(own_key) if counted else None
        entry.partner_fact_id = facts.get(partner_key) if counted and partner_key else None
        entry.batch_id = batch.pk if counted else entry.batch_id
        linked.append(entry)
    update_fields(linked, ["fact", "partner_fact", "batch"])
    return batch
