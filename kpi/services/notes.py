"""Notes on the figures (标注): a manager says why a line moved (节假日, 系统故障, 大额到期) on the days it moved.

Written from the notes page of a unit, the API (POST /api/v1/annotations/) and the admin, all through
`annotation_create`, which checks what `annotation_problems` lists and who may write (staff.access:
`Scope.may_annotate`); deleted through `annotation_delete`. A note changes no figure, so nothing is
rolled up again: the charts and the bulletin read the notes as they are drawn.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.models import Annotation, AnnotationKind, Metric
from lib.periods import FIRST_DAY, LAST_DAY
from staff.access import Scope

# The longest note: a quarter. A holiday is a week, an outage a morning, a maturity a day; a note over a
# year says nothing about any one day and would cover every chart.
MAX_DAYS = 92
TEXT_LENGTH = Annotation._meta.get_field("text").max_length


def annotation_problems(
    *,
    unit: OrgUnit | None,
    metric: Metric | None,
    kind: str,
    start: datetime.date | None,
    end: datetime.date | None,
    text: str,
) -> dict[str, list[str]]:
    """What is wrong with a note, by field (empty when nothing is)."""
    problems: dict[str, list[str]] = {}

    def add(field_name: str, message: str) -> None:
        problems.setdefault(field_name, []).append(message)

    if unit is None:
        add("unit", _("Choose the unit the note is about."))
    if kind not in AnnotationKind.values:
        add("kind", _("Choose what kind of note it is: holiday, system outage, large maturity or other."))
    if start is None:
        add("start", _("Give the first day the note is about."))
    if start is not None and end is not None:
        if not (FIRST_DAY <= start <= LAST_DAY and FIRST_DAY <= end <= LAST_DAY):
            add(
                "start", _("The days must lie between %(first)s and %(last)s.") % {"first": FIRST_DAY, "last": LAST_DAY}
            )
        elif end < start:
            add("end", _("The note ends before it starts."))
        elif (end - start).days + 1 > MAX_DAYS:
            add("end", _("A note covers at most %(days)s days.") % {"days": MAX_DAYS})
    if metric is not None and not metric.is_active:
        add("metric", _("The metric “%(code)s” is no longer in use.") % {"code": metric.code})
    text = (text or "").strip()
    if not text:
        add("text", _("Write what happened, in a few words."))
    elif len(text) > TEXT_LENGTH:
        add("text", _("Keep the note to %(length)s characters.") % {"length": TEXT_LENGTH})
    return problems


def annotation_create(
    *,
    scope: Scope,
    unit: OrgUnit,
    kind: str,
    start: datetime.date,
    end: datetime.date | None = None,
    text: str,
    metric: Metric | None = None,
    created_by=None,
) -> Annotation:
    """A note on `unit` from `start` to `end` (the one day `start` without an end). Raises
    PermissionDenied when the scope may not annotate the unit, ValidationError with the problems by
    field otherwise."""
    if unit is not None and not scope.may_annotate(unit):
        raise PermissionDenied("You may not write notes on this unit.")
    end = end or start
    problems = annotation_problems(unit=unit, metric=metric, kind=kind, start=start, end=end, text=text)
    if problems:
        raise ValidationError(problems)
    return Annotation.objects.create(
        unit=unit,
        metric=metric,
        kind=kind,
        start=start,
        end=end,
        text=text.strip(),
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )


def annotation_delete(*, scope: Scope, annotation: Annotation) -> None:
    """Deletes a note; PermissionDenied when the scope may not annotate its unit (an outlet head reads
    HQ's holiday but does not delete it)."""
    if not scope.may_annotate(annotation.unit):
        raise PermissionDenied("You may not delete notes on this unit.")
    annotation.delete()
