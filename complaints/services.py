"""The complaints register's writes: recording, replying, reviewing; its facts; its overdue alerts.

One source per outlet and day (the rule of the `complaints` metric, kpi.services.facts.fact_keeper_register):
where the register has any complaint of an outlet and day (received that day, whatever its review), the
register's count of valid complaints is that day's fact (0 while none is valid), written through
facts_ingest with source `complaints`; a pushed count (CSV, API) for that outlet and day is not written.
Where the register has none, the pushed count stands and the register writes nothing. So a complaint
recorded here and counted by the 95xxx system's push is counted once. A complaint is never deleted (the
admin offers no delete), so a day the register held stays held.

complaints_feed_facts is the task's service: it writes the counts of every held (outlet, day) of the
months not closed, up to today. facts_ingest leaves a fact that already has its value unchanged, so the
task run twice writes nothing the second time. It runs nightly and after each review (on commit).

complaints_check_overdue reports to alerts the outlets with a complaint whose reply is overdue (no reply,
deadline passed): alerts.services.evaluation.alerts_report with the kind `overdue_reply`, one alert per
outlet, kept while a reply is overdue, cleared when none is.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import RuleKind
from alerts.services.evaluation import Evaluation, Sighting, alerts_report
from branches.models import OrgUnit, UnitKind
from complaints.models import REPLY_DAYS, Category, Channel, Complaint, Validity
from kpi.models import IngestBatch, MonthClose
from kpi.services.facts import facts_ingest
from lib.csvimport import CsvRow, ImportRejected
from staff.access import Scope
from staff.models import Assignment, StaffMember, User

COMPLAINTS_METRIC = "complaints"
MAX_SUMMARY = 2000
MAX_REPLY = 2000


def days_held(pairs: set[tuple[datetime.date, int]]) -> set[tuple[datetime.date, int]]:
    """Of these (day, outlet id) pairs, those the register holds (it has a complaint of the outlet
    received that day). One query."""
    if not pairs:
        return set()
    days = {day for day, _unit in pairs}
    units = {unit for _day, unit in pairs}
    found = set(
        Complaint.objects.filter(received_on__in=days, unit_id__in=units)
        .values_list("received_on", "unit_id")
        .distinct()
    )
    return found & pairs


# -- recording, replying, reviewing ------------------------------------------------------------------


@transaction.atomic
def complaint_create(
    *,
    scope: Scope,
    user: User,
    unit: OrgUnit,
    channel: str,
    category: str,
    received_on: datetime.date,
    summary: str,
    complainant_name: str = "",
    complainant_phone: str = "",
    staff: StaffMember | None = None,
    reply_due: datetime.date | None = None,
    today: datetime.date | None = None,
) -> Complaint:
    """Record a complaint, all or nothing. The reply deadline defaults to the channel's (REPLY_DAYS)."""
    today = today or timezone.localdate()
    if not scope.may_record_complaints(unit):
        raise PermissionDenied(_("Only the outlet head, the unit manager above it and HQ record complaints."))
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if unit.kind != UnitKind.OUTLET:
        add("unit", _("Complaints are recorded against an outlet."))
    if channel not in Channel.values:
        add("channel", _("Choose a channel: %(choices)s.") % {"choices": ", ".join(Channel.values)})
    if category not in Category.values:
        add("category", _("Choose a category: %(choices)s.") % {"choices": ", ".join(Category.values)})
    if received_on > today:
        add("received_on", _("A complaint is received today or before."))
    summary = (summary or "").strip()
    if not summary:
        add("summary", _("Say what the complaint is about."))
    elif len(summary) > MAX_SUMMARY:
        add("summary", _("At most %(count)s characters.") % {"count": MAX_SUMMARY})
    complainant_name, complainant_phone = (complainant_name or "").strip(), (complainant_phone or "").strip()
    if len(complainant_name) > 50:
        add("complainant_name", _("At most %(count)s characters.") % {"count": 50})
    if complainant_phone and not (complainant_phone.replace("-", "").isdigit() and 5 <= len(complainant_phone) <= 20):
        add("complainant_phone", _("A phone number: digits (and hyphens), 5 to 20 characters."))
    if (
        staff is not None
        and unit.kind == UnitKind.OUTLET
        and not Assignment.objects.on(received_on).filter(staff=staff, unit=unit).exists()
    ):
        add("staff", _("%(code)s is not assigned to this outlet on that day.") % {"code": staff.code})
    if reply_due is None and channel in Channel.values:
        reply_due = received_on + datetime.timedelta(days=REPLY_DAYS[Channel(channel)])
    if reply_due is not None and reply_due < received_on:
        add("reply_due", _("The reply is due on or after the day the complaint was received."))
    if MonthClose.objects.closed(received_on).exists():
        add(
            "received_on",
            _("%(month)s is closed (月结): its complaints are counted.") % {"month": f"{received_on:%Y-%m}"},
        )
    if problems:
        raise ValidationError(problems)
    complaint = Complaint.objects.create(
        unit=unit,
        channel=channel,
        category=category,
        received_on=received_on,
        summary=summary,
        complainant_name=complainant_name,
        complainant_phone=complainant_phone,
        staff=staff,
        reply_due=reply_due,
        created_by=user if user.is_authenticated else None,
    )
    # The day is the register's now: its count (0 until a complaint is found valid) replaces a pushed one.
    transaction.on_commit(lambda: _queue_feed(received_on))
    return complaint


@transaction.atomic
def complaint_reply(
    *, scope: Scope, user: User, complaint: Complaint, reply: str, today: datetime.date | None = None
) -> Complaint:
    """Write (or correct) the reply to the complainant; the day it is written is the reply day."""
    today = today or timezone.localdate()
    if not scope.may_record_complaints(complaint.unit):
        raise PermissionDenied(_("Only the outlet head, the unit manager above it and HQ reply to complaints."))
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": [_("Write the reply given to the complainant.")]})
    if len(reply) > MAX_REPLY:
        raise ValidationError({"reply": [_("At most %(count)s characters.") % {"count": MAX_REPLY}]})
    complaint.reply = reply
    if complaint.replied_on is None:
        complaint.replied_on = today
    complaint.replied_by = user if user.is_authenticated else None
    complaint.save(update_fields=["reply", "replied_on", "replied_by"])
    return complaint


@transaction.atomic
def complaint_review(*, scope: Scope, user: User, complaint: Complaint, validity: str, note: str = "") -> Complaint:
    """Decide whether a complaint is valid (有效投诉). The unit manager above the outlet or HQ; the day's
    fact follows once committed. Refused in a closed month (its counts are frozen)."""
    if not scope.may_review_complaints(complaint.unit):
        raise PermissionDenied(_("Only the unit manager above the outlet or HQ decides whether a complaint is valid."))
    if validity not in (Validity.VALID, Validity.INVALID):
        raise ValidationError({"validity": [_("Valid or not valid.")]})
    if MonthClose.objects.closed(complaint.received_on).exists():
        raise ValidationError(
            {
                "validity": [
                    _("%(month)s is closed (月结): its complaints are counted.")
                    % {"month": f"{complaint.received_on:%Y-%m}"}
                ]
            }
        )
    complaint.validity = validity
    complaint.review_note = (note or "").strip()[:300]
    complaint.reviewed_by = user if user.is_authenticated else None
    complaint.reviewed_at = timezone.now()
    complaint.save(update_fields=["validity", "review_note", "reviewed_by", "reviewed_at"])
    day = complaint.received_on
    transaction.on_commit(lambda: _queue_feed(day))
    return complaint


def _queue_feed(day: datetime.date) -> None:
    from complaints.tasks import feed_facts

    feed_facts.delay(since=day.isoformat(), until=day.isoformat())


# -- the facts ---------------------------------------------------------------------------------------


def complaints_feed_facts(
    *, since: datetime.date | None = None, until: datetime.date | None = None, today: datetime.date | None = None
) -> IngestBatch | None:
    """Write the `complaints` fact of every (outlet, day) the register holds between `since` and `until`
    (default: every day up to today), skipping closed months: the number of valid complaints received
    that day. One batch through facts_ingest (source `complaints`); None when there is nothing to write.
    Safe to run twice: unchanged facts are left as they are."""
    today = today or timezone.localdate()
    until = min(until or today, today)
    complaints = Complaint.objects.filter(received_on__lte=until)
    if since is not None:
        complaints = complaints.filter(received_on__gte=since)
    closed = set(MonthClose.objects.closed().values_list("month", flat=True))
    counts = (
        complaints.values("received_on", "unit__code")
        .annotate(valid=Count("pk", filter=Q(validity=Validity.VALID)))
        .order_by("received_on", "unit__code")
    )
    rows = [
        CsvRow(
            line=index,
            values={
                "date": row["received_on"].isoformat(),
                "unit": row["unit__code"],
                "staff": "",
                "metric": COMPLAINTS_METRIC,
                "value": str(row["valid"]),
            },
        )
        for index, row in enumerate(row for row in counts if row["received_on"].replace(day=1) not in closed)
    ]
    if not rows:
        return None
    try:
        return facts_ingest(rows=rows, source=IngestBatch.Source.COMPLAINTS, label="投诉登记簿")
    except ImportRejected as rejected:
        raise ValidationError([problem.message for problem in rejected.problems]) from rejected


# -- overdue replies -----------------------------------------------------------------------------------


def overdue(today: datetime.date):
    """Complaints without a reply whose deadline has passed."""
    return Complaint.objects.filter(replied_on=None, reply_due__lt=today)


def complaints_check_overdue(*, today: datetime.date | None = None) -> Evaluation:
    """Report the outlets with overdue replies to alerts (kind `overdue_reply`), one sighting per outlet:
    how many, and the earliest deadline. Safe to run twice (alerts_report)."""
    today = today or timezone.localdate()
    sightings: dict[int, Sighting] = {}
    rows = overdue(today).values("unit_id").annotate(count=Count("pk"), first=Min("reply_due")).order_by("unit_id")
    for row in rows:
        sightings[row["unit_id"]] = Sighting(
            value=row["count"],
            detail=_("%(count)s complaint(s) not replied to; the earliest was due %(day)s.")
            % {"count": row["count"], "day": row["first"].isoformat()},
        )
    return alerts_report(kind=RuleKind.OVERDUE_REPLY, day=today, sightings=sightings)
