"""The staff of a unit with their scorecards (DOMAIN.md §1: the 晨会 reads "staff scorecards of the
outlet"): who works there on the day, in which posts, their score for the same period and their rank
among the colleagues scored by the same template (kpi.services.scoring ranks staff inside their outlet).

One query, whatever the number of staff: the day's assignments at the unit with their staff member and
post, and the figures of the staff member's published scorecard of that day and period kind. A staff
member who also works at another outlet is ranked at one of them (kpi.services.scoring.staff_templates):
when some are, six queries more say where (the templates of the day, their posts, the outlets' codes),
and a rank from another outlet is marked with its code.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Subquery

from branches.models import OrgUnit
from kpi.models import Scorecard
from kpi.services.scoring import TemplatesInForce, staff_templates
from lib.periods import PeriodKind
from staff.access import Scope
from staff.models import Assignment, StaffMember

_UNRANKED = 1 << 30


@dataclass
class StaffScoreRow:
    """One staff member of the unit. `name` is as the reader may see it (Scope.person_name)."""

    staff: StaffMember
    name: str
    posts: list[str] = field(default_factory=list)
    post_order: int = 0
    total_score: Decimal | None = None
    vetoed: bool = False
    rank: int | None = None
    rank_of: int | None = None
    # The code of the other outlet whose staff of the same template they are ranked among ("" when
    # ranked here): their rank is not a rank among this outlet's staff.
    ranked_at: str = ""

    @property
    def scored(self) -> bool:
        return self.total_score is not None


def staff_ranking(
    *,
    unit: OrgUnit,
    day: datetime.date,
    period: PeriodKind | str,
    scope: Scope,
    scores_of: datetime.date | None,
) -> list[StaffScoreRow]:
    """The staff assigned to `unit` on `day`, each once with their posts there, and their published
    scorecard of the business day `scores_of` (None before the first rollup: no scores) for the period
    kind. The scored come first, by post (catalog order) and rank; then the others by post and code.

    A reader who sees the unit may open every staff member listed: they are assigned inside the
    reader's subtree on that day (staff.access.Scope.staff(on=day)), so the page links each of them."""
    # The staff member's published scorecard of the day and period: one correlated subquery per figure,
    # all in the one statement (served by the index on run, period and staff). The date is filtered
    # too: without a rolled-up day (None) published() would take every day's, and date IS NULL none.
    cards = Scorecard.objects.published(on=scores_of).filter(
        date=scores_of, period=str(period), staff=OuterRef("staff_id")
    )
    card = {
        f"card_{name}": Subquery(cards.order_by("-pk").values(name)[:1])
        for name in ("total_score", "vetoed", "rank", "rank_of")
    }
    elsewhere = Assignment.objects.on(day).filter(staff_id=OuterRef("staff_id")).exclude(unit=unit)
    assignments = (
        Assignment.objects.on(day)
        .filter(unit=unit)
        .annotate(**card, elsewhere=Exists(elsewhere))
        .select_related("staff", "post")
        .order_by("staff__code", "post__sort_order")
    )
    rows: dict[int, StaffScoreRow] = {}
    also_elsewhere: set[int] = set()
    for assignment in assignments:
        if assignment.elsewhere and assignment.card_rank is not None:
            also_elsewhere.add(assignment.staff_id)
        row = rows.get(assignment.staff_id)
        if row is None:
            row = rows[assignment.staff_id] = StaffScoreRow(
                staff=assignment.staff,
                name=scope.person_name(assignment.staff.name),
                post_order=assignment.post.sort_order,
                total_score=assignment.card_total_score,
                vetoed=bool(assignment.card_vetoed),
                rank=assignment.card_rank,
                rank_of=assignment.card_rank_of,
            )
        row.posts.append(assignment.post.name)
    if also_elsewhere and scores_of is not None:
        _mark_ranked_elsewhere(rows, also_elsewhere, unit=unit, scores_of=scores_of)
    return sorted(
        rows.values(),
        key=lambda row: (
            not row.scored,
            row.post_order,
            bool(row.ranked_at),
            row.rank if row.rank is not None else _UNRANKED,
            row.staff.code,
        ),
    )


def _mark_ranked_elsewhere(
    rows: dict[int, StaffScoreRow], staff_ids: set[int], *, unit: OrgUnit, scores_of: datetime.date
) -> None:
    """Where the staff working at another outlet too were ranked on `scores_of` (the rollup's rule); those
    ranked at another outlet get its code."""
    _templates, ranked_in = staff_templates(TemplatesInForce.on(scores_of, lines=False), scores_of, staff_ids=staff_ids)
    other = {staff_id: outlet_id for staff_id, outlet_id in ranked_in.items() if outlet_id != unit.pk}
    codes = dict(OrgUnit.objects.filter(pk__in=set(other.values())).values_list("pk", "code"))
    for staff_id, outlet_id in other.items():
        rows[staff_id].ranked_at = codes.get(outlet_id, "")
