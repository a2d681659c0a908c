from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kpi.selectors import latest_rolled_up_date, own_scorecard_entity
from staff.models import Role
from staff.selectors import scope_for_user

# Who starts the day on their own scorecard (the 08:30 morning meeting, DOMAIN.md §1).
SCORECARD_FIRST = frozenset({Role.OUTLET_HEAD, Role.UNIT_MANAGER, Role.STAFF})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """An outlet head, a unit manager or a staff member goes straight to their scorecard once a day
    has been rolled up; everyone else (and everyone before the first rollup) sees who they are and what
    they can see."""
    if (
        request.user.role in SCORECARD_FIRST
        and latest_rolled_up_date() is not None
        and own_scorecard_entity(user=request.user) is not None
    ):
        return redirect("kpi:my_scorecard")
    scope = scope_for_user(request.user)
    units = scope.units().filter(depth__lte=(request.user.unit.depth + 1) if request.user.unit_id else 1)
    return render(request, "bankops/home.html", {"scope": scope, "units": units.order_by("path")[:50]})


def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and the docker-compose healthcheck: the process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
