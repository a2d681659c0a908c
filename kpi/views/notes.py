"""Notes on the figures (标注): a unit's notes page (list, add, delete), and the notes panel and chart marks
the scorecard and metric history pages show for the days of their charts."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.models import OrgUnit
from kpi.forms import AnnotationForm
from kpi.models import Metric
from kpi.selectors.notes import Notes, annotations_for, annotations_of_unit, get_annotation_or_404
from kpi.services.notes import annotation_create, annotation_delete
from kpi.views.charts import chart_marks
from kpi.views.common import PageParams, page_params, who
from lib.converters import CODE_REGEX
from lib.periods import parse_date
from staff.access import Scope, get_unit_or_404, scope_for_user
from staff.models import StaffMember

CODE = re.compile(CODE_REGEX)


def chart_notes(
    *, scope: Scope, entity: OrgUnit | StaffMember, params: PageParams, metric: Metric | None = None
) -> Notes:
    """The notes on the days of the page's charts (the last 30 or 90 days), as the reader may read them."""
    days = params.history_days
    if not days:
        return Notes(shown=[])
    return annotations_for(scope=scope, first=days[0], last=days[-1], metric=metric, **who(entity))


def notes_panel(
    *, scope: Scope, entity: OrgUnit | StaffMember, notes: Notes, params: PageParams, metric: Metric | None = None
) -> dict:
    """What templates/kpi/_notes.html shows: the notes of the charts' days as text (the charts are
    aria-hidden) and, on a unit's page, the link to its notes page (to add one, if the reader may)."""
    unit = entity if isinstance(entity, OrgUnit) else None
    query = {"date": params.day.isoformat() if params.day else "", "metric": metric.code if metric else ""}
    query = urlencode({name: value for name, value in query.items() if value})
    return {
        "chart_notes": notes.shown,
        "chart_notes_more": notes.more,
        "notes_url": f"{reverse('kpi:unit_notes', args=[unit.code])}?{query}" if unit else "",
        "may_annotate": unit is not None and scope.may_annotate(unit),
    }


def add_chart_notes(
    context: dict, *, blob: dict, scope: Scope, entity: OrgUnit | StaffMember, params: PageParams, metric=None
) -> None:
    """Puts the period boundaries and the notes into a chart blob (when there is one) and the notes panel
    into the page's context: what the scorecard and metric history pages each add in one line."""
    notes = chart_notes(scope=scope, entity=entity, params=params, metric=metric)
    if blob:
        blob.update(chart_marks(params.history_days, params.period_kind, notes.shown))
    context.update(notes_panel(scope=scope, entity=entity, notes=notes, params=params, metric=metric))


def _initial(request: HttpRequest) -> dict:
    """The form's first values from the link that opened the page (?date=&metric=), read leniently."""
    initial = {}
    with contextlib.suppress(ValueError):
        initial["start"] = parse_date(request.GET.get("date") or "")
    code = request.GET.get("metric") or ""
    metric = Metric.objects.filter(code=code, is_active=True).first() if CODE.fullmatch(code) else None
    if metric is not None:
        initial["metric"] = metric
    return initial


@login_required
def unit_notes(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's notes: every note that shows on its charts (its own, those above it and those below it),
    newest first, each with a delete button where the reader may delete it; and a form to add one for
    whoever may annotate the unit (staff.access: Scope.may_annotate)."""
    scope = scope_for_user(request.user)
    unit = get_unit_or_404(scope, code)
    may_annotate = scope.may_annotate(unit)
    form = None
    if may_annotate:
        form = AnnotationForm(request.POST or None, unit=unit, initial=_initial(request))
    if request.method == "POST":
        if not may_annotate:
            raise PermissionDenied(_("You may not write notes on this unit."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                annotation_create(
                    scope=scope,
                    unit=unit,
                    kind=data["kind"],
                    start=data["start"],
                    end=data["end"],
                    text=data["text"],
                    metric=data["metric"],
                    created_by=request.user,
                )
            except ValidationError as invalid:
                form.add_error(None, invalid)
            else:
                messages.success(request, _("The note is saved; it shows on the charts of these days."))
                return redirect("kpi:unit_notes", code=unit.code)
    notes = annotations_of_unit(scope=scope, unit=unit)
    params = page_params(request)
    context = {
        "unit": unit,
        "form": form,
        "entries": [{"note": note, "deletable": scope.may_annotate(note.unit)} for note in notes.shown],
        "more": notes.more,
        "scorecard_url": f"{reverse('kpi:unit_scorecard', args=[unit.code])}?{params.query()}",
    }
    return render(request, "kpi/unit_notes.html", context)


@login_required
@require_POST
def unit_note_delete(request: HttpRequest, code: str, note_id: int) -> HttpResponse:
    """Deletes a note from a unit's notes page: the note must be one the reader reads (404 otherwise) on
    a unit the reader may annotate (403 otherwise: an outlet head reads HQ's holiday, and keeps it)."""
    scope = scope_for_user(request.user)
    unit = get_unit_or_404(scope, code)
    note = get_annotation_or_404(scope, note_id)
    if not (note.unit.path.startswith(unit.path) or unit.path.startswith(note.unit.path)):
        raise Http404("No such note on this unit's page.")
    annotation_delete(scope=scope, annotation=note)
    messages.success(request, _("The note is deleted."))
    return redirect("kpi:unit_notes", code=unit.code)
