"""A month's pay sheets (issue 16): computed from the month's frozen scorecards, previewed, then closed.

What a sheet rests on. The month-period scorecard of each staff member on the month's last day, as kpi
published it (kpi.services.closing freezes it when HQ closes the month): its template, total score,
veto and rank, and the month's actual of each piece-rate metric (the line's actual, so a shared sale
counts as kpi.services.credit split it). The pay rule is the one in force for the month for the
template's code (PayRule: the latest that starts in or before the month).

The lines of a sheet, in order:
1. points: the month's score × the value per point (每分 X 元);
2. one line per piece rate: the month's volume paid by marginal tiers (pay.arithmetic.tiered_amount);
3. one line per team pool above the person's outlet: their share by score, the parts of a pool adding
   up to it exactly (pay.arithmetic.shares_by_score);
4. gates: a veto (when the rule says so) or a score below the minimum zeroes lines 1–3; each keeps its
   gross amount and says which gate zeroed it, and a gated person takes no pool share;
5. cap: when lines 1–3 add up to more than the rule's monthly cap, a negative line cuts them to it;
6. carry-over (上月补记): what a correction of an earlier month, made after its pay was closed, changes
   in that month's pay (below). Gates and the cap of this month do not touch it: it is that month's.
Money is to the fen, half up; the total is the sum of the lines.

Late facts. kpi refuses a fact of a closed month (kpi.services.facts); a correction takes HQ reopening
the month, the fact, and closing it again, after which its scorecards say what they should have said.
A pay sheet once closed is never recomputed (it was paid): the difference reaches the next sheet
instead. For every earlier month whose kpi close is newer than the last pay close that looked at it
(for that person: their sheet of that month or of any month after it), the month is computed again
from its scorecards as they are now, and the new total less what was paid (and carried already) is a
carry-over line in the month being closed, naming the month corrected, the score and volumes before and
after, and the facts of that person's month that arrived after their sheet was closed. kpi keeps the
record (facts with their `updated_at`, MonthClose with the time of the last close); pay only reads it.
While such a month is reopened its correction waits (a note says so) until HQ closes it again.

Closing. The pay close is its own action, by a unit (pay_close): HQ closes the network or any unit, a
unit manager their sub-branch (staff.access.Scope.may_close_pay). It needs the kpi month to be closed
(frozen), so the preview a manager checked is what is stored. It is not sent by kpi's month close
(a signal would store sheets nobody has looked at); kpi's MonthClose is read, never written. One
transaction stores the sheets of the unit's staff that are not stored yet, with their lines: closing
twice stores nothing twice (one sheet per person and month), and a rerun after a failure or a
correction made before the close stores what the preview then shows.

Set-based: a month is computed in a fixed number of queries whatever the number of staff (cards,
assignments, template posts, rules with their piece rates and tiers, the piece-rate lines, pools).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.models import Fact, MonthClose, Scorecard, ScorecardLine, ScorecardTemplate
from lib.locks import LockTimeout, named_lock
from lib.periods import Period, PeriodKind, period_of
from pay.arithmetic import ZERO, Tier, plain, shares_by_score, tiered_amount, to_fen
from pay.models import Gate, LineKind, PayClose, PayRule, PaySheet, PaySheetLine, PieceRate, PieceRateTier, TeamPool
from staff.access import Scope
from staff.models import Assignment, User

LOCK_NAME = "pay.close"
# Up to this many staff the assignments are read with `staff_id IN (…)`; above it for the month alone, so
# a query never carries more parameters than SQLite accepts (as kpi.services.facts does).
IN_LIMIT = 5000
LOCK_TIMEOUT = 15.0
# How many of a person's late facts a carry-over line lists (the rest are counted).
LATE_FACTS_LISTED = 20


class PayCloseError(Exception):
    """A pay close that cannot be done; the message says why and what to do."""


def month_of(day: datetime.date) -> Period:
    return period_of(PeriodKind.MONTH, day)


# -- the rules in force ----------------------------------------------------------------------------------


def rules_in_force(month: datetime.date) -> dict[str, PayRule]:
    """Template code → the rule paying the month, with its piece rates (metric) and tiers: 3 queries."""
    start = month.replace(day=1)
    latest = {
        row["template_code"]: row["latest"]
        for row in PayRule.objects.filter(effective_from__lte=start)
        .values("template_code")
        .annotate(latest=Max("effective_from"))
    }
    if not latest:
        return {}
    wanted = Q()
    for code, effective_from in latest.items():
        wanted |= Q(template_code=code, effective_from=effective_from)
    rules = PayRule.objects.filter(wanted).prefetch_related(
        Prefetch(
            "piece_rates",
            queryset=PieceRate.objects.select_related("metric").prefetch_related(
                Prefetch("tiers", queryset=PieceRateTier.objects.order_by("from_volume"))
            ),
        )
    )
    return {rule.template_code: rule for rule in rules}


def _tiers(piece_rate: PieceRate) -> list[Tier]:
    return [Tier(tier.from_volume, tier.to_volume, tier.yuan_per_unit) for tier in piece_rate.tiers.all()]


# -- computing a month -------------------------------------------------------------------------------------


def pay_compute(
    *, month: datetime.date, under: OrgUnit | None = None, carry_over: bool = True, staff_ids: set[int] | None = None
) -> list[PaySheet]:
    """The month's pay sheets (unsaved, each with `line_list`), of the staff whose outlet is in `under`'s
    subtree (None: everyone); `staff_ids` narrows them further. A pool above `under` is shared over its
    whole subtree all the same, so a unit's part of it is what the network's computation gives."""
    period = month_of(month)
    pools = list(TeamPool.objects.filter(month=period.start).select_related("unit"))
    # The staff to compute: those under the highest unit that shares a pool with `under`'s staff, and
    # with `staff_ids`, these people and everyone who shares a pool (their shares need every score).
    root = under
    if under is not None:
        above = [pool.unit for pool in pools if under.path.startswith(pool.unit.path)]
        if above:
            root = min(above, key=lambda unit: len(unit.path))
    sheets = _base_sheets(period, root=root, staff_ids=staff_ids, pool_paths=[pool.unit.path for pool in pools])
    _share_pools(sheets, pools)
    for sheet in sheets:
        _apply_cap(sheet)
    if under is not None:
        sheets = [sheet for sheet in sheets if sheet.unit.path.startswith(under.path)]
    if staff_ids is not None:
        sheets = [sheet for sheet in sheets if sheet.staff_id in staff_ids]
    if carry_over:
        _add_carry_overs(sheets, period, under=under, staff_ids=staff_ids)
    for sheet in sheets:
        _total(sheet)
    return sorted(sheets, key=lambda sheet: (sheet.unit.path, sheet.staff.code))


def _base_sheets(
    period: Period, *, root: OrgUnit | None, staff_ids: set[int] | None, pool_paths: list[str]
) -> list[PaySheet]:
    """Lines 1–2 and the gates, for every scored staff member with a rule, under `root`; with
    `staff_ids`, for them and for whoever is assigned under a pool's unit."""
    rules = rules_in_force(period.start)
    if not rules:
        return []
    cards_qs = Scorecard.objects.published(on=period.end).filter(
        period=PeriodKind.MONTH.value, staff__isnull=False, template__code__in=list(rules)
    )
    if root is not None:
        cards_qs = cards_qs.filter(_assigned_under([root.path], period))
    if staff_ids is not None:
        wanted = Q(staff_id__in=list(staff_ids))
        if pool_paths:
            wanted |= _assigned_under(pool_paths, period)
        cards_qs = cards_qs.filter(wanted)
    cards = list(cards_qs.select_related("staff", "template"))
    if not cards:
        return []
    units = _pay_units(period, cards)
    metric_ids = {piece.metric_id for rule in rules.values() for piece in rule.piece_rates.all()}
    volumes: dict[tuple[int, int], Decimal] = {}
    if metric_ids:
        volumes = {
            (card_id, metric_id): actual
            for card_id, metric_id, actual in ScorecardLine.objects.filter(
                scorecard__in=cards_qs.values("pk"), metric_id__in=metric_ids
            ).values_list("scorecard_id", "metric_id", "actual")
        }
    sheets = []
    for card in cards:
        unit = units.get(card.staff_id)
        if unit is None or (root is not None and not unit.path.startswith(root.path)):
            continue
        rule = rules[card.template.code]
        sheet = PaySheet(
            month=period.start,
            staff=card.staff,
            unit=unit,
            rule=rule,
            template_code=card.template.code,
            template_from=card.template.effective_from,
            scorecard_date=period.end,
            score=card.total_score,
            vetoed=card.vetoed,
            veto_reason=card.veto_reason,
            rank=card.rank,
            rank_of=card.rank_of,
            total=ZERO,
        )
        sheet.preview = True
        sheet.gate = _gate(card, rule)
        score = card.total_score or ZERO
        points = to_fen(score * rule.yuan_per_point)
        sheet.line_list = [
            _line(
                LineKind.POINTS,
                gross=points,
                gate=sheet.gate,
                rate=rule.yuan_per_point,
                basis={"score": plain(score), "yuan_per_point": str(rule.yuan_per_point)},
            )
        ]
        for piece in rule.piece_rates.all():
            volume = volumes.get((card.pk, piece.metric_id))
            # A vetoed card whose rule does not zero on veto keeps its piece rates.
            amount, parts = tiered_amount(volume or ZERO, _tiers(piece))
            sheet.line_list.append(
                _line(
                    LineKind.PIECE_RATE,
                    gross=amount,
                    gate=sheet.gate,
                    metric=piece.metric,
                    volume=volume or ZERO,
                    basis={"method": "marginal", "tiers": [part.as_basis() for part in parts]},
                )
            )
        sheets.append(sheet)
    return sheets


def _assigned_under(paths: list[str], period: Period) -> Q:
    """The card's staff member held an assignment in one of these subtrees during the month."""
    where = Q()
    for path in paths:
        where |= Q(unit__path__startswith=path)
    held = Assignment.objects.filter(where, staff=OuterRef("staff_id"), start__lte=period.end).filter(
        Q(end__isnull=True) | Q(end__gte=period.start)
    )
    return Q(Exists(held))


def _gate(card: Scorecard, rule: PayRule) -> str:
    """The gate that zeroes the month's performance pay, or "": a veto when the rule says so; otherwise
    a score below the minimum (a vetoed card the rule still pays is judged by its veto alone)."""
    if card.vetoed:
        return Gate.VETO if rule.veto_zeroes_pay else ""
    if rule.min_score is not None and (card.total_score or ZERO) < rule.min_score:
        return Gate.MIN_SCORE
    return ""


def _line(kind: str, *, gross: Decimal, gate: str = "", **fields) -> PaySheetLine:
    return PaySheetLine(kind=kind, gross=gross, amount=ZERO if gate else gross, gate=gate, **fields)


def _pay_units(period: Period, cards: list[Scorecard]) -> dict[int, OrgUnit]:
    """Staff id → the outlet their pay belongs to: of the assignments overlapping the month, one under
    a post of their template first, then one in force on the last day, then the latest begun. 2 queries."""
    template_ids = {card.template_id for card in cards}
    posts: dict[int, set[int]] = defaultdict(set)
    for template_id, post_id in ScorecardTemplate.posts.through.objects.filter(
        scorecardtemplate_id__in=template_ids
    ).values_list("scorecardtemplate_id", "post_id"):
        posts[template_id].add(post_id)
    template_of = {card.staff_id: card.template_id for card in cards}
    assignments = (
        Assignment.objects.filter(start__lte=period.end)
        .filter(Q(end__isnull=True) | Q(end__gte=period.start))
        .select_related("unit")
    )
    if len(template_of) <= IN_LIMIT:
        assignments = assignments.filter(staff_id__in=list(template_of))
    best: dict[int, tuple[tuple, OrgUnit]] = {}
    for assignment in assignments:
        if assignment.staff_id not in template_of:
            continue
        key = (
            assignment.post_id in posts[template_of[assignment.staff_id]],
            assignment.end is None or assignment.end >= period.end,
            assignment.start,
            -assignment.pk,
        )
        chosen = best.get(assignment.staff_id)
        if chosen is None or key > chosen[0]:
            best[assignment.staff_id] = (key, assignment.unit)
    return {staff_id: unit for staff_id, (_key, unit) in best.items()}


def _share_pools(sheets: list[PaySheet], pools: list[TeamPool]) -> None:
    """Line 3: each pool over the sheets of its subtree, by score; a gated person or a score of 0 takes
    no share (the line says so), and the parts add up to the pool exactly."""
    for pool in sorted(pools, key=lambda pool: pool.unit.path):
        members = [sheet for sheet in sheets if sheet.unit.path.startswith(pool.unit.path)]
        if not members:
            continue
        weights = {sheet.staff_id: sheet.score for sheet in members if not sheet.gate and (sheet.score or ZERO) > 0}
        shares = shares_by_score(pool.amount, weights)
        scores_total = sum(weights.values(), ZERO)
        for sheet in members:
            share = shares.get(sheet.staff_id, ZERO)
            sheet.line_list.append(
                _line(
                    LineKind.POOL,
                    gross=share,
                    gate=sheet.gate,
                    rate=None,
                    basis={
                        "unit": pool.unit.code,
                        "unit_name": pool.unit.name_zh,
                        "unit_name_en": pool.unit.name_en,
                        "pool": str(pool.amount),
                        "score": plain(weights.get(sheet.staff_id, ZERO)),
                        "scores_total": plain(scores_total),
                        "sharing": len(weights),
                    },
                )
            )


def _apply_cap(sheet: PaySheet) -> None:
    """Line 5: the month's performance pay cut to the rule's cap."""
    cap = sheet.rule.monthly_cap if sheet.rule is not None else None
    if cap is None:
        return
    before = sum((line.amount for line in sheet.line_list), ZERO)
    if before <= cap:
        return
    cut = cap - before
    sheet.line_list.append(
        _line(LineKind.CAP, gross=cut, rate=None, basis={"cap": str(cap), "before": str(before), "cut": str(-cut)})
    )


def _total(sheet: PaySheet) -> None:
    for position, line in enumerate(sheet.line_list):
        line.position = position
    sheet.total = sum((line.amount for line in sheet.line_list), ZERO)
    sheet.carried = sum((line.amount for line in sheet.line_list if line.kind == LineKind.CARRY_OVER), ZERO)


# -- late facts: corrections of months already paid ------------------------------------------------------


def reopened_months(before: datetime.date) -> list[datetime.date]:
    """Months before `before` with stored pay sheets that kpi has reopened: their corrections wait."""
    reopened = MonthClose.objects.filter(is_closed=False, month__lt=before.replace(day=1)).values_list(
        "month", flat=True
    )
    return sorted(set(PaySheet.objects.filter(month__in=reopened).values_list("month", flat=True)))


def _corrections_due(
    period: Period, *, under: OrgUnit | None, staff_ids: set[int] | None
) -> dict[datetime.date, dict[int, PaySheet]]:
    """Earlier month → {staff id: their stored sheet of it} for each person whose sheet of that month
    was paid before the month's latest kpi close and no later pay close has looked at it since."""
    closes = dict(MonthClose.objects.closed().filter(month__lt=period.start).values_list("month", "changed_at"))
    if not closes:
        return {}
    stored = PaySheet.objects.filter(month__gte=min(closes), month__lt=period.start).select_related("unit")
    if under is not None:
        stored = stored.filter(unit__path__startswith=under.path)
    if staff_ids is not None:
        stored = stored.filter(staff_id__in=staff_ids)
    by_staff: dict[int, list[PaySheet]] = defaultdict(list)
    for sheet in stored:
        by_staff[sheet.staff_id].append(sheet)
    due: dict[datetime.date, dict[int, PaySheet]] = defaultdict(dict)
    for staff_id, sheets in by_staff.items():
        for sheet in sheets:
            closed_at = closes.get(sheet.month)
            if closed_at is None:
                continue  # reopened now: it waits
            last_look = max(later.closed_at for later in sheets if later.month >= sheet.month)
            if closed_at > last_look:
                due[sheet.month][staff_id] = sheet
    return due


def _add_carry_overs(
    sheets: list[PaySheet], period: Period, *, under: OrgUnit | None, staff_ids: set[int] | None
) -> None:
    """Line 6 on each sheet, and a sheet of its own for a person with a correction and no pay this month."""
    due = _corrections_due(period, under=under, staff_ids=staff_ids)
    if not due:
        return
    sheet_of = {sheet.staff_id: sheet for sheet in sheets}
    people = {staff_id for paid in due.values() for staff_id in paid}
    carried_before: dict[tuple[int, datetime.date], Decimal] = defaultdict(lambda: ZERO)
    for staff_id, source, amount in PaySheetLine.objects.filter(
        kind=LineKind.CARRY_OVER,
        source_month__in=list(due),
        sheet__month__lt=period.start,
        sheet__staff_id__in=people,
    ).values_list("sheet__staff_id", "source_month", "amount"):
        carried_before[(staff_id, source)] += amount
    for source in sorted(due):
        paid = due[source]
        now = {sheet.staff_id: sheet for sheet in pay_compute(month=source, carry_over=False, staff_ids=set(paid))}
        volumes_was = defaultdict(dict)
        for sheet_id, metric_code, volume in PaySheetLine.objects.filter(
            sheet__in=[sheet.pk for sheet in paid.values()], kind=LineKind.PIECE_RATE
        ).values_list("sheet_id", "metric__code", "volume"):
            volumes_was[sheet_id][metric_code] = volume
        late = _late_facts(month_of(source), paid)
        for staff_id, was in sorted(paid.items()):
            recomputed = now.get(staff_id)
            due_now = recomputed.total if recomputed is not None else ZERO
            before = carried_before[(staff_id, source)]
            delta = due_now - was.base_total - before
            if delta == 0:
                continue
            volumes_now = (
                {line.metric.code: line.volume for line in recomputed.line_list if line.kind == LineKind.PIECE_RATE}
                if recomputed is not None
                else {}
            )
            changes = [
                {"metric": code, "was": plain(volumes_was[was.pk].get(code)), "now": plain(volumes_now.get(code))}
                for code in sorted(set(volumes_was[was.pk]) | set(volumes_now))
                if volumes_was[was.pk].get(code) != volumes_now.get(code)
            ]
            facts = late.get(staff_id, [])
            line = PaySheetLine(
                kind=LineKind.CARRY_OVER,
                gross=delta,
                amount=delta,
                source_month=source,
                basis={
                    "month": f"{source:%Y-%m}",
                    "due": str(due_now),
                    "paid": str(was.base_total),
                    "carried_before": str(before),
                    "score_was": plain(was.score),
                    "score_now": plain(recomputed.score if recomputed is not None else None),
                    "changes": changes,
                    "late_facts": facts[:LATE_FACTS_LISTED],
                    "late_facts_count": len(facts),
                    "paid_at": was.closed_at.isoformat(),
                },
            )
            sheet = sheet_of.get(staff_id)
            if sheet is None:
                sheet = _carry_only_sheet(period, was)
                sheet_of[staff_id] = sheet
                sheets.append(sheet)
            sheet.line_list.append(line)


def _carry_only_sheet(period: Period, was: PaySheet) -> PaySheet:
    """A sheet for a person with no pay rule this month but a correction of an earlier one to be paid."""
    sheet = PaySheet(
        month=period.start,
        staff=was.staff,
        unit=was.unit,
        rule=None,
        template_code="",
        scorecard_date=None,
        total=ZERO,
    )
    sheet.preview, sheet.gate, sheet.line_list = True, "", []
    return sheet


def _late_facts(source: Period, paid: dict[int, PaySheet]) -> dict[int, list[dict]]:
    """Each person's facts of the month corrected that were written after their sheet was closed: the
    visible reason of a carry-over. One query."""
    if not paid:
        return {}
    earliest = min(sheet.closed_at for sheet in paid.values())
    found: dict[int, list[dict]] = defaultdict(list)
    rows = (
        Fact.objects.filter(
            staff_id__in=list(paid), date__gte=source.start, date__lte=source.end, updated_at__gt=earliest
        )
        .order_by("date", "metric__sort_order", "pk")
        .values_list("staff_id", "date", "metric__code", "value", "updated_at")
    )
    for staff_id, day, metric_code, value, updated_at in rows:
        if updated_at > paid[staff_id].closed_at:
            found[staff_id].append(
                {
                    "date": day.isoformat(),
                    "metric": metric_code,
                    "value": plain(value),
                    "received": timezone.localtime(updated_at).strftime("%Y-%m-%d %H:%M"),
                }
            )
    return found


# -- preview and close --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayCloseResult:
    month: Period
    unit: OrgUnit
    stored: int  # sheets stored by this close
    kept: int  # sheets stored by an earlier close, left as they were
    total: Decimal  # of the sheets stored by this close


def pay_close_problem(*, month: datetime.date) -> str | None:
    """Why no pay of the month can be closed now, or None."""
    period = month_of(month)
    if not MonthClose.objects.closed(period.start).exists():
        return _(
            "%(month)s is not closed yet: HQ closes the month (月结) first, so the pay rests on frozen scorecards."
        ) % {"month": period.code}
    return None


def pay_close(*, month: datetime.date, unit: OrgUnit, by: User | None, scope: Scope | None) -> PayCloseResult:
    """Store the month's pay sheets of `unit`'s staff that are not stored yet, in one transaction.
    `scope` None (with `by` None): the command line and the demo, which hold the server."""
    if scope is not None and not scope.may_close_pay(unit):
        raise PermissionDenied(_("You may not close the pay of %(unit)s.") % {"unit": unit.name})
    period = month_of(month)
    problem = pay_close_problem(month=period.start)
    if problem:
        raise PayCloseError(problem)
    try:
        with named_lock(LOCK_NAME, timeout=LOCK_TIMEOUT), transaction.atomic():
            # Locks the close row (PostgreSQL): HQ cannot reopen the month half-way through.
            if not MonthClose.objects.select_for_update().filter(month=period.start, is_closed=True).exists():
                raise PayCloseError(pay_close_problem(month=period.start) or "")
            computed = pay_compute(month=period.start, under=unit)
            stored = set(PaySheet.objects.of_month(period.start).values_list("staff_id", flat=True))
            kept = {sheet.staff_id for sheet in computed if sheet.staff_id in stored}
            new = [sheet for sheet in computed if sheet.staff_id not in stored]
            _store(new, by=by)
            total = sum((sheet.total for sheet in new), ZERO)
            if new:
                PayClose.objects.create(unit=unit, month=period.start, by=by, sheets=len(new), total=total)
    except LockTimeout:
        raise PayCloseError(_("Another pay close is running; try again in a moment."))
    return PayCloseResult(month=period, unit=unit, stored=len(new), kept=len(kept), total=total)


def _store(sheets: Iterable[PaySheet], *, by: User | None) -> None:
    sheets = list(sheets)
    if not sheets:
        return
    now = timezone.now()
    for sheet in sheets:
        sheet.closed_at, sheet.closed_by = now, by
    PaySheet.objects.bulk_create(sheets)
    lines = []
    for sheet in sheets:
        for line in sheet.line_list:
            line.sheet = sheet
            lines.append(line)
        sheet.preview = False
    PaySheetLine.objects.bulk_create(lines)
