"""The daily bulletin (每日通报): outlets ranked inside a set, a peer group or a subtree (DOMAIN.md §1, §5)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from branches.models import OrgUnit, PeerGroup, UnitKind, UnitStatus
from kpi import formulas
from kpi.models import (
    Metric,
    ReportingCutoff,
    RollupDay,
    Scorecard,
    ScorecardLine,
    TemplateLine,
    shown_status,
    shown_status_label,
)
from kpi.selectors.freshness import Freshness, freshness_of, outlets_expected
from lib.periods import PeriodKind, period_of
from staff.access import Scope

# Chips of a template without key metrics: its first lines, as many as fit on a bulletin row.
FALLBACK_CHIPS = 4


def peer_groups_visible(*, scope: Scope) -> QuerySet[PeerGroup]:
    """The peer groups whose ranking this scope may read (DOMAIN.md §7).

    Everything for HQ and auditors. Otherwise a group every member of which lies in the scope's
    subtree (a sub-branch manager's own groups), or a group the scope's own unit belongs to: an outlet
    head sees the ranking of their outlet's peers (scores only; their scorecards stay out of scope).
    A group without members is visible where its parent unit is.
    """
    if scope.everything:
        return PeerGroup.objects.all()
    if not scope.unit_path:
        return PeerGroup.objects.none()
    members = PeerGroup.members.through.objects.filter(peergroup=OuterRef("pk"))
    outside = members.exclude(orgunit__path__startswith=scope.unit_path)
    return PeerGroup.objects.filter(
        Exists(members.filter(orgunit__path=scope.unit_path))
        | (Exists(members) & ~Exists(outside))
        | (~Exists(members) & Q(parent_unit__path__startswith=scope.unit_path))
    )


def get_peer_group_or_404(scope: Scope, code: str) -> PeerGroup:
    """The peer group with this code if the scope may read it; 404 whether it is missing or out of scope."""
    group = peer_groups_visible(scope=scope).filter(code=code).first()
    if group is None:
        raise Http404("No such peer group.")
    return group


def peer_group_default(*, outlet: OrgUnit) -> PeerGroup | None:
    """The peer group an outlet is ranked in by default: its automatic group (sub-branch and area), else
    the first group it belongs to."""
    return outlet.peer_groups.order_by("-is_default", "code").first()


@dataclass(frozen=True)
class BulletinChip:
    """The status of one key metric on a bulletin row; status None without a target (or a line)."""

    metric: Metric
    status: str | None
    time_progress: Decimal | None = None

    @property
    def shown_status(self) -> str | None:
        """The status the bulletin shows: muted ("early") too early in the period to judge (kpi.models)."""
        return shown_status(self.status, self.time_progress)

    @property
    def label(self) -> str:
        return shown_status_label(self.status, self.time_progress)


@dataclass(frozen=True)
class BulletinRow:
    """One outlet of the bulletin. `rank` and `rank_of` are inside the set asked for (not the stored peer
    group rank); `movement` is the places gained since the previous day (negative: lost), None when the
    outlet is not ranked on either day or there is no previous day to compare with (not rolled up, or in
    an earlier period: movement_compares); `is_new` when it is ranked now and was not on the previous
    day. `no_data` when the outlet was expected to report the day and did not (kpi.selectors.freshness):
    shown as 无数据 and not ranked, rather than ranked last on figures it never sent."""

    outlet: OrgUnit
    scorecard: Scorecard | None
    rank: int | None
    rank_of: int | None
    previous_rank: int | None
    movement: int | None
    is_new: bool
    chips: list[BulletinChip]
    # False for a peer outside the reader's scope: DOMAIN §7 gives an outlet head peer rankings, scores
    # only, so the chips and the veto reason of other outlets are not shown.
    details_visible: bool = True
    no_data: bool = False

    @property
    def total_score(self) -> Decimal | None:
        return self.scorecard.total_score if self.scorecard else None

    @property
    def vetoed(self) -> bool:
        return bool(self.scorecard and self.scorecard.vetoed)

    @property
    def veto_reason(self) -> str:
        return self.scorecard.veto_reason if self.scorecard and self.details_visible else ""

    @property
    def places(self) -> int | None:
        """How many places it moved, either way."""
        return abs(self.movement) if self.movement is not None else None

    @property
    def direction(self) -> str | None:
        """One of up, down, same, new; None when there is nothing to compare."""
        if self.is_new:
            return "new"
        if self.movement is None:
            return None
        return "up" if self.movement > 0 else "down" if self.movement < 0 else "same"


def _set_ranks(scores: dict[int, Decimal | None]) -> dict[int, int]:
    """Outlet id → competition rank (1, 2, 2, 4) by score inside this set; outlets without a score are
    left out."""
    series = pd.Series({outlet_id: float(score) for outlet_id, score in scores.items() if score is not None})
    if series.empty:
        return {}
    return {outlet_id: int(rank) for outlet_id, rank in formulas.competition_rank(series).items()}


def movement_compares(*, date: datetime.date, previous: datetime.date, period: PeriodKind | str) -> bool:
    """Whether the day before (`previous`) is like `date` for the bulletin's movement (较上日): the same
    period kind (the scorecards compared are both of `period`) and both days within the same period. On
    1 December the month to date is one day old and 30 November's was the whole of November: ranks of
    two different periods, so no movement (not "↑93"). The day kind never compares (each day is a
    period of its own), nor does a Monday for the week or 1 January for any period."""
    if previous >= date:
        return False
    return period_of(PeriodKind(period), previous) == period_of(PeriodKind(period), date)


def bulletin_rows(
    *,
    date: datetime.date,
    period: PeriodKind | str,
    group: PeerGroup | None = None,
    unit: OrgUnit | None = None,
    scope: Scope | None = None,
    freshness: Freshness | None = None,
) -> list[BulletinRow]:
    """The outlets of a peer group (or of a unit's subtree), ranked by their published score for the
    business day and period kind, best first; then the outlets with no data for the day, then those
    without a score, unranked.

    1. The set: the group's members, or the outlets under the unit; a closed outlet only while it still
       has a scorecard that day.
    2. The published scorecards of the day and of the day before (only when it lies in the same period:
       movement_compares), in one query; each day is ranked inside this set with
       kpi.formulas.competition_rank, so a ranking of a sub-branch's whole subtree is not the stored
       peer-group rank.
    3. Freshness (kpi.selectors.freshness): an outlet expected to report the day that did not is "no
       data", left out of the day's ranking (and of the day before's, for the movement, when it had
       none then either). `freshness` is that of the set for the day when the caller has it already.
    4. The chips: the key metrics (TemplateLine.is_key) of each scorecard's template, else its first
       lines, with the status of the scorecard's line for that metric.

    Eight queries whatever the number of outlets (seven with `freshness` given). An empty list when the
    day has not been rolled up.
    """
    if (group is None) == (unit is None):
        raise ValueError("bulletin_rows: pass exactly one of group= or unit=")
    # 0001-01-01 has no day before it (a date a client may well send): then there is no movement.
    previous_date = date - datetime.timedelta(days=1) if date > datetime.date.min else date
    if not movement_compares(date=date, previous=previous_date, period=period):
        previous_date = date  # nothing like it to compare with: read today's scorecards only
    runs = dict(
        RollupDay.objects.published().filter(date__in=[date, previous_date]).values_list("date", "published_run_id")
    )
    if date not in runs:
        return []

    outlets_queryset = group.members.all() if group is not None else OrgUnit.objects.subtree(unit)
    outlets_queryset = outlets_queryset.filter(kind=UnitKind.OUTLET)
    outlets = list(outlets_queryset.order_by("path"))
    cards = Scorecard.objects.filter(
        run_id__in=runs.values(), period=str(period), staff=None, unit__in=outlets_queryset.values("pk")
    )
    today: dict[int, Scorecard] = {}
    yesterday: dict[int, Decimal | None] = {}
    for card in cards:
        if card.run_id == runs[date]:
            today[card.unit_id] = card
        else:
            yesterday[card.unit_id] = card.total_score
    outlets = [outlet for outlet in outlets if outlet.status != UnitStatus.CLOSED or outlet.pk in today]

    if freshness is None:
        freshness = freshness_of(day=date, outlets=outlets_queryset, cutoff=ReportingCutoff.objects.current())
    no_data = freshness.missing_ids
    ranked_today = [outlet for outlet in outlets if outlet.pk in today and outlet.pk not in no_data]
    ranks = _set_ranks({outlet.pk: today[outlet.pk].total_score for outlet in ranked_today})
    # Nothing to compare with when the day before was not rolled up or kept no scorecards (old days
    # keep only period ends), or lies in an earlier period (movement_compares): every outlet would
    # otherwise look "new".
    compared = bool(yesterday) and previous_date != date
    no_data_before: set[int] = set()
    if compared:
        no_data_before = set(
            outlets_expected(day=previous_date, outlets=outlets_queryset)
            .filter(reported=False)
            .values_list("pk", flat=True)
        )
    previous_ranks = (
        _set_ranks({outlet.pk: yesterday.get(outlet.pk) for outlet in outlets if outlet.pk not in no_data_before})
        if compared
        else {}
    )

    chip_metrics = _chip_metrics(template_ids={card.template_id for card in today.values() if card.template_id})
    chip_metric_ids = {metric.pk for metrics in chip_metrics.values() for metric in metrics}
    lines = ScorecardLine.objects.filter(
        scorecard__in=cards.filter(run_id=runs[date]).values("pk"), metric_id__in=chip_metric_ids
    )
    statuses = {
        (line["scorecard_id"], line["metric_id"]): (line["status"], line["time_progress"])
        for line in (lines.values("scorecard_id", "metric_id", "status", "time_progress") if chip_metric_ids else [])
    }

    rows = []
    for outlet in outlets:
        card = today.get(outlet.pk)
        rank = ranks.get(outlet.pk)
        previous_rank = previous_ranks.get(outlet.pk)
        chips = [
            BulletinChip(metric, *statuses.get((card.pk, metric.pk), (None, None)))
            for metric in (chip_metrics.get(card.template_id, []) if card else [])
        ]
        rows.append(
            BulletinRow(
                outlet=outlet,
                scorecard=card,
                rank=rank,
                rank_of=len(ranks) if rank is not None else None,
                previous_rank=previous_rank,
                movement=previous_rank - rank if rank is not None and previous_rank is not None else None,
                # Not "new" when it was only short of data the day before.
                is_new=compared and rank is not None and previous_rank is None and outlet.pk not in no_data_before,
                chips=chips if scope is None or scope.can_see_unit(outlet) else [],
                details_visible=scope is None or scope.can_see_unit(outlet),
                no_data=outlet.pk in no_data,
            )
        )
    # Ranked first, best first; then the outlets with no data, then the unranked; ties and the rest in
    # tree order.
    order = {outlet.pk: position for position, outlet in enumerate(outlets)}
    rows.sort(key=lambda row: (row.rank is None, not row.no_data, row.rank or 0, order[row.outlet.pk]))
    return rows


def bulletin_freshness(
    *, date: datetime.date, group: PeerGroup | None = None, unit: OrgUnit | None = None
) -> Freshness:
    """The freshness of the bulletin's set (a peer group's members, or the outlets under a unit) for
    the day: whether the ranking is final, and which outlets are still missing (kpi.selectors.freshness)."""
    if (group is None) == (unit is None):
        raise ValueError("bulletin_freshness: pass exactly one of group= or unit=")
    outlets = group.members.all() if group is not None else OrgUnit.objects.subtree(unit)
    return freshness_of(day=date, outlets=outlets)


def _chip_metrics(*, template_ids: set[int]) -> dict[int, list[Metric]]:
    """Template id → the metrics its bulletin chips show: the key lines, else the first lines."""
    if not template_ids:
        return {}
    lines_of: dict[int, list[TemplateLine]] = {}
    for line in (
        TemplateLine.objects.filter(template_id__in=template_ids)
        .select_related("metric")
        .order_by("template_id", "sort_order", "pk")
    ):
        lines_of.setdefault(line.template_id, []).append(line)
    return {
        template_id: [line.metric for line in ([line for line in lines if line.is_key] or lines[:FALLBACK_CHIPS])]
        for template_id, lines in lines_of.items()
    }


def bulletin_units(*, scope: Scope) -> list[OrgUnit]:
    """The units above outlets whose subtree this scope may rank on the bulletin (the picker), in tree
    order (one query)."""
    return list(scope.units(OrgUnit.objects.exclude(kind=UnitKind.OUTLET)).order_by("path"))
