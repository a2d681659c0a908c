"""Transformation rollouts (网点转型: 导入 → 固化 → 验收): the list in scope and one outlet's checklist with its
staffing mix (kpi.services.rollout, kpi.selectors.rollout)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kpi.selectors.rollout import (
    readiness,
    rollout_get_or_404,
    rollout_items,
    rollouts_of,
    rollouts_visible,
    staffing_mix,
)
from kpi.services.rollout import rollout_advance, rollout_item_mark
from staff.access import scope_for_user


@login_required
def rollout_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    outlet_ids = list(rollouts_visible(scope=scope).values_list("outlet_id", flat=True))
    progress = sorted(rollouts_of(outlet_ids=outlet_ids).values(), key=lambda row: row.project.outlet.code)
    return render(request, "kpi/rollout_list.html", {"rows": progress})


@login_required
def rollout_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One outlet's rollout: stage, coach, readiness, the practices with their evidence, the staffing mix.
    POST marks a practice (done with evidence, or undone) or moves the rollout one stage on."""
    scope = scope_for_user(request.user)
    project = rollout_get_or_404(scope=scope, code=code)
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    may_run = scope.may_run_rollout(project.outlet)
    if request.method == "POST":
        if not may_run:
            raise PermissionDenied(_("Only HQ, the unit manager and the outlet head run an outlet's rollout."))
        try:
            if request.POST.get("action") == "advance":
                rollout_advance(scope=scope, project=project, day=today)
                messages.success(request, _("The rollout moved to the next stage."))
            else:
                item = project.items.filter(pk=_int(request.POST.get("item"))).first()
                if item is None:
                    raise ValidationError({"item": [_("Choose a practice of this rollout.")]})
                rollout_item_mark(
                    scope=scope,
                    user=request.user,
                    item=item,
                    done=request.POST.get("done") == "1",
                    evidence=request.POST.get("evidence", ""),
                    day=today,
                )
                messages.success(request, _("Saved."))
        except ValidationError as invalid:
            errors = invalid.message_dict
        else:
            return redirect("kpi:rollout_detail", code=project.outlet.code)
    items = rollout_items(project)
    context = {
        "project": project,
        "items": items,
        "readiness": readiness(items),
        "done": sum(1 for item in items if item.done),
        "mix": staffing_mix(project=project, on=today),
        "today": today,
        "may_run": may_run,
        "coach_name": scope.person_name(project.coach.name) if project.coach_id else "",
        "errors": errors,
    }
    return render(request, "kpi/rollout_detail.html", context, status=400 if errors else 200)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
