"""Reads of meetings, always through a Scope (DOMAIN.md §7): the 晨会 sheet prefilled from the published
scorecards, the 夕会 view of the day's goals beside its actuals, the Monday meeting's page, action items.

Where the figures come from (kpi): the sheet of day D shows, per person, the scorecards published for the
latest rolled-up day before D (usually D − 1, "yesterday's figures"): the month to date against the
month's target, its status, and what each remaining day must bring (`required_per_day`, kpi.formulas),
which is also the goal the sheet proposes. The 夕会 of day D reads each person's day scorecard of D,
published by the rollup of the morning after (kpi.services.rollup): before that, the actuals are not in.

Every function issues a fixed number of queries, whatever the number of people, metrics or items.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from branches.models import OrgUnit
from kpi.models import Aggregation, Direction, Level, Metric, RollupDay, Scorecard, ScorecardLine, Status
from kpi.templatetags.kpi_format import places_of
from lib.ids import is_id
from lib.links import link_kind, link_kinds
from lib.periods import Period, PeriodKind, period_of
from meetings.models import ActionItem, ActionStatus, Goal, GoalChange, Meeting, MeetingKind, Topic
from meetings.services import action_owner_candidates, meeting_people_condition
from staff.access import Scope
from staff.models import Assignment, StaffMember, User

BEHIND = (Status.RED, Status.AMBER)
# How many objects of each kind an action item's form offers to link to.
LINK_OPTIONS = 50


# -- who is at a meeting ------------------------------------------------------------------------------------


@dataclass
class Person:
    staff: StaffMember
    name: str  # as the reader may see it (Scope.person_name)
    posts: list[str] = field(default_factory=list)
    post_order: int = 0


def meeting_people(*, unit: OrgUnit, day: datetime.date, scope: Scope) -> list[Person]:
    """The people of a meeting at `unit` on `day` (meetings.services.meeting_people_condition), each
    once with their posts, by post then code. One query."""
    assignments = (
        Assignment.objects.filter(meeting_people_condition(unit, day))
        .select_related("staff", "post")
        .order_by("post__sort_order", "staff__code")
    )
    people: dict[int, Person] = {}
    for assignment in assignments:
        person = people.get(assignment.staff_id)
        if person is None:
            person = people[assignment.staff_id] = Person(
                staff=assignment.staff,
                name=scope.person_name(assignment.staff.name),
                post_order=assignment.post.sort_order,
            )
        if assignment.post.name not in person.posts:
            person.posts.append(assignment.post.name)
    return sorted(people.values(), key=lambda person: (person.post_order, person.staff.code))


def goal_metrics_catalog() -> list[Metric]:
    """The metrics a day's goal may be set on: active, kept for staff, amounts brought in (a flow or a net
    change), in catalog order (meetings.services.goal_metric_problem says the same of one)."""
    return list(
        Metric.objects.filter(
            is_active=True,
            level__in=(Level.STAFF, Level.BOTH),
            aggregation__in=(Aggregation.SUM, Aggregation.CHANGE),
        ).order_by("sort_order", "code")
    )


# -- meetings ---------------------------------------------------------------------------------------------


def meetings_visible(*, scope: Scope) -> QuerySet[Meeting]:
    """The meetings of the units this scope sees, latest first."""
    return (
        Meeting.objects.filter(scope.unit_records())
        .select_related("unit", "held_by")
        .order_by("-date", "unit__path", "kind", "pk")
    )


def meeting_get_or_404(*, scope: Scope, meeting_id: int) -> Meeting:
    if not is_id(meeting_id):
        raise Http404("No such meeting.")
    meeting = meetings_visible(scope=scope).filter(pk=meeting_id).first()
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting


def meeting_find(*, unit: OrgUnit, kind: str, day: datetime.date) -> Meeting | None:
    """The unit's meeting of that kind and day with its records (five queries), or None before it was held."""
    return (
        Meeting.objects.filter(unit=unit, kind=kind, date=day)
        .select_related("unit", "held_by")
        .prefetch_related(
            "goal_metrics",
            "attendance",
            Prefetch("topics", queryset=Topic.objects.order_by("pk")),
            Prefetch("goals", queryset=Goal.objects.select_related("metric", "set_by")),
        )
        .first()
    )


def latest_figures_day(before: datetime.date) -> datetime.date | None:
    """The latest published business day before `before`: the figures a morning meeting reads."""
    published = RollupDay.objects.published().filter(date__lt=before)
    return published.order_by("-date").values_list("date", flat=True).first()


def day_is_published(day: datetime.date) -> bool:
    return RollupDay.objects.published(on=day).exists()


# -- the 晨会 sheet --------------------------------------------------------------------------------------------


def suggested_goal(metric: Metric, required_per_day: Decimal | None) -> Decimal | None:
    """The goal a sheet proposes: what each remaining day must bring, rounded up to the unit's decimals (1.8
    sign-ups a day → 2; 12.341 万元 → 12.35). None without a figure, or when the target is already met."""
    if required_per_day is None or required_per_day <= 0:
        return None
    step = Decimal(1).scaleb(-places_of(metric.unit))
    return required_per_day.quantize(step, rounding=ROUND_CEILING)


@dataclass
class GoalCell:
    """One person and one metric on the sheet: the month to date as of the figures day, the figures day's
    own value, the goal set for today (None: not yet) and the goal the sheet proposes."""

    staff: StaffMember
    metric: Metric
    month: ScorecardLine | None = None
    yesterday: Decimal | None = None
    goal: Goal | None = None
    # Whether the field may still be prefilled with the proposal: no goal was ever set here and the sheet
    # was never saved. A goal someone cleared (or a proposal emptied and saved) stays empty.
    open_to_proposal: bool = True

    @property
    def field_name(self) -> str:
        return f"goal-{self.staff.code}-{self.metric.code}"

    @property
    def behind(self) -> bool:
        return self.month is not None and self.month.shown_status in BEHIND

    @property
    def suggestion(self) -> Decimal | None:
        return suggested_goal(self.metric, self.month.required_per_day if self.month else None)

    @property
    def proposal(self) -> Decimal | None:
        """The suggestion, where the field is still open to one (no goal, none cleared, sheet not saved)."""
        return self.suggestion if self.goal is None and self.open_to_proposal else None

    @property
    def value(self) -> Decimal | None:
        """What the sheet's field holds: the goal set, or else the proposal (None: the field is empty)."""
        return self.goal.value if self.goal is not None else self.proposal


@dataclass
class SheetPerson:
    staff: StaffMember
    name: str
    posts: list[str]
    attendance: str = ""
    cells: list[GoalCell] = field(default_factory=list)

    @property
    def attendance_field(self) -> str:
        return f"attendance-{self.staff.code}"

    @property
    def behind(self) -> list[GoalCell]:
        return [cell for cell in self.cells if cell.behind]


@dataclass
class MorningSheet:
    unit: OrgUnit
    day: datetime.date
    figures_day: datetime.date | None  # the published day the figures are of (None before any rollup)
    meeting: Meeting | None
    metrics: list[Metric]  # the metrics goals are set on (chosen, or proposed)
    catalog: list[Metric]  # every metric a goal may be set on (the chooser)
    people: list[SheetPerson]

    @property
    def topics(self) -> list[Topic]:
        return list(self.meeting.topics.all()) if self.meeting else []

    @property
    def goals_set(self) -> int:
        return sum(1 for person in self.people for cell in person.cells if cell.goal is not None)

    @property
    def month(self) -> Period | None:
        return period_of(PeriodKind.MONTH, self.figures_day) if self.figures_day else None


def morning_sheet(*, unit: OrgUnit, day: datetime.date, scope: Scope) -> MorningSheet:
    """The 晨会 sheet of an outlet for `day`, prefilled from the published scorecards of the latest day
    before it. About ten queries, whatever the number of people and metrics.

    The metrics goals are set on are those chosen on the sheet; before any are chosen, those the outlet's
    people have a month target on (what they are measured on), in catalog order. Each person gets a field
    for the chosen metrics they have a month target or a goal on, or every chosen metric when they have
    none (a newcomer without targets yet). A field without a goal holds the proposal until the sheet is
    first saved, and never where a goal was set and then cleared."""
    meeting = meeting_find(unit=unit, kind=MeetingKind.MORNING, day=day)
    people = meeting_people(unit=unit, day=day, scope=scope)
    figures_day = latest_figures_day(day)
    catalog = goal_metrics_catalog()
    staff_ids = [person.staff.pk for person in people]

    month_lines: dict[tuple[int, int], ScorecardLine] = {}
    day_values: dict[tuple[int, int], Decimal | None] = {}
    if figures_day is not None and staff_ids:
        lines = ScorecardLine.objects.filter(
            scorecard__in=Scorecard.objects.published(on=figures_day).filter(
                staff_id__in=staff_ids, period__in=(PeriodKind.DAY, PeriodKind.MONTH)
            ),
            metric__in=catalog,
        ).select_related("metric", "scorecard")
        for line in lines:
            key = (line.scorecard.staff_id, line.metric_id)
            if line.scorecard.period == PeriodKind.MONTH:
                month_lines[key] = line
            else:
                day_values[key] = line.actual

    goals = {(goal.staff_id, goal.metric_id): goal for goal in meeting.goals.all()} if meeting else {}
    # Proposals fill only fields nobody has decided: none once the sheet was saved, and none where a goal
    # was set and cleared (through the API too), which the goals' audit trail tells.
    proposing = meeting is None or meeting.sheet_saved_at is None
    decided = (
        set(GoalChange.objects.filter(meeting=meeting).values_list("staff_id", "metric_id"))
        if meeting is not None and proposing
        else set()
    )
    attendance = {mark.staff_id: mark.status for mark in meeting.attendance.all()} if meeting else {}
    chosen = list(meeting.goal_metrics.all()) if meeting else []
    if chosen:
        chosen.sort(key=lambda metric: (metric.sort_order, metric.code))
    else:
        measured = {metric_id for (_staff, metric_id), line in month_lines.items() if line.target is not None}
        measured |= {metric_id for _staff, metric_id in goals}
        chosen = [metric for metric in catalog if metric.pk in measured]

    rows = []
    for person in people:
        staff_id = person.staff.pk
        own = [
            metric
            for metric in chosen
            if (staff_id, metric.pk) in goals
            or (month_lines.get((staff_id, metric.pk)) and month_lines[(staff_id, metric.pk)].target is not None)
        ]
        rows.append(
            SheetPerson(
                staff=person.staff,
                name=person.name,
                posts=person.posts,
                attendance=attendance.get(staff_id, ""),
                cells=[
                    GoalCell(
                        staff=person.staff,
                        metric=metric,
                        month=month_lines.get((staff_id, metric.pk)),
                        yesterday=day_values.get((staff_id, metric.pk)),
                        goal=goals.get((staff_id, metric.pk)),
                        open_to_proposal=proposing and (staff_id, metric.pk) not in decided,
                    )
                    for metric in (own or chosen)
                ],
            )
        )
    return MorningSheet(
        unit=unit,
        day=day,
        figures_day=figures_day,
        meeting=meeting,
        metrics=chosen,
        catalog=catalog,
        people=rows,
    )


# -- the 夕会: the day's goals beside its actuals ------------------------------------------------------------


def _published_runs() -> QuerySet:
    return RollupDay.objects.published().runs()


def goals_with_actuals(goals: QuerySet[Goal]) -> QuerySet[Goal]:
    """Goals annotated with `actual`: the person's figure for the goal's day and metric on their day
    scorecard, once that day is published (None before, or when the day's scorecard has no line for the
    metric), and `day_published`. Two correlated subqueries in the goals' one query."""
    lines = ScorecardLine.objects.filter(
        scorecard__run__in=_published_runs(),
        scorecard__date=OuterRef("meeting__date"),
        scorecard__period=PeriodKind.DAY,
        scorecard__staff=OuterRef("staff_id"),
        metric=OuterRef("metric_id"),
    )
    published = RollupDay.objects.exclude(published_run=None).filter(date=OuterRef("meeting__date"))
    return goals.annotate(actual=Subquery(lines.values("actual")[:1]), day_published=Exists(published))


def goal_actual(goal: Goal) -> Decimal | None:
    """A goal's actual once its day is published: the day scorecard's figure; nothing recorded for a flow
    that day is 0 (no sign-up is a result), for a net change it is unknown."""
    if not getattr(goal, "day_published", False):
        return None
    if goal.actual is not None:
        return goal.actual
    return Decimal(0) if goal.metric.aggregation == Aggregation.SUM else None


def goal_met(goal: Goal, actual: Decimal | None) -> bool | None:
    """Met: the actual reaches the goal (at most the goal for a metric where lower is better); None without
    an actual."""
    return goal_reached(goal.metric, goal.value, actual)


def goal_reached(metric: Metric, value: Decimal, actual: Decimal | None) -> bool | None:
    """goal_met of a goal's metric and value (a person's goals of one day added up)."""
    if actual is None:
        return None
    if metric.direction == Direction.LOWER:
        return actual <= value
    return actual >= value


@dataclass
class EveningGoal:
    goal: Goal
    actual: Decimal | None
    met: bool | None

    @property
    def metric(self) -> Metric:
        return self.goal.metric

    @property
    def shortfall(self) -> Decimal | None:
        return None if self.actual is None else self.actual - self.goal.value


@dataclass
class EveningPerson:
    staff: StaffMember
    name: str
    posts: list[str]
    attendance: str
    goals: list[EveningGoal] = field(default_factory=list)

    @property
    def met(self) -> int:
        return sum(1 for each in self.goals if each.met)

    @property
    def judged(self) -> int:
        return sum(1 for each in self.goals if each.met is not None)


@dataclass
class EveningSheet:
    unit: OrgUnit
    day: datetime.date
    meeting: Meeting | None
    published: bool
    people: list[EveningPerson]

    @property
    def goals(self) -> int:
        return sum(len(person.goals) for person in self.people)

    @property
    def met(self) -> int:
        return sum(person.met for person in self.people)


def evening_sheet(*, unit: OrgUnit, day: datetime.date, scope: Scope) -> EveningSheet:
    """The 夕会 of `day`: each person's goals of that morning beside the day's actuals, person by person,
    once the day is published. Five queries."""
    meeting = (
        Meeting.objects.filter(unit=unit, kind=MeetingKind.MORNING, date=day).prefetch_related("attendance").first()
    )
    published = day_is_published(day)
    people = meeting_people(unit=unit, day=day, scope=scope)
    goals = (
        list(
            goals_with_actuals(Goal.objects.filter(meeting=meeting).select_related("metric", "staff")).order_by(
                "metric__sort_order", "metric__code"
            )
        )
        if meeting
        else []
    )
    attendance = {mark.staff_id: mark.status for mark in meeting.attendance.all()} if meeting else {}
    by_staff: dict[int, list[EveningGoal]] = defaultdict(list)
    for goal in goals:
        actual = goal_actual(goal)
        by_staff[goal.staff_id].append(EveningGoal(goal=goal, actual=actual, met=goal_met(goal, actual)))
    rows = [
        EveningPerson(
            staff=person.staff,
            name=person.name,
            posts=person.posts,
            attendance=attendance.get(person.staff.pk, ""),
            goals=by_staff.pop(person.staff.pk, []),
        )
        for person in people
    ]
    # Someone with a goal who no longer works there that day (an assignment corrected since): still shown.
    for staff_goals in by_staff.values():
        staff_member = staff_goals[0].goal.staff
        rows.append(
            EveningPerson(
                staff=staff_member,
                name=scope.person_name(staff_member.name),
                posts=[],
                attendance=attendance.get(staff_member.pk, ""),
                goals=staff_goals,
            )
        )
    return EveningSheet(unit=unit, day=day, meeting=meeting, published=published, people=rows)


# -- the Monday meeting (周例会) -------------------------------------------------------------------------------


@dataclass
class WeeklySheet:
    unit: OrgUnit
    monday: datetime.date
    last_week: Period
    meeting: Meeting | None
    misses: list[ScorecardLine]  # the unit's lines of last week that missed their weekly target
    last_week_published: bool
    people: list[Person]
    attendance: dict[int, str]
    items: list[ActionItem]
    links: dict[int, LinkView]


def weekly_sheet(*, unit: OrgUnit, monday: datetime.date, scope: Scope, user: User) -> WeeklySheet:
    """The Monday meeting of `unit` for the week starting `monday`: last week's missed weekly targets (the
    unit's week scorecard of last Sunday: the lines with a target and an attainment under 100 %), who came,
    the decisions and the action items with what they link to. About ten queries."""
    last_week = period_of(PeriodKind.WEEK, monday - datetime.timedelta(days=1))
    meeting = (
        Meeting.objects.filter(unit=unit, kind=MeetingKind.WEEKLY, date=monday)
        .select_related("unit", "held_by")
        .prefetch_related("attendance")
        .first()
    )
    card = (
        Scorecard.objects.published(on=last_week.end)
        .filter(unit=unit, staff=None, period=PeriodKind.WEEK)
        .order_by("-pk")
        .first()
    )
    misses = []
    if card is not None:
        lines = ScorecardLine.objects.filter(scorecard=card, target__isnull=False).select_related("metric")
        misses = [
            line
            for line in lines.order_by("metric__sort_order", "metric__code")
            if line.attainment is not None and line.attainment < 1
        ]
    items = list(action_items_of(meeting)) if meeting else []
    return WeeklySheet(
        unit=unit,
        monday=monday,
        last_week=last_week,
        meeting=meeting,
        misses=misses,
        last_week_published=card is not None,
        people=meeting_people(unit=unit, day=monday, scope=scope),
        attendance={mark.staff_id: mark.status for mark in meeting.attendance.all()} if meeting else {},
        items=items,
        links=links_described(items, scope=scope),
    )


# -- action items -------------------------------------------------------------------------------------------


def overdue_condition(today: datetime.date) -> Q:
    return Q(status=ActionStatus.OPEN, due__lt=today)


def action_items_of(meeting: Meeting) -> QuerySet[ActionItem]:
    return meeting.action_items.select_related("owner", "done_by").order_by("status", "due", "pk")


def action_items_visible(
    *, scope: Scope, user: User | None = None, today: datetime.date | None = None
) -> QuerySet[ActionItem]:
    """The action items of the meetings of the units this scope sees, and those the user owns wherever
    their meeting was (an outlet head's item from the sub-branch's Monday meeting), annotated `overdue`."""
    condition = scope.unit_records("meeting__unit")
    if user is not None and user.is_authenticated:
        condition |= Q(owner_id=user.pk)
    overdue = ExpressionWrapper(overdue_condition(today or timezone.localdate()), output_field=BooleanField())
    return (
        ActionItem.objects.filter(condition)
        .annotate(overdue=overdue)
        .select_related("meeting__unit", "owner", "done_by")
        .order_by("status", "due", "pk")
    )


def goals_visible(*, scope: Scope) -> QuerySet[Goal]:
    """The goals of the meetings of the units this scope sees, and a staff member's own goals, with their
    actuals (goals_with_actuals)."""
    condition = scope.unit_records("meeting__unit")
    if scope.staff_id:
        condition |= Q(staff_id=scope.staff_id)
    goals = Goal.objects.filter(condition).select_related("meeting__unit", "staff", "metric", "set_by")
    return goals_with_actuals(goals)


def goals_of_staff(*, scope: Scope, staff: StaffMember, day: datetime.date) -> QuerySet[Goal]:
    """The goals set for `staff` at the morning meetings of `day` that this scope reads (goals_visible:
    a staff member their own, a unit's reader those of its units' meetings), with their actuals, in
    catalog order. One query. Usually one meeting's; a person assigned to two outlets that day may have a
    goal from each."""
    return (
        goals_visible(scope=scope)
        .filter(staff=staff, meeting__kind=MeetingKind.MORNING, meeting__date=day)
        .order_by("metric__sort_order", "metric__code", "meeting__unit__path")
    )


def action_item_get_or_404(*, scope: Scope, item_id: int, user: User | None = None) -> ActionItem:
    if not is_id(item_id):
        raise Http404("No such action item.")
    item = action_items_visible(scope=scope, user=user).filter(pk=item_id).first()
    if item is None:
        raise Http404("No such action item.")
    return item


def overdue_action_items_of(user: User) -> QuerySet[ActionItem]:
    """The open action items the user owns that are past their due day (the header badge counts them:
    staff.access.waiting_work)."""
    return ActionItem.objects.filter(overdue_condition(timezone.localdate()), owner_id=user.pk)


def owner_choices(*, unit: OrgUnit) -> QuerySet[User]:
    """Who may own an action item of a meeting at `unit` (meetings.services.action_owner_candidates)."""
    return User.objects.filter(action_owner_candidates(unit)).order_by("role", "username")


@dataclass(frozen=True)
class LinkView:
    """What an action item links to, as the reader sees it: the kind, a line naming it, its page ("" when
    it has none or the reader may not open it)."""

    kind: str
    label: str
    text: str
    url: str = ""
    closed: bool = False


def links_described(items: list[ActionItem], *, scope: Scope) -> dict[int, LinkView]:
    """Item id → what it links to. One query per kind linked among the items; an object the reader may not
    see (or that is gone) is named by its kind and id only."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for item in items:
        if item.link_kind and item.link_id:
            wanted[item.link_kind].add(item.link_id)
    found: dict[tuple[str, int], LinkView] = {}
    for code, ids in wanted.items():
        kind = link_kind(code)
        if kind is None:
            continue
        objects = kind.visible(kind.objects().filter(pk__in=ids), scope)
        closed = set()
        if kind.closed is not None:
            closed = set(kind.model._default_manager.filter(kind.closed, pk__in=ids).values_list("pk", flat=True))
        for obj in objects:
            found[(code, obj.pk)] = LinkView(
                kind=code, label=str(kind.label), text=kind.describe(obj), url=kind.url(obj), closed=obj.pk in closed
            )
    views = {}
    for item in items:
        if not (item.link_kind and item.link_id):
            continue
        view = found.get((item.link_kind, item.link_id))
        if view is None:
            kind = link_kind(item.link_kind)
            label = str(kind.label) if kind else item.link_kind
            view = LinkView(kind=item.link_kind, label=label, text=f"{label} #{item.link_id}")
        views[item.pk] = view
    return views


@dataclass(frozen=True)
class LinkOption:
    value: str  # "alert:42"
    text: str


def link_options(*, scope: Scope, unit: OrgUnit, day: datetime.date) -> list[tuple[str, list[LinkOption]]]:
    """What an action item of a meeting at `unit` on `day` may link to, by kind (the form's groups): what
    each kind offers (open alerts, recent plans, the week's and month's targets) inside the unit's
    subtree, up to LINK_OPTIONS each. One query per kind."""
    if not scope.can_see_unit(unit):
        return []
    within = scope.within(unit)
    groups = []
    for kind in link_kinds():
        objects = kind.offered(kind.visible(kind.objects(), within), day).order_by("-pk")[:LINK_OPTIONS]
        options = [LinkOption(value=f"{kind.code}:{obj.pk}", text=kind.describe(obj)) for obj in objects]
        if options:
            groups.append((str(kind.label), options))
    return groups
