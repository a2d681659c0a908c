"""The transformation rollout's reads: progress (readiness), the rollouts in scope, the staffing mix."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from kpi.models import RolloutItem, RolloutProject, StandardPostMix
from staff.access import Scope
from staff.models import Assignment, Post

FOUR_PLACES = Decimal("0.0001")


def readiness(items) -> Decimal | None:
    """Σ weights of the done items / Σ weights of all items, a fraction (None without items)."""
    items = list(items)
    total = sum((item.weight for item in items), Decimal(0))
    if not total:
        return None
    done = sum((item.weight for item in items if item.done_on is not None), Decimal(0))
    return (done / total).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RolloutProgress:
    project: RolloutProject
    readiness: Decimal | None
    done: int
    total: int


def rollouts_of(*, outlet_ids) -> dict[int, RolloutProgress]:
    """Each outlet's rollout with its readiness, in one query (the weights summed in the database)."""
    projects = (
        RolloutProject.objects.filter(outlet_id__in=list(outlet_ids))
        .select_related("outlet", "benchmark", "coach")
        .annotate(
            weight_all=Sum("items__weight"),
            weight_done=Sum("items__weight", filter=Q(items__done_on__isnull=False)),
            items_all=Count("items"),
            items_done=Count("items", filter=Q(items__done_on__isnull=False)),
        )
    )
    progress = {}
    for project in projects:
        ready = None
        if project.weight_all:
            ready = ((project.weight_done or Decimal(0)) / project.weight_all).quantize(
                FOUR_PLACES, rounding=ROUND_HALF_UP
            )
        progress[project.outlet_id] = RolloutProgress(
            project=project, readiness=ready, done=project.items_done, total=project.items_all
        )
    return progress


def rollouts_visible(*, scope: Scope) -> QuerySet[RolloutProject]:
    """The rollouts of the outlets this scope sees (a staff member: their own outlet's is read via the
    page only if they coach it)."""
    projects = RolloutProject.objects.select_related("outlet", "benchmark", "coach")
    if scope.everything:
        return projects
    if scope.unit_path:
        return projects.filter(outlet__path__startswith=scope.unit_path)
    if scope.staff_id:
        return projects.filter(coach_id=scope.staff_id)
    return projects.none()


def rollout_get_or_404(*, scope: Scope, code: str) -> RolloutProject:
    project = rollouts_visible(scope=scope).filter(outlet__code=code).first()
    if project is None:
        raise Http404("No such rollout.")
    return project


def rollout_items(project: RolloutProject) -> list[RolloutItem]:
    return list(project.items.select_related("done_by").order_by("sort_order", "pk"))


@dataclass(frozen=True)
class PostMixRow:
    post: Post
    standard: int
    current: int

    @property
    def gap(self) -> int:
        """Current minus standard: below 0, so many short; above, so many over."""
        return self.current - self.standard


def staffing_mix(*, project: RolloutProject, on: datetime.date) -> list[PostMixRow]:
    """The outlet's assignments of the day by post against HQ's standard mix for its format (零售主管,
    理财经理, 市场经理 …). Posts in neither are left out. Two queries."""
    standard = {
        row.post_id: row for row in StandardPostMix.objects.filter(format=project.outlet.format).select_related("post")
    }
    current = dict(
        Assignment.objects.on(on)
        .filter(unit=project.outlet)
        .values("post_id")
        .annotate(people=Count("staff", distinct=True))
        .values_list("post_id", "people")
    )
    posts = {row.post_id: row.post for row in standard.values()}
    missing = set(current) - set(posts)
    if missing:
        posts.update({post.pk: post for post in Post.objects.filter(pk__in=missing)})
    rows = [
        PostMixRow(post=post, standard=standard[pk].count if pk in standard else 0, current=current.get(pk, 0))
        for pk, post in posts.items()
    ]
    return sorted(rows, key=lambda row: (row.post.sort_order, row.post.code))
