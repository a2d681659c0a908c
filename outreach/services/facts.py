"""The outreach rates as KPI facts (metrics declared in outreach/migrations/0002_outreach_metrics.py),
written through kpi's facts_ingest with the source `outreach`, so the rollup, scorecards, ranks and
template lines see them like any fact.

Per day, per staff member at an outlet, and per outlet (an outlet's fact is the sum of its staff's: every
list customer is assigned to someone before it counts):

| metric | the day's value |
|---|---|
| outreach_assigned | list customers assigned to the person that day (at their outlet then) |
| outreach_contacted | list customers first reached that day (any outcome but 未接通) |
| outreach_converted | list customers first signed up (已办理) that day |
| outreach_calls | calls made |
| outreach_calls_reached | calls whose outcome was 接通, 有意向 or 已办理 (outreach.models.SUCCESS_OUTCOMES) |
| outreach_visits | visits made |
| outreach_staff (last) | staff members holding customers of a list open that day (1 for a person) |

and the rates are ratios of them over any period (DOMAIN.md §3): coverage = reached / assigned,
contact success = reached calls / calls, conversion = signed up / contacted, visits per person = visits /
staff. A contact counts for whoever made it, at their outlet on the contact's day (Contact.outlet); an
assignment at the outlet of the person it went to on the day it was assigned.

Safe to run twice: a day's values are added up again from the lists and contacts and written whole (a
fact of these metrics on the day that no longer has anything behind it is written 0). Days of a closed
month (月结) are left alone.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict

from django.db.models import Count, F, Q

from branches.models import OrgUnit, UnitKind
from kpi.models import Fact, IngestBatch, Metric, MonthClose
from kpi.services.facts import facts_ingest
from lib.csvimport import CsvRow, ImportRejected
from outreach.models import REACHED_OUTCOMES, SUCCESS_OUTCOMES, Channel, Contact, ListAssignment, Outcome
from staff.models import Assignment, StaffMember

logger = logging.getLogger(__name__)

FLOWS = (
    "outreach_assigned",
    "outreach_contacted",
    "outreach_converted",
    "outreach_calls",
    "outreach_calls_reached",
    "outreach_visits",
)
STAFF_COUNT = "outreach_staff"
METRICS = (*FLOWS, STAFF_COUNT)

Key = tuple[datetime.date, int, int | None, str]  # day, outlet, staff (None: the outlet's own), metric


def outreach_values(days: list[datetime.date]) -> dict[Key, int]:
    """The values of the days, staff rows and outlet rows, in six queries whatever the number of days,
    outlets or people."""
    values: dict[Key, int] = defaultdict(int)

    def add(rows, metric: str) -> None:
        for day, outlet_id, staff_id, count in rows:
            values[(day, outlet_id, staff_id, metric)] += count
            values[(day, outlet_id, None, metric)] += count

    assigned = ListAssignment.objects.filter(assigned_on__in=days).exclude(staff=None)
    add(assigned.values_list("assigned_on", "outlet_id", "staff_id").annotate(n=Count("pk")), "outreach_assigned")
    contacts = Contact.objects.filter(day__in=days)
    # The contact that reached the customer first: a 未接通 of the same day (theirs or a colleague's) is not it.
    first = contacts.filter(day=F("assignment__first_contact_on"), outcome__in=REACHED_OUTCOMES)
    add(
        first.values_list("day", "outlet_id", "staff_id").annotate(n=Count("assignment", distinct=True)),
        "outreach_contacted",
    )
    converted = contacts.filter(outcome=Outcome.DONE, day=F("assignment__converted_on"))
    add(
        converted.values_list("day", "outlet_id", "staff_id").annotate(n=Count("assignment", distinct=True)),
        "outreach_converted",
    )
    by_channel = contacts.values_list("day", "outlet_id", "staff_id", "channel").annotate(
        n=Count("pk"), reached=Count("pk", filter=Q(outcome__in=SUCCESS_OUTCOMES))
    )
    for day, outlet_id, staff_id, channel, count, reached in by_channel:
        if channel == Channel.CALL:
            add([(day, outlet_id, staff_id, count)], "outreach_calls")
            add([(day, outlet_id, staff_id, reached)], "outreach_calls_reached")
        else:
            add([(day, outlet_id, staff_id, count)], "outreach_visits")
    # Staff holding customers of an open list, at the outlet they work at that day: two queries for the span.
    first_day, last_day = min(days), max(days)
    holders = (
        ListAssignment.objects.exclude(staff=None)
        .filter(outreach_list__starts_on__lte=last_day, outreach_list__due_on__gte=first_day)
        .values_list("outreach_list__starts_on", "outreach_list__due_on", "staff_id")
        .distinct()
    )
    spans: dict[int, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
    for starts_on, due_on, staff_id in holders:
        spans[staff_id].append((starts_on, due_on))
    posts = (
        Assignment.objects.filter(staff_id__in=spans, unit__kind=UnitKind.OUTLET, start__lte=last_day)
        .filter(Q(end__isnull=True) | Q(end__gte=first_day))
        .order_by("staff_id", "unit__code")
        .values_list("staff_id", "unit_id", "start", "end")
    )
    outlets_of: dict[int, list[tuple[int, datetime.date, datetime.date | None]]] = defaultdict(list)
    for staff_id, outlet_id, start, end in posts:
        outlets_of[staff_id].append((outlet_id, start, end))
    held: dict[tuple[datetime.date, int], set[int]] = defaultdict(set)
    for staff_id, open_spans in spans.items():
        for day in days:
            if not any(starts_on <= day <= due_on for starts_on, due_on in open_spans):
                continue
            outlet_id = next(
                (unit for unit, start, end in outlets_of[staff_id] if start <= day and (end is None or day <= end)),
                None,
            )
            if outlet_id is not None:
                held[(day, outlet_id)].add(staff_id)
    for (day, outlet_id), people in held.items():
        values[(day, outlet_id, None, STAFF_COUNT)] = len(people)
        for staff_id in people:
            values[(day, outlet_id, staff_id, STAFF_COUNT)] = 1
    return dict(values)


def outreach_facts_write(days: list[datetime.date]) -> IngestBatch | None:
    """Adds the days up again and writes them through facts_ingest (source `outreach`); the days of closed
    months are skipped. None when nothing is to be written."""
    closed = set(MonthClose.objects.closed().values_list("month", flat=True))
    days = sorted({day for day in days if day.replace(day=1) not in closed})
    if not days:
        return None
    values = outreach_values(days)
    # Facts already written for these days stay true: what has nothing behind it any more becomes 0.
    earlier = Fact.objects.filter(date__in=days, metric__code__in=METRICS).values_list(
        "date", "unit_id", "staff_id", "metric__code"
    )
    for key in earlier:
        values.setdefault(key, 0)
    if not values:
        return None
    units = dict(OrgUnit.objects.filter(pk__in={key[1] for key in values}).values_list("pk", "code"))
    people = dict(StaffMember.objects.filter(pk__in={key[2] for key in values if key[2]}).values_list("pk", "code"))
    known = set(Metric.objects.filter(code__in=METRICS).values_list("code", flat=True))
    rows = [
        CsvRow(
            line=index,
            values={
                "date": day.isoformat(),
                "unit": units[outlet_id],
                "staff": people.get(staff_id, "") if staff_id else "",
                "metric": metric,
                "value": str(value),
            },
        )
        for index, ((day, outlet_id, staff_id, metric), value) in enumerate(
            sorted(values.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or 0, item[0][3]))
        )
        if metric in known
    ]
    try:
        return facts_ingest(rows=rows, source=IngestBatch.Source.OUTREACH, label=f"名单经营：{days[0]}–{days[-1]}")
    except ImportRejected as rejected:
        # A person no longer assigned where they worked, an outlet closed since: logged, the rest of the
        # network's facts are not held back by one bad row on the next run either (it is the same rows).
        logger.error("outreach facts of %s–%s refused: %s", days[0], days[-1], rejected.problems[:5])
        raise
