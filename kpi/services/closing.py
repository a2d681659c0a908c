"""Month close (DOMAIN.md §1, month end): HQ freezes a month's scorecards as the basis of performance pay.

1. Closing needs the month to have ended and its last day to be rolled up and not stale, because the
   month-period scorecards of that day are what pay is computed from.
2. While a month is closed the rollup leaves its days alone (kpi.services.rollup: a rollup of one of its
   days records a skipped run; pending_days passes them over). A late fact still marks its days stale.
3. Reopening makes them ordinary days again: the next rollup_pending (queued on reopening) recomputes
   the month's stale days and, as for any late fact, every later day in date order.

Later months are not frozen with it: a late fact for a closed October marks November stale too, and
November is recomputed at once, with the fact (its quarter- and year-to-date figures and the balances
it carries over are real). October's published figures, and so its pay basis, stay as they were
closed until HQ reopens October.

Only HQ administrators (superusers, or the hq_admin role) close, reopen and export; `by=None` is the
command line, whose user already holds the server.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpi.models import MonthClose, MonthCloseEvent, RollupDay, Scorecard, ScorecardLine, TemplateLine
from kpi.services.rollup import LOCK_NAME
from kpi.tasks import rollup_pending
from lib.locks import LockTimeout, named_lock
from lib.periods import Period, PeriodKind, period_of
from staff.access import scope_for_user
from staff.models import Assignment, User

# How long a close waits for a running rollup before it says so (a close is a click in the admin).
CLOSE_LOCK_TIMEOUT = 15.0

PAY_HEADER = (
    "unit_code",
    "unit_name",
    "staff_code",
    "staff_name",
    "template",
    "metric_code",
    "metric_name",
    "actual",
    "target",
    "attainment",
    "pace",
    "line_score",
    "total_score",
    "vetoed",
    "veto_reason",
    "rank",
    "rank_of",
)


class MonthCloseError(Exception):
    """A close or reopen that cannot be done; the message says why and what to do."""


def can_close_months(user: User | None) -> bool:
    """HQ administrators (staff.access: auditors see but do not close)."""
    return user is not None and scope_for_user(user).may_close_months


def month_of(day: datetime.date) -> Period:
    return period_of(PeriodKind.MONTH, day)


def month_close_problem(*, month: datetime.date, today: datetime.date | None = None) -> str | None:
    """Why the month of `month` cannot be closed now, or None (the admin form asks before closing)."""
    period = month_of(month)
    if MonthClose.objects.closed(period.start).exists():
        return _("%(month)s is already closed.") % {"month": period.code}
    return _ended_problem(period, today or timezone.localdate()) or _rolled_up_problem(period)


def month_close(*, month: datetime.date, by: User | None, today: datetime.date | None = None) -> MonthClose:
    """Close the month of `month` (any day of it). Closing a closed month changes nothing."""
    _check_permission(by)
    period = month_of(month)
    problem = _ended_problem(period, today or timezone.localdate())
    if problem:
        raise MonthCloseError(problem)
    try:
        # The rollup's lock: a day of the month cannot be republished between the check and the close.
        with named_lock(LOCK_NAME, timeout=CLOSE_LOCK_TIMEOUT), transaction.atomic():
            row = MonthClose.objects.select_for_update().filter(month=period.start).first()
            if row is not None and row.is_closed:
                return row
            problem = _rolled_up_problem(period)
            if problem:
                raise MonthCloseError(problem)
            row = row or MonthClose(month=period.start)
            row.is_closed, row.changed_by = True, by
            row.save()
            MonthCloseEvent.objects.create(month=period.start, action="close", by=by)
    except LockTimeout:
        raise MonthCloseError(_("A rollup is running; close %(month)s when it has finished.") % {"month": period.code})
    return row


def month_reopen(*, month: datetime.date, by: User | None) -> MonthClose:
    """Reopen a closed month and queue the rollup of whatever went stale while it was closed."""
    _check_permission(by)
    period = month_of(month)
    # No rollup lock here: a rollup that starts before this commits skips the day, which stays stale
    # and is picked up by the rollup queued below. (The queued rollup takes the lock itself, and runs
    # in-process without a broker: holding the lock here would wait for it.)
    with transaction.atomic():
        row = MonthClose.objects.select_for_update().filter(month=period.start).first()
        if row is None or not row.is_closed:
            raise MonthCloseError(_("%(month)s is not closed.") % {"month": period.code})
        row.is_closed, row.changed_by = False, by
        row.save()
        MonthCloseEvent.objects.create(month=period.start, action="reopen", by=by)
        transaction.on_commit(_queue_rollup, robust=True)
    return row


def _queue_rollup() -> None:
    rollup_pending.delay()


def _check_permission(by: User | None) -> None:
    if by is not None and not can_close_months(by):
        raise PermissionDenied(_("Only HQ administrators close and reopen months."))


def _ended_problem(period: Period, today: datetime.date) -> str | None:
    if period.end < today:
        return None
    return _("%(month)s has not ended yet: it can be closed from %(day)s on.") % {
        "month": period.code,
        "day": period.end + datetime.timedelta(days=1),
    }


def _rolled_up_problem(period: Period) -> str | None:
    last = RollupDay.objects.published(on=period.end).first()
    if last is None:
        return _("The last day of %(month)s (%(day)s) has not been rolled up: roll it up first.") % {
            "month": period.code,
            "day": period.end,
        }
    if last.stale_since is not None:
        return _(
            "The figures of %(day)s are out of date (facts or targets changed since %(since)s): "
            "roll up the pending days first."
        ) % {"day": period.end, "since": timezone.localtime(last.stale_since).strftime("%Y-%m-%d %H:%M")}
    return None


# -- the pay basis ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayBasis:
    month: Period
    header: tuple[str, ...]
    rows: list[tuple]

    @property
    def filename(self) -> str:
        return f"pay-basis-{self.month.code}"


def pay_basis(*, month: datetime.date, by: User | None) -> PayBasis:
    """The closed month's scores as the basis of performance pay: one row per scored entity (outlet or
    staff member) and line of its template, from the published month-period scorecards of the month's
    last day. A template line the entity has no figures for is a row with empty figures, so every
    entity of a template has the same rows. Outlets first, then staff, each by unit and code.

    Staff scorecards belong to no unit: a staff member's unit is the outlet of the assignment held on
    that day under a post of their template (the one that chose it), else their first assignment.
    """
    if by is not None and not can_close_months(by):
        raise PermissionDenied(_("Only HQ administrators export the pay basis."))
    period = month_of(month)
    if not MonthClose.objects.closed(period.start).exists():
        raise MonthCloseError(
            _("%(month)s is not closed: only a closed month is the basis of pay.") % {"month": period.code}
        )

    cards = list(
        Scorecard.objects.published()
        .filter(date=period.end, period=PeriodKind.MONTH.value, template__isnull=False)
        .select_related("unit", "staff", "template")
    )
    template_lines: dict[int, list[TemplateLine]] = {}
    for line in TemplateLine.objects.filter(template_id__in={card.template_id for card in cards}).select_related(
        "metric"
    ):
        template_lines.setdefault(line.template_id, []).append(line)
    figures = {
        (line.scorecard_id, line.metric_id): line
        for line in ScorecardLine.objects.filter(scorecard__in=[card.pk for card in cards])
    }
    staff_units = _staff_units(period.end, [card for card in cards if card.staff_id])

    def sort_key(card: Scorecard) -> tuple:
        unit = card.unit if card.unit_id else staff_units.get(card.staff_id)
        return (bool(card.staff_id), unit.code if unit else "", card.staff.code if card.staff_id else "")

    rows = []
    for card in sorted(cards, key=sort_key):
        unit = card.unit if card.unit_id else staff_units.get(card.staff_id)
        for template_line in template_lines.get(card.template_id, []):
            line = figures.get((card.pk, template_line.metric_id))
            rows.append(
                (
                    unit.code if unit else "",
                    unit.name if unit else "",
                    card.staff.code if card.staff_id else "",
                    card.staff.name if card.staff_id else "",
                    card.template.code,
                    template_line.metric.code,
                    template_line.metric.name,
                    _number(line.actual if line else None),
                    _number(line.target if line else None),
                    _number(line.attainment if line else None),
                    _number(line.pace_attainment if line else None),
                    _number(line.score if line else None),
                    _number(card.total_score),
                    1 if card.vetoed else 0,
                    card.veto_reason,
                    card.rank,
                    card.rank_of,
                )
            )
    return PayBasis(month=period, header=PAY_HEADER, rows=rows)


def _staff_units(day: datetime.date, cards: list[Scorecard]) -> dict:
    if not cards:
        return {}
    template_posts: dict[int, set[int]] = {}
    for card in cards:
        if card.template_id not in template_posts:
            template_posts[card.template_id] = set(card.template.posts.values_list("pk", flat=True))
    template_of = {card.staff_id: card.template_id for card in cards}
    chosen: dict[int, tuple[bool, object]] = {}
    assignments = (
        Assignment.objects.on(day)
        .filter(staff_id__in=template_of)
        .select_related("unit")
        .order_by("staff_id", "post__sort_order", "pk")
    )
    for assignment in assignments:
        under_template = assignment.post_id in template_posts[template_of[assignment.staff_id]]
        best = chosen.get(assignment.staff_id)
        if best is None or (under_template and not best[0]):
            chosen[assignment.staff_id] = (under_template, assignment.unit)
    return {staff_id: unit for staff_id, (_under, unit) in chosen.items()}


def _number(value: Decimal | None) -> Decimal | None:
    """Figures as stored, without the trailing zeros of their decimal places (12.5, not 12.5000)."""
    if value is None:
        return None
    normalized = value.normalize()
    # normalize() writes 100 as 1E+2; quantizing to units brings whole numbers back to plain digits.
    return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral() else normalized
