"""The home page per role, and the health check.

Where each role starts the day: an outlet head and a staff member on their own scorecard (the 08:30
morning meeting); a unit manager on the overview of their subtree, HQ administrators and auditors on
the overview of the whole network (kpi/views/overview.py).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static

from kpi.selectors.scorecards import latest_rolled_up_date
from kpi.views.overview import overview_page
from staff.access import own_overview_unit, own_scorecard_entity, scope_for_user, starts_on_scorecard


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A unit manager, HQ and an auditor land on their overview; an outlet head or a staff member goes
    straight to their scorecard once a day has been rolled up; everyone else (and those two before the
    first rollup) sees who they are and what they can see."""
    user = request.user
    scope = scope_for_user(user)
    overview_unit = own_overview_unit(user=user)
    if overview_unit is not None and scope.can_see_unit(overview_unit):
        return overview_page(request, scope, overview_unit, own=True)
    if (
        starts_on_scorecard(user)
        and latest_rolled_up_date() is not None
        and own_scorecard_entity(user=user) is not None
    ):
        return redirect("kpi:my_scorecard")
    units = scope.units().filter(depth__lte=(user.unit.depth + 1) if user.unit_id else 1)
    return render(request, "bankops/home.html", {"scope": scope, "units": units.order_by("path")[:50]})


def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and the docker-compose healthcheck: the process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for where a page names no icon (the admin's): the site's icon. Its
    address is read per request: in production it is the hashed name collectstatic's manifest gives."""
    return redirect(static("img/favicon.svg"), permanent=True)
