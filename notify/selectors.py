"""What a channel's message says about a published day: notify's read side.

A channel of a unit above outlets (a sub-branch, a branch, HQ) gets the ranking of each peer group wholly
inside its subtree: the top and the bottom PUSH_TOP of each (all of a group of at most 2 × PUSH_TOP),
the outlets with no data for the day (kpi.selectors.freshness: not ranked), the unit's own red lines
(its scorecard's lines of the period whose status is red, unless too early in the period to judge) and
a link to the bulletin. The outlets are ranked inside each group as the bulletin ranks a group
(kpi.selectors.bulletin: competition ranking of the published scores, the outlets with no data left
out): the subtree's rows are read once and ranked group by group, so a head-office channel costs the
same few queries as a sub-branch's. A channel of an outlet gets its own peer groups, read as the
bulletin reads them.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field, replace
from decimal import Decimal
from urllib.parse import urlencode

import pandas as pd
from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from branches.models import OrgUnit, PeerGroup
from kpi import formulas
from kpi.bulletin_sections import BulletinSection, bulletin_sections
from kpi.models import EARLY, Metric, Scorecard, ScorecardLine, Status, shown_status
from kpi.selectors.bulletin import BulletinRow, bulletin_rows, peer_group_default, peer_groups_visible
from kpi.selectors.freshness import Freshness, freshness_of
from lib.periods import PeriodKind, period_of
from notify.models import Channel
from staff.access import Scope

# How many outlets of each end of a peer group's ranking a message names.
PUSH_TOP = 3


@dataclass(frozen=True)
class RankedOutlet:
    outlet: OrgUnit
    rank: int
    score: Decimal | None
    vetoed: bool


@dataclass(frozen=True)
class GroupRanking:
    """One peer group's ranking for the message: `top` and `bottom` (empty when `top` names every ranked
    outlet), how many were ranked, and the outlets with no data."""

    group: PeerGroup
    top: list[RankedOutlet]
    bottom: list[RankedOutlet]
    ranked: int
    no_data: list[OrgUnit]


@dataclass(frozen=True)
class RedLine:
    metric: Metric
    attainment: Decimal | None
    pace_attainment: Decimal | None
    time_progress: Decimal | None


@dataclass(frozen=True)
class DaySummary:
    unit: OrgUnit
    day: datetime.date
    period: PeriodKind
    period_code: str
    freshness: Freshness
    groups: list[GroupRanking]
    red_lines: list[RedLine]
    link: str
    # What other apps add beside the ranking (a running campaign's leaderboard): kpi.bulletin_sections.
    sections: list[BulletinSection] = field(default_factory=list)

    def fingerprint(self) -> str:
        """A digest of the figures the message carries: the same after a rollup that changed nothing the
        message shows, different when a late outlet's figures or a correction moved a rank, a score, a
        red line or the list of outlets without data."""

        def outlets(ranked: list[RankedOutlet]) -> list:
            return [[entry.outlet.code, entry.rank, str(entry.score), entry.vetoed] for entry in ranked]

        figures = {
            "day": self.day.isoformat(),
            "period": self.period_code,
            "missing": [outlet.code for outlet in self.freshness.missing],
            "groups": [
                [group.group.code, outlets(group.top), outlets(group.bottom), [o.code for o in group.no_data]]
                for group in self.groups
            ],
            "red": [[line.metric.code, str(line.attainment), str(line.pace_attainment)] for line in self.red_lines],
            "sections": [
                [section.key, [[row.rank, row.name, str(row.score)] for row in section.rows]]
                for section in self.sections
            ],
        }
        return hashlib.sha256(json.dumps(figures, sort_keys=True).encode()).hexdigest()


def day_summary(*, channel: Channel, day: datetime.date, now: datetime.datetime | None = None) -> DaySummary:
    """The summary of `day` for the channel's unit, as of `now` (the freshness of its subtree then)."""
    unit = channel.unit
    period = PeriodKind(channel.period)
    subtree = OrgUnit.objects.subtree(unit)
    freshness = freshness_of(day=day, outlets=subtree, now=now)
    if unit.is_outlet:
        groups = [
            _group_ranking(group, bulletin_rows(date=day, period=period, group=group))
            for group in unit.peer_groups.order_by("-is_default", "code")
        ]
    else:
        groups = _subtree_rankings(unit=unit, day=day, period=period, freshness=freshness)
    return DaySummary(
        unit=unit,
        day=day,
        period=period,
        period_code=period_of(period, day).code,
        freshness=freshness,
        groups=groups,
        red_lines=_red_lines(unit=unit, day=day, period=period),
        link=bulletin_link(unit=unit, day=day, period=period),
        # An outlet's channel reads a campaign's whole leaderboard top; a unit's, its subtree's outlets.
        sections=bulletin_sections(
            scope=Scope(unit_path=unit.path), day=day, unit=None if unit.is_outlet else unit, outlets=None
        ),
    )


def bulletin_link(*, unit: OrgUnit, day: datetime.date, period: PeriodKind) -> str:
    """The bulletin of the unit's outlets (an outlet's: its default peer group) for the day, on SITE_URL."""
    if unit.is_outlet:
        group = peer_group_default(outlet=unit)
        subject = {"group": group.code} if group else {}
    else:
        subject = {"unit": unit.code}
    query = urlencode({**subject, "date": day.isoformat(), "period": period.value})
    return f"{settings.SITE_URL}{reverse('kpi:bulletin')}?{query}"


def _subtree_rankings(
    *, unit: OrgUnit, day: datetime.date, period: PeriodKind, freshness: Freshness
) -> list[GroupRanking]:
    """Each peer group wholly inside the unit's subtree, ranked from one read of the subtree's rows."""
    rows = {row.outlet.pk: row for row in bulletin_rows(date=day, period=period, unit=unit, freshness=freshness)}
    groups: QuerySet[PeerGroup] = peer_groups_visible(scope=Scope(unit_path=unit.path)).order_by("code")
    members: dict[int, list[int]] = {}
    for group_id, outlet_id in PeerGroup.members.through.objects.filter(peergroup__in=groups).values_list(
        "peergroup_id", "orgunit_id"
    ):
        members.setdefault(group_id, []).append(outlet_id)
    rankings = []
    for group in groups:
        group_rows = [rows[outlet_id] for outlet_id in members.get(group.pk, []) if outlet_id in rows]
        if group_rows:
            rankings.append(_group_ranking(group, _ranked_in_group(group_rows)))
    return rankings


def _ranked_in_group(rows: list[BulletinRow]) -> list[BulletinRow]:
    """The rows of one group ranked among themselves as the bulletin ranks a group: competition rank of the
    scores, the outlets with no data (and without a score) left unranked."""
    scored = {row.outlet.pk: float(row.total_score) for row in rows if not row.no_data and row.total_score is not None}
    ranks = {}
    if scored:
        ranks = {pk: int(rank) for pk, rank in formulas.competition_rank(pd.Series(scored)).items()}
    ranked = [_with_rank(row, ranks.get(row.outlet.pk), len(ranks) if row.outlet.pk in ranks else None) for row in rows]
    order = {row.outlet.pk: position for position, row in enumerate(sorted(rows, key=lambda row: row.outlet.path))}
    ranked.sort(key=lambda row: (row.rank is None, row.rank or 0, order[row.outlet.pk]))
    return ranked


def _with_rank(row: BulletinRow, rank: int | None, rank_of: int | None) -> BulletinRow:
    return replace(row, rank=rank, rank_of=rank_of, movement=None, is_new=False)


def _group_ranking(group: PeerGroup, rows: list[BulletinRow]) -> GroupRanking:
    ranked = [
        RankedOutlet(outlet=row.outlet, rank=row.rank, score=row.total_score, vetoed=row.vetoed)
        for row in rows
        if row.rank is not None
    ]
    if len(ranked) <= 2 * PUSH_TOP:
        top, bottom = ranked, []
    else:
        top, bottom = ranked[:PUSH_TOP], ranked[-PUSH_TOP:]
    return GroupRanking(
        group=group,
        top=top,
        bottom=bottom,
        ranked=len(ranked),
        no_data=[row.outlet for row in rows if row.no_data],
    )


def _red_lines(*, unit: OrgUnit, day: datetime.date, period: PeriodKind) -> list[RedLine]:
    """The unit's own scorecard lines of the period whose status is red, not muted as too early (one query)."""
    lines = (
        ScorecardLine.objects.filter(
            scorecard__in=_unit_scorecards(unit=unit, day=day, period=period), status=Status.RED
        )
        .select_related("metric")
        .order_by("metric__sort_order", "metric__code")
    )
    return [
        RedLine(
            metric=line.metric,
            attainment=line.attainment,
            pace_attainment=line.pace_attainment,
            time_progress=line.time_progress,
        )
        for line in lines
        if shown_status(line.status, line.time_progress) != EARLY
    ]


def _unit_scorecards(*, unit: OrgUnit, day: datetime.date, period: PeriodKind):
    return Scorecard.objects.published(on=day).filter(unit=unit, staff=None, period=period.value).values("pk")
