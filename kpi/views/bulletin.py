"""The daily bulletin (每日通报): the outlets of a peer group or a subtree ranked, with downloads."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from branches.models import OrgUnit, PeerGroup
from kpi.bulletin_sections import bulletin_sections
from kpi.selectors.bulletin import (
    BulletinRow,
    bulletin_freshness,
    bulletin_rows,
    bulletin_units,
    get_peer_group_or_404,
    peer_group_default,
    peer_groups_visible,
)
from kpi.selectors.notes import annotations_of_bulletin
from kpi.tables import bulletin_table
from kpi.views.common import EXPORT_FORMATS, page_params
from lib.periods import PERIOD_KINDS, PERIOD_LABELS
from staff.access import Scope, get_unit_or_404, scope_for_user


def _bulletin_subject(request: HttpRequest, scope: Scope) -> tuple[PeerGroup | None, OrgUnit | None]:
    """What to rank: ?group=CODE (a peer group) or ?unit=CODE (the outlets of a unit's subtree), both
    looked up with the scope (out of scope: 404). Without either, the reader's own: a unit manager's
    subtree, an outlet head's peer group (None when the outlet is in none yet), the whole network for
    HQ and auditors."""
    if group_code := request.GET.get("group"):
        return get_peer_group_or_404(scope, group_code), None
    if unit_code := request.GET.get("unit"):
        return None, get_unit_or_404(scope, unit_code)
    if scope.everything:
        return None, OrgUnit.objects.filter(parent=None).order_by("path").first()
    user = request.user
    if scope.unit_path and user.unit_id:
        if user.unit.is_outlet:
            return peer_group_default(outlet=user.unit), None
        return None, user.unit
    raise Http404("No bulletin for this login.")


def _bulletin_export(format_name: str, rows: list[BulletinRow], filename: str) -> HttpResponse:
    """The ranked table as a spreadsheet (kpi.tables.bulletin_table)."""
    return bulletin_table(rows).response(format_name, filename, rows)


@login_required
def bulletin(request: HttpRequest) -> HttpResponse:
    """每日通报: the outlets of a peer group or of a unit's subtree ranked by score, with the movement
    since the previous day and the status of the key metrics; printable for the morning meeting and
    downloadable (?export=csv or xlsx). An outlet head reads their peers' scores but opens only their
    own scorecard."""
    scope = scope_for_user(request.user)
    if not scope.sees_units:
        raise Http404("No bulletin for this login.")
    group, unit = _bulletin_subject(request, scope)
    subject = group or unit
    params = page_params(request)
    rows = []
    freshness = None
    if params.day is not None and subject is not None:
        # Whether the day's ranking is final (every expected outlet reported, or HQ's cut-off passed) and
        # who is missing: the page says so, and the missing outlets are ranked as no data.
        freshness = bulletin_freshness(date=params.day, group=group, unit=unit)
        rows = bulletin_rows(
            date=params.day, period=params.period_kind, group=group, unit=unit, scope=scope, freshness=freshness
        )
    choice = {"group": group.code} if group else {"unit": unit.code} if unit else {}

    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        day = params.day.isoformat() if params.day else "none"
        filename = f"bulletin-{subject.code if subject else 'none'}-{day}-{params.period_kind.value}"
        return _bulletin_export(export, rows, filename)

    period_links = [
        {
            "label": PERIOD_LABELS[kind],
            "url": f"{request.path}?{params.query(period=kind.value, **choice)}",
            "current": kind == params.period_kind,
        }
        for kind in PERIOD_KINDS
    ]
    context = {
        "params": params,
        "day": params.day,
        "latest": params.latest,
        "period_kind": params.period_kind.value,
        "period_label": PERIOD_LABELS[params.period_kind],
        "period": params.period,
        "period_links": period_links,
        "group": group,
        "unit": unit,
        "subject": subject,
        "choice": choice,
        "freshness": freshness if rows else None,
        # Only outlets in the reader's scope link to their scorecard (an outlet head's peers do not).
        "entries": [{"row": row, "link": scope.can_see_unit(row.outlet)} for row in rows],
        "rank_of": next((row.rank_of for row in rows if row.rank_of), 0),
        "groups": list(peer_groups_visible(scope=scope).order_by("code")),
        "units": bulletin_units(scope=scope),
        "keep": params.query(),
        "export_csv": f"{request.path}?{params.query(export='csv', **choice)}",
        "export_xlsx": f"{request.path}?{params.query(export='xlsx', **choice)}",
        "latest_url": f"{request.path}?{urlencode({'period': params.period_kind.value, **choice})}",
    }
    # The day's notes (标注) on the ranked units: a holiday or an outage explains the day's ranks.
    context["day_notes"] = annotations_of_bulletin(
        scope=scope, day=params.day, unit=unit, outlets=[row.outlet for row in rows] if group else None
    )
    # What other apps show beside the ranking (a running campaign's leaderboard): kpi.bulletin_sections.
    context["sections"] = bulletin_sections(
        scope=scope, day=params.day, unit=unit, outlets=[row.outlet for row in rows] if group else None
    )
    return render(request, "kpi/bulletin.html", context)
