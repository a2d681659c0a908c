"""Scorecard templates (考核方案, DOMAIN.md §5): the rules HQ keeps them to, and new versions.

A template is versioned by (code, effective_from): the version in force on a day is the latest that
started on or before it. Published scores must stay reproducible, so:

1. A version that was in force on a published day is not edited any more (its lines, its outlets or
   posts, its dates, whether it is active): HQ creates a new version from a later date instead. Its
   names can still be corrected. Editing it in place would lose the rules the published scores (and
   a closed month's pay) were computed with, and a late fact that reruns one of those days would then
   quietly score it by rules nobody published for it.
2. A new version (or a change to a version nothing was published under) may start on a day already
   published: those days are marked stale, and the next rollup scores them under it, as it does
   after a changed target. It may not start on or before the end of a closed month: closed months are
   frozen (kpi.services.closing).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Min
from django.utils.translation import gettext as _

from kpi.models import Metric, MonthClose, RollupDay, ScorecardTemplate, TemplateLine
from kpi.services.rollup import days_mark_stale

WEIGHTS_TOTAL = Decimal(100)
CENT = Decimal("0.01")


class TemplateError(Exception):
    """A template change that is refused; the message says why and what to do instead."""


def weights_problem(weights: Iterable[Decimal | None]) -> str | None:
    """The weights of a template's weighted lines must add up to exactly 100."""
    total = sum((weight or Decimal(0) for weight in weights), Decimal(0))
    if total == WEIGHTS_TOTAL:
        return None
    numbers = {"total": total.quantize(CENT), "gap": abs(WEIGHTS_TOTAL - total).quantize(CENT)}
    if total < WEIGHTS_TOTAL:
        return _("Weights add up to %(total)s, not 100: add %(gap)s.") % numbers
    return _("Weights add up to %(total)s, not 100: take off %(gap)s.") % numbers


def metric_level_problem(subject: str, metric: Metric) -> str | None:
    """Outlet templates score unit metrics, staff templates staff metrics (a metric of both fits either)."""
    if subject == ScorecardTemplate.Subject.OUTLET and not metric.for_units:
        return _("%(metric)s is a staff metric; an outlet template takes metrics of units.") % {"metric": metric.code}
    if subject == ScorecardTemplate.Subject.STAFF and not metric.for_staff:
        return _("%(metric)s is a metric of units; a staff template takes staff metrics.") % {"metric": metric.code}
    return None


def next_version_start(template: ScorecardTemplate) -> datetime.date | None:
    """The day the next version of the same code takes over (None: in force from its date on)."""
    return (
        ScorecardTemplate.objects.filter(code=template.code, effective_from__gt=template.effective_from)
        .exclude(pk=template.pk)
        .aggregate(start=Min("effective_from"))["start"]
    )


def last_published_day_in_force(template: ScorecardTemplate) -> datetime.date | None:
    """The last published day on which this version (as stored) was the one in force, if any."""
    stored = ScorecardTemplate.objects.filter(pk=template.pk).first() if template.pk else None
    if stored is None:
        return None
    days = RollupDay.objects.published().filter(date__gte=stored.effective_from)
    until = next_version_start(stored)
    if until is not None:
        days = days.filter(date__lt=until)
    return days.order_by("-date").values_list("date", flat=True).first()


def version_lock_reason(template: ScorecardTemplate) -> str | None:
    """Why this version's scoring rules cannot change any more (see the module's rule 1), or None."""
    last = last_published_day_in_force(template)
    if last is None:
        return None
    return _(
        "This version was in force on published days (up to %(day)s): its scores must stay reproducible, so "
        "its lines, outlets, posts, dates and status no longer change. Create a new version from a later date "
        "instead (action “Copy as a new version”); the names can still be corrected."
    ) % {"day": last}


def version_start_problem(
    *, code: str, effective_from: datetime.date, exclude_pk: int | None = None
) -> tuple[str, str] | None:
    """(field, message) when a version of `code` may not start on `effective_from`."""
    clash = ScorecardTemplate.objects.filter(code=code, effective_from=effective_from)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        return "effective_from", _(
            "%(code)s already has a version from %(day)s: change that one, or give this version another effective date."
        ) % {"code": code, "day": effective_from}
    closed = (
        MonthClose.objects.closed()
        .filter(month__gte=effective_from.replace(day=1))
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if closed is not None:
        return "effective_from", _(
            "%(month)s is closed: a version cannot take effect in or before a closed month. Start it after "
            "%(month)s, or have the month reopened first."
        ) % {"month": f"{closed:%Y-%m}"}
    return None


def template_rescore(*, first_date: datetime.date) -> int:
    """A template version starting (or changed) on `first_date`: published days from then on are marked
    stale so the next rollup scores them by it. Returns the number of days marked."""
    return days_mark_stale(first_date=first_date)


def template_copy(*, template: ScorecardTemplate, effective_from: datetime.date) -> ScorecardTemplate:
    """A new version of `template` from `effective_from`: the same scope, posts and lines.

    Raises TemplateError when the date is not after the copied version's, is taken, or falls in a closed
    month. Published days from `effective_from` on are marked stale (rule 2)."""
    if effective_from <= template.effective_from:
        raise TemplateError(
            _("A new version of %(code)s starts after %(day)s, the date of the version it copies.")
            % {"code": template.code, "day": template.effective_from}
        )
    problem = version_start_problem(code=template.code, effective_from=effective_from)
    if problem is not None:
        raise TemplateError(problem[1])
    with transaction.atomic():
        outlets, posts = list(template.outlets.all()), list(template.posts.all())
        lines = list(template.lines.all())
        copy = ScorecardTemplate.objects.get(pk=template.pk)
        copy.pk = None
        copy._state.adding = True
        copy.effective_from = effective_from
        copy.save()
        copy.outlets.set(outlets)
        copy.posts.set(posts)
        for line in lines:
            line.pk = None
            line.template = copy
        TemplateLine.objects.bulk_create(lines)
        template_rescore(first_date=effective_from)
    return copy
