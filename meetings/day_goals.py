"""The goals of the morning meeting (晨会) on the person's own scorecard (kpi.day_goals, registered in
MeetingsConfig.ready()): "今日晨会目标 2" on the card of 手机银行签约, beside the day's actual once the rollup
of the morning after has published it, met or not by meetings' one rule (selectors.goal_met).

Who reads which goals is meetings.selectors.goals_visible's answer: a staff member their own goals
(though not the meeting pages, which are the outlet's: staff.access.Menu.meetings), a unit's reader the
goals of its units' meetings.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from kpi.day_goals import DayGoal
from meetings.models import Goal
from meetings.selectors import goal_actual, goal_reached, goals_of_staff
from staff.access import Scope
from staff.models import StaffMember


def morning_goals(*, scope: Scope, staff: StaffMember, day: datetime.date) -> list[DayGoal]:
    """`staff`'s goals of `day` as `scope` reads them, one per metric in catalog order. One query.

    A person with a goal from two outlets' meetings that day (assigned to both) has one goal per metric,
    their sum, against the day's one actual (their scorecard adds up both outlets too)."""
    by_metric: dict[int, list[Goal]] = {}
    for goal in goals_of_staff(scope=scope, staff=staff, day=day):
        by_metric.setdefault(goal.metric_id, []).append(goal)
    label = (
        _("Today's goal at the morning meeting")
        if day == timezone.localdate()
        else _("The day's goal at the morning meeting")
    )
    goals = []
    for same_metric in by_metric.values():
        metric = same_metric[0].metric
        value = sum((goal.value for goal in same_metric), Decimal(0))
        actual = goal_actual(same_metric[0])  # the person's actual of the day: the same on each goal
        goals.append(
            DayGoal(
                metric=metric,
                day=day,
                value=value,
                label=label,
                actual=actual,
                met=goal_reached(metric, value, actual),
            )
        )
    return goals
