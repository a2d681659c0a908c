"""The Monday review (周例会): every outlet that missed last week's weekly target fills in what happened,
why, the remedy and the support it needs; the unit manager above (or HQ) answers.

"Missed" is judged on the published week scorecard of the week's Sunday: a metric with a weekly target
whose attainment at the end of the week is under 1 (for lower-is-better metrics attainment is target /
actual, DOMAIN.md §4), or that has no actual at all. A target of 0 with anything reported is met.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import ReviewStatus, WeeklyReview
from branches.models import UnitKind, UnitStatus
from kpi.models import RollupDay, ScorecardLine, Target
from lib.periods import PeriodKind, period_of
from staff.access import scope_for_user
from staff.models import User

REVIEW_FIELDS = ("what_happened", "why", "remedy", "support_needed", "support_from")
REQUIRED_FIELDS = ("what_happened", "why", "remedy")


@dataclass
class ReviewsCreated:
    week_start: datetime.date
    published: bool = False
    outlets_missed: int = 0
    created: int = 0
    updated: int = 0

    def as_dict(self) -> dict:
        return {
            "week_start": self.week_start.isoformat(),
            "published": self.published,
            "outlets_missed": self.outlets_missed,
            "created": self.created,
            "updated": self.updated,
        }


def weekly_reviews_create(*, week_start: datetime.date) -> ReviewsCreated:
    """One WeeklyReview per outlet that missed a weekly target of the week starting `week_start` (a
    Monday), with the metrics it missed. Nothing while the week's Sunday is not published yet.

    Safe to run twice (one review per outlet and week): a review still to be filled in takes the
    latest figures (a late fact recomputed the week); one already submitted keeps what it was about.
    Three queries to read, two to write, whatever the size of the network.
    """
    week = period_of(PeriodKind.WEEK, week_start)
    if week.start != week_start:
        raise ValueError(f"{week_start} is not a Monday (the week {week.code} starts on {week.start})")
    result = ReviewsCreated(week_start=week_start)
    run_id = RollupDay.objects.published(on=week.end).values_list("published_run", flat=True).first()
    if run_id is None:
        return result
    result.published = True

    targets = Target.objects.filter(
        period_kind=PeriodKind.WEEK,
        period_start=week.start,
        staff=None,
        unit__kind=UnitKind.OUTLET,
        unit__status=UnitStatus.ACTIVE,
        metric__is_active=True,
    ).values_list("unit_id", "metric_id", "metric__code", "metric__sort_order", "value")
    lines = ScorecardLine.objects.filter(
        scorecard__run_id=run_id,
        scorecard__date=week.end,
        scorecard__period=PeriodKind.WEEK,
        scorecard__staff=None,
        scorecard__unit__kind=UnitKind.OUTLET,
        target__isnull=False,
    ).values_list("scorecard__unit_id", "metric_id", "actual", "target", "attainment")
    figures = {(unit_id, metric_id): (actual, target, att) for unit_id, metric_id, actual, target, att in lines}

    missed: dict[int, list[tuple[int, str, dict]]] = {}
    for unit_id, metric_id, code, sort_order, target_value in targets:
        actual, target, attainment = figures.get((unit_id, metric_id), (None, target_value, None))
        if not _missed(actual, attainment):
            continue
        missed.setdefault(unit_id, []).append(
            (
                sort_order,
                code,
                {
                    "metric": code,
                    "target": _number(target),
                    "actual": _number(actual),
                    "attainment": _number(attainment, places=6),
                },
            )
        )
    items = {unit_id: [entry for _order, _code, entry in sorted(rows)] for unit_id, rows in missed.items()}
    result.outlets_missed = len(items)

    existing = {review.unit_id: review for review in WeeklyReview.objects.filter(week_start=week_start)}
    stale = []
    for unit_id, entries in items.items():
        review = existing.get(unit_id)
        if review is not None and review.status == ReviewStatus.TO_FILL and review.missed != entries:
            review.missed = entries
            stale.append(review)
    WeeklyReview.objects.bulk_update(stale, ["missed"])
    result.updated = len(stale)
    new = [
        WeeklyReview(unit_id=unit_id, week_start=week_start, missed=entries)
        for unit_id, entries in items.items()
        if unit_id not in existing
    ]
    # ignore_conflicts: a second run at the same moment has made the same review; one is enough.
    WeeklyReview.objects.bulk_create(new, ignore_conflicts=True)
    result.created = len(new)
    return result


def _missed(actual, attainment) -> bool:
    if attainment is None:
        return actual is None
    return attainment < 1


def _number(value, places: int = 4) -> float | None:
    return None if value is None else round(float(value), places)


# -- filling in and answering --------------------------------------------------------------------


def can_fill_review(user: User, review: WeeklyReview) -> bool:
    """The outlet head of the outlet, or anyone who manages it (a unit manager above, HQ)."""
    return scope_for_user(user).may_follow_up(review.unit)


def can_answer_review(user: User, review: WeeklyReview) -> bool:
    """The support request is answered from above: a unit manager whose subtree holds the outlet, or HQ."""
    return scope_for_user(user).may_review_from_above(review.unit)


def review_submit(*, review: WeeklyReview, by: User, **fields: str) -> WeeklyReview:
    """Fill in (or correct, until it is answered) what happened, why, the remedy and the support needed."""
    if not can_fill_review(by, review):
        raise PermissionDenied(_("You may not fill in this review."))
    unknown = set(fields) - set(REVIEW_FIELDS)
    if unknown:
        raise ValueError(f"review_submit: unknown field(s) {sorted(unknown)}")
    if review.status == ReviewStatus.ANSWERED:
        raise ValidationError(_("This review has been answered; it can no longer change."))
    for name, value in fields.items():
        setattr(review, name, (value or "").strip())
    problems = {
        name: _("Needed before the review is submitted.") for name in REQUIRED_FIELDS if not getattr(review, name)
    }
    if review.support_needed and not review.support_from:
        problems["support_from"] = _("Say from whom the support is needed.")
    if problems:
        raise ValidationError(problems)
    review.status = ReviewStatus.SUBMITTED
    review.submitted_by = by
    review.submitted_at = timezone.now()
    review.save()
    return review


def review_answer(*, review: WeeklyReview, by: User, answer: str) -> WeeklyReview:
    """The manager's answer to a submitted review (and its support request); it may be corrected."""
    if not can_answer_review(by, review):
        raise PermissionDenied(_("The review is answered by the unit manager above the outlet or HQ."))
    if review.status == ReviewStatus.TO_FILL:
        raise ValidationError(_("The outlet has not submitted this review yet."))
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Write the answer.")})
    review.answer = answer
    review.status = ReviewStatus.ANSWERED
    review.answered_by = by
    review.answered_at = timezone.now()
    review.save()
    return review
