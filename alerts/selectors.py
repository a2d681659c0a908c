"""Reads of early warning and follow-through, always through a Scope (DOMAIN.md §7).

Every function filters by the scope's subtree in the same query that reads the rows (a `path LIKE
'/HQ/GZ/GZ01/%'` on the unit), so a list costs the same number of queries for two alerts as for two
thousand, and something outside the scope is never read, let alone shown: the *_get_or_404 helpers answer
404 whether a row is missing or merely out of sight.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts.models import (
    ACTIVE_STATUSES,
    Alert,
    AlertEvent,
    AlertStatus,
    ImprovementPlan,
    Measure,
    ReviewStatus,
    WeeklyReview,
)
from branches.models import OrgUnit
from lib.ids import is_id
from staff.access import Scope, answers_reviews, fills_reviews, users_who_may_follow_up, waiting_work
from staff.models import User

# Statuses in which the action plan's deadline still binds someone (follow_up.is_overdue says the same for
# one alert): `done` waits for the level above, so its deadline has been met or missed already.
DEADLINE_STATUSES = (AlertStatus.OPEN, AlertStatus.IN_PROGRESS, AlertStatus.REOPENED)
CLOSED_STATUSES = (AlertStatus.VERIFIED, AlertStatus.CLEARED)
# The status filter of lists: a status, or one of these groups.
STATUS_GROUPS = {"active": ACTIVE_STATUSES, "closed": CLOSED_STATUSES}


def _in_scope(queryset: QuerySet, scope: Scope, *, unit_field: str = "unit") -> QuerySet:
    if scope.everything:
        return queryset
    if scope.unit_path:
        return queryset.filter(**{f"{unit_field}__path__startswith": scope.unit_path})
    return queryset.none()


def overdue_condition(today: datetime.date) -> Q:
    return Q(deadline__lt=today, status__in=DEADLINE_STATUSES)


# -- alerts --------------------------------------------------------------------------------------------


def alerts_visible(
    *,
    scope: Scope,
    status: str | None = None,
    unit: OrgUnit | None = None,
    under: OrgUnit | None = None,
    rule_kind: str | None = None,
    overdue: bool | None = None,
    owner: User | None = None,
    today: datetime.date | None = None,
) -> QuerySet[Alert]:
    """The alerts this scope may read, with their rule, unit, metric and owner, annotated `overdue`
    (the deadline has passed and the work is not done) and ordered overdue first, then the others still
    to act on, then the closed ones; each by deadline (none last), then newest first.

    status: a status value, `active` (open, in progress, done, reopened) or `closed` (verified,
    cleared); unit: that unit's alerts only; under: the alerts of that unit's subtree (the unit
    included); overdue: True only the overdue ones, False only the others.
    """
    today = today or timezone.localdate()
    alerts = _in_scope(Alert.objects.all(), scope).select_related("rule", "unit", "metric", "owner")
    if status:
        alerts = alerts.filter(status__in=STATUS_GROUPS.get(status, (status,)))
    if unit is not None:
        alerts = alerts.filter(unit=unit)
    if under is not None:
        alerts = alerts.filter(unit__path__startswith=under.path)
    if rule_kind:
        alerts = alerts.filter(rule__kind=rule_kind)
    if owner is not None:
        alerts = alerts.filter(owner=owner)
    late = overdue_condition(today)
    if overdue is True:
        alerts = alerts.filter(late)
    elif overdue is False:
        alerts = alerts.exclude(late)
    return alerts.annotate(
        overdue=Case(When(late, then=Value(True)), default=Value(False), output_field=BooleanField()),
        # Overdue, then the rest still to act on, then the closed ones (when a list asks for them too).
        urgency=Case(
            When(late, then=Value(0)),
            When(status__in=ACTIVE_STATUSES, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
    ).order_by("urgency", F("deadline").asc(nulls_last=True), "-opened_on", "-pk")


def alert_get_or_404(*, scope: Scope, alert_id: int, today: datetime.date | None = None) -> Alert:
    """The alert if this scope may read it (annotated `overdue` as in the list); 404 otherwise."""
    if not is_id(alert_id):
        raise Http404("No such alert.")
    alert = alerts_visible(scope=scope, today=today).filter(pk=alert_id).first()
    if alert is None:
        raise Http404("No such alert.")
    return alert


def alert_history(*, alert: Alert) -> QuerySet[AlertEvent]:
    """Every change and comment of the alert, oldest first, with who made it (none: the system)."""
    return alert.events.select_related("by").order_by("at", "pk")


def alert_owner_candidates(*, alert: Alert) -> QuerySet[User]:
    """Who may own an alert: the people who may follow it up (staff.access.users_who_may_follow_up), that
    is HQ administrators and the unit managers and outlet heads of the unit or a unit above it."""
    return users_who_may_follow_up(alert.unit).select_related("unit").order_by("unit__path", "role", "username")


# -- the Monday review ---------------------------------------------------------------------------------


def reviews_visible(
    *,
    scope: Scope,
    week: datetime.date | None = None,
    status: str | None = None,
    unit: OrgUnit | None = None,
    under: OrgUnit | None = None,
) -> QuerySet[WeeklyReview]:
    """The weekly reviews of the outlets in scope, with who submitted and answered them; ordered by
    week (latest first) and the outlet's place in the tree."""
    reviews = _in_scope(WeeklyReview.objects.all(), scope).select_related("unit", "submitted_by", "answered_by")
    if week is not None:
        reviews = reviews.filter(week_start=week)
    if status:
        reviews = reviews.filter(status=status)
    if unit is not None:
        reviews = reviews.filter(unit=unit)
    if under is not None:
        reviews = reviews.filter(unit__path__startswith=under.path)
    return reviews.order_by("-week_start", "unit__path", "pk")


def review_weeks(*, scope: Scope, limit: int = 12) -> list[datetime.date]:
    """The latest weeks that have reviews in scope, latest first (for the page's week picker)."""
    weeks = _in_scope(WeeklyReview.objects.all(), scope).order_by("-week_start").values_list("week_start", flat=True)
    return list(weeks.distinct()[:limit])


def review_get_or_404(*, scope: Scope, review_id: int) -> WeeklyReview:
    if not is_id(review_id):
        raise Http404("No such review.")
    review = reviews_visible(scope=scope).filter(pk=review_id).first()
    if review is None:
        raise Http404("No such review.")
    return review


# -- improvement plans (一点一策) -----------------------------------------------------------------------


def _measures() -> Prefetch:
    return Prefetch("measures", queryset=Measure.objects.select_related("owner").order_by("due", "pk"))


def plans_visible(
    *,
    scope: Scope,
    period: str | None = None,
    unit: OrgUnit | None = None,
    under: OrgUnit | None = None,
) -> QuerySet[ImprovementPlan]:
    """The improvement plans of the outlets in scope with their measures (one more query for all of
    them), latest period first."""
    plans = _in_scope(ImprovementPlan.objects.all(), scope).select_related("unit", "created_by")
    if period:
        plans = plans.filter(period=period)
    if unit is not None:
        plans = plans.filter(unit=unit)
    if under is not None:
        plans = plans.filter(unit__path__startswith=under.path)
    return plans.prefetch_related(_measures()).order_by("-period", "unit__path", "pk")


def plan_get_or_404(*, scope: Scope, plan_id: int) -> ImprovementPlan:
    if not is_id(plan_id):
        raise Http404("No such plan.")
    plan = plans_visible(scope=scope).filter(pk=plan_id).first()
    if plan is None:
        raise Http404("No such plan.")
    return plan


def plan_progress(plan: ImprovementPlan) -> int:
    """A plan's progress: the average of its measures' (0 without measures), from the prefetched rows."""
    measures = list(plan.measures.all())
    if not measures:
        return 0
    return round(sum(measure.progress for measure in measures) / len(measures))


# -- the header badge -----------------------------------------------------------------------------------


class _Count(Subquery):
    """COUNT(*) of a queryset as a scalar subquery (0 when it is empty, unlike a grouped subquery)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _rows)"
    output_field = IntegerField()


def waiting_reviews(user: User) -> QuerySet[WeeklyReview] | None:
    """The reviews waiting for this user: to fill in for an outlet head (their outlet's), to answer for a
    unit manager (submitted by the outlets of their subtree); None for anyone else."""
    if fills_reviews(user):
        status = ReviewStatus.TO_FILL
    elif answers_reviews(user):
        status = ReviewStatus.SUBMITTED
    else:
        return None
    return WeeklyReview.objects.filter(status=status, unit__path__startswith=user.unit.path)


@dataclass(frozen=True)
class Waiting:
    """One kind of work waiting for a login: what it is, how many, the page that lists them."""

    label: Any
    count: int
    url: str


def badge_count(user: User) -> int:
    """What waits for the user, for the header badge: the sum of waiting_for()."""
    return sum(waiting.count for waiting in waiting_for(user))


def waiting_for(user: User) -> list[Waiting]:
    """What waits for the user, kind by kind: the active alerts they own, the reviews waiting for them
    (waiting_reviews), the work other apps register for them (staff.access.waiting_work: a meeting's
    overdue action items they own, patrols to look at). One query (the user's unit is read with the user
    on a page); the kinds with nothing waiting are left out."""
    if not user.is_authenticated or not user.pk:
        return []
    pages = {
        "owned": (_("alerts you own"), reverse("alerts:alert_list") + "?mine=on"),
        "reviews": (_("weekly reviews"), reverse("alerts:review_list")),
    }
    # Each count without its model's default ordering: a COUNT needs no ORDER BY, and compiling one (with
    # the reviews' join for unit__path) was a third of the badge's time, the database's sorts aside.
    counts = {
        "owned": _Count(Alert.objects.filter(owner_id=user.pk, status__in=ACTIVE_STATUSES).order_by().values("pk"))
    }
    reviews = waiting_reviews(user)
    if reviews is not None:
        counts["reviews"] = _Count(reviews.order_by().values("pk"))
    for position, work in enumerate(waiting_work().values()):
        counts[f"other_{position}"] = _Count(work.rows_for(user).order_by().values("pk"))
        pages[f"other_{position}"] = (work.label, reverse(work.url_name))
    row = User.objects.filter(pk=user.pk).annotate(**counts).order_by().values_list(*counts)[:1]
    if not row:
        return []
    return [
        Waiting(label=pages[name][0], count=count, url=pages[name][1])
        for name, count in zip(counts, row[0], strict=True)
        if count
    ]
