from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from staff.selectors import scope_for_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A plain landing page until the scorecard pages land: who you are and what you can see."""
    scope = scope_for_user(request.user)
    units = scope.units().filter(depth__lte=(request.user.unit.depth + 1) if request.user.unit_id else 1)
    return render(request, "bankops/home.html", {"scope": scope, "units": units.order_by("path")[:50]})
