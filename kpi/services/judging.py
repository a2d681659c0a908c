"""Judged PK contests (营销话术, 服务礼仪, 晨会 PK): a panel scores each outlet instead of the KPIs.

A judged contest (`Contest.judged`) has a form (`JudgingItem`: items with weights and full marks), a
panel (`ContestJudge`) and one sheet per judge and outlet (`JudgeSheet`). The pairs are the entrants.

Arithmetic:

1. A sheet's total, on a 100 scale: Σ weightᵢ × scoreᵢ / full marksᵢ × 100 / Σ weightᵢ. Scores of 80
   and 90 out of 100 on items weighted 60 and 40 make (60 × 0.8 + 40 × 0.9) × 100 / 100 = 84.
2. An outlet's judged score: the mean of its sheets' totals; from five sheets up, the highest and the
   lowest one are dropped first (去掉一个最高分和一个最低分). Four decimals, half up.
3. The standings (kpi.services.contests) lead by the higher judged score; the winner once the contest
   has closed.

The close: a judged contest closes after its last day (`period_end`). Until then a judge reads and
changes only their own sheets; nobody reads another judge's sheets nor an outlet's judged score (the
standings show how many sheets are in). After it, sheets are final and everyone who may read the
contest reads the scores.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.models import Contest, ContestJudge, ContestPair, JudgeSheet, JudgingItem
from staff.models import User

FOUR_PLACES = Decimal("0.0001")
# From this many sheets up, the highest and the lowest are dropped.
TRIM_FROM = 5


def judging_closed(contest: Contest, today: datetime.date) -> bool:
    """The panel's sheets are final (and readable by all who read the contest) after the last day."""
    return today > contest.period_end


def sheet_total(items: Iterable[JudgingItem], scores: Mapping[int, Decimal]) -> Decimal:
    """A sheet's weighted total on a 100 scale (module docstring, step 1)."""
    items = list(items)
    weights = sum((item.weight for item in items), Decimal(0))
    if not weights:
        return Decimal(0)
    weighted = sum((item.weight * scores[item.pk] / item.max_score for item in items), Decimal(0))
    return (weighted * 100 / weights).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def judged_score(totals: Iterable[Decimal]) -> Decimal | None:
    """The mean of the judges' totals; from five up without the highest and the lowest (step 2)."""
    totals = sorted(totals)
    if not totals:
        return None
    if len(totals) >= TRIM_FROM:
        totals = totals[1:-1]
    return (sum(totals, Decimal(0)) / len(totals)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def judged_scores(contest: Contest) -> dict[int, tuple[Decimal | None, int]]:
    """Each entrant outlet's judged score and number of sheets, in one query."""
    totals: dict[int, list[Decimal]] = {}
    for outlet_id, total in JudgeSheet.objects.filter(contest=contest).values_list("outlet_id", "total"):
        totals.setdefault(outlet_id, []).append(total)
    return {outlet_id: (judged_score(values), len(values)) for outlet_id, values in totals.items()}


def is_judge(contest: Contest, user: User) -> bool:
    return bool(user.is_authenticated) and ContestJudge.objects.filter(contest=contest, user=user).exists()


def entrants(contest: Contest) -> list[OrgUnit]:
    """The outlets of the contest's pairs, by code."""
    pairs = ContestPair.objects.filter(contest=contest).select_related("outlet_a", "outlet_b")
    outlets = {outlet.pk: outlet for pair in pairs for outlet in (pair.outlet_a, pair.outlet_b)}
    return sorted(outlets.values(), key=lambda outlet: outlet.code)


def sheets_visible(*, contest: Contest, user: User, today: datetime.date):
    """The sheets a reader of the contest may read: all of them after the close; before it, a judge's
    own and nobody else's."""
    sheets = JudgeSheet.objects.filter(contest=contest).select_related("outlet", "judge")
    if judging_closed(contest, today):
        return sheets
    if not user.is_authenticated:
        return sheets.none()
    return sheets.filter(judge=user)


@transaction.atomic
def judge_sheet_save(
    *,
    contest: Contest,
    judge: User,
    outlet: OrgUnit,
    scores: Mapping[int | str, object],
    comment: str = "",
    today: datetime.date,
) -> JudgeSheet:
    """A judge's sheet for one outlet, created or replaced, all or nothing. PermissionDenied unless the
    user is on the contest's panel; ValidationError (by field) for a contest that is not judged or has
    closed, an outlet that is not an entrant, an item missing or unknown, a score that is not a number
    from 0 to the item's full marks."""
    if not contest.judged:
        raise ValidationError({"contest": [_("This contest is read from the KPIs, not judged.")]})
    if not is_judge(contest, judge):
        raise PermissionDenied(_("Only the contest's judges fill in score sheets."))
    problems: dict[str, list[str]] = {}
    if judging_closed(contest, today):
        problems.setdefault("contest", []).append(
            _("The judging closed on %(day)s: the sheets are final.") % {"day": contest.period_end}
        )
    if outlet.pk not in {entrant.pk for entrant in entrants(contest)}:
        problems.setdefault("outlet", []).append(
            _("%(code)s does not compete in this contest.") % {"code": outlet.code}
        )
    items = list(JudgingItem.objects.filter(contest=contest))
    if not items:
        problems.setdefault("scores", []).append(_("The contest has no judging form yet."))
    by_key = {str(key): value for key, value in scores.items()}
    parsed: dict[int, Decimal] = {}
    for item in items:
        raw = by_key.pop(str(item.pk), None)
        if raw is None or raw == "":
            problems.setdefault("scores", []).append(_("Score “%(item)s”.") % {"item": item.name})
            continue
        try:
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite() or not (0 <= value <= item.max_score):
            problems.setdefault("scores", []).append(
                _("“%(item)s”: a number from 0 to %(max)s.") % {"item": item.name, "max": item.max_score.normalize()}
            )
            continue
        parsed[item.pk] = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    for unknown in by_key:
        problems.setdefault("scores", []).append(_("“%(item)s” is not an item of this form.") % {"item": unknown[:20]})
    if problems:
        raise ValidationError(problems)
    sheet, _created = JudgeSheet.objects.update_or_create(
        contest=contest,
        judge=judge,
        outlet=outlet,
        defaults={
            "scores": {str(pk): str(value) for pk, value in parsed.items()},
            "total": sheet_total(items, parsed),
            "comment": comment.strip()[:300],
        },
    )
    return sheet
