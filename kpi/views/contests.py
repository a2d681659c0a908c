"""PK contests (两两一组 PK) and benchmark outlets (标杆网点)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.forms import ContestForm, PairFormSet
from kpi.models import Contest
from kpi.selectors.contests import (
    BenchmarkComparison,
    benchmark_comparison,
    contest_get_or_404,
    contest_standings_for,
    contests_visible,
)
from kpi.selectors.rollout import rollouts_of
from kpi.selectors.scorecards import latest_rolled_up_date
from kpi.services.contests import (
    can_create_contests,
    contest_create,
    contest_pairs_propose,
    contest_pairs_set,
    contest_period,
    contest_standings,
)
from kpi.services.judging import entrants, is_judge, judge_sheet_save, judging_closed, sheets_visible
from kpi.tables import BENCHMARK, CONTEST_STANDINGS, CONTESTS
from kpi.views.common import EXPORT_FORMATS, export_links
from staff.access import Scope, get_benchmark_or_404, scope_for_user

# Rows for more pairs under a proposal (or an empty form), to add pairs by hand.
EXTRA_PAIR_ROWS = 2


def _contest_status(contest: Contest, today: datetime.date) -> tuple[str, str]:
    if today < contest.period_start:
        return "upcoming", _("Not started")
    if today > contest.period_end:
        return "ended", _("Ended")
    return "running", _("Running")


@login_required
def contest_list(request: HttpRequest) -> HttpResponse:
    """The contests the reader may follow: organised inside their scope, or with their outlets in it."""
    scope = scope_for_user(request.user)
    today = timezone.localdate()
    contests = list(
        contests_visible(scope=scope)
        .select_related("unit")
        .annotate(pair_count=Count("pairs"))
        .order_by("-period_start", "name")
    )
    rows = []
    for contest in contests:
        period, _calendar = contest_period(contest)
        status, status_label = _contest_status(contest, today)
        rows.append({"contest": contest, "period": period, "status": status, "status_label": status_label})
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        return CONTESTS.response(export, f"contests-{today:%Y%m%d}", rows)
    return render(
        request,
        "kpi/contest_list.html",
        {"rows": rows, "can_create": can_create_contests(request.user), **export_links(request)},
    )


def _contest_export(format_name: str, standings) -> HttpResponse:
    """One row per pair and metric (kpi.tables.CONTEST_STANDINGS)."""
    rows = ({"pair": pair, "duel": duel} for pair in standings.pairs for duel in pair.metrics)
    return CONTEST_STANDINGS.response(format_name, f"contest-{standings.contest.pk}", rows)


@login_required
def contest_detail(request: HttpRequest, contest_id: int) -> HttpResponse:
    """Head to head, pair by pair, as of the latest rolled-up day; the winner once the contest is over."""
    scope = scope_for_user(request.user)
    contest = contest_get_or_404(scope=scope, contest_id=contest_id)
    latest = latest_rolled_up_date()
    # A judged contest closes by the calendar (kpi.services.judging), not by the rolled-up days.
    as_of = timezone.localdate() if contest.judged else (latest or timezone.localdate())
    standings = contest_standings_for(contest_standings(contest=contest, as_of=as_of), scope=scope)
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        return _contest_export(export, standings)
    # Outlets link to their scorecards only where the reader may go (no query: paths are loaded).
    visible = {
        outlet.pk for pair in standings.pairs for outlet in (pair.outlet_a, pair.outlet_b) if scope.can_see_unit(outlet)
    }
    return render(
        request,
        "kpi/contest_detail.html",
        {
            "contest": contest,
            "standings": standings,
            "latest": latest,
            "visible": visible,
            "is_judge": contest.judged and is_judge(contest, request.user),
            **export_links(request),
        },
    )


@login_required
def contest_judge(request: HttpRequest, contest_id: int) -> HttpResponse:
    """A judge's score sheets (评分表) of a judged contest: one form per outlet; before the close a judge
    sees only their own sheets (kpi.services.judging). Only the panel opens it."""
    scope = scope_for_user(request.user)
    contest = contest_get_or_404(scope=scope, contest_id=contest_id)
    if not contest.judged or not is_judge(contest, request.user):
        raise Http404("Not a judge of this contest.")
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    outlets = entrants(contest)
    if request.method == "POST":
        outlet = next((outlet for outlet in outlets if outlet.code == request.POST.get("outlet")), None)
        if outlet is None:
            errors = {"outlet": [_("Choose an outlet of the contest.")]}
        else:
            scores = {
                key.removeprefix("item-"): value for key, value in request.POST.items() if key.startswith("item-")
            }
            try:
                judge_sheet_save(
                    contest=contest,
                    judge=request.user,
                    outlet=outlet,
                    scores=scores,
                    comment=request.POST.get("comment", ""),
                    today=today,
                )
            except ValidationError as invalid:
                errors = invalid.message_dict
            else:
                messages.success(request, _("Sheet for %(outlet)s saved.") % {"outlet": outlet.name})
                return redirect("kpi:contest_judge", contest_id=contest.pk)
    items = list(contest.judging_items.all())
    mine = {
        sheet.outlet_id: sheet
        for sheet in sheets_visible(contest=contest, user=request.user, today=today).filter(judge=request.user)
    }
    rows = []
    for outlet in outlets:
        sheet = mine.get(outlet.pk)
        rows.append(
            {
                "outlet": outlet,
                "sheet": sheet,
                "items": [(item, (sheet.scores.get(str(item.pk)) if sheet else "")) for item in items],
            }
        )
    closed = judging_closed(contest, today)
    status = 400 if errors else 200
    return render(
        request,
        "kpi/contest_judge.html",
        {"contest": contest, "rows": rows, "items": items, "closed": closed, "errors": errors},
        status=status,
    )


def _outlet_choices(unit: OrgUnit | None, scope: Scope) -> list[tuple[str, str]]:
    outlets = OrgUnit.objects.subtree(unit) if unit is not None else scope.units()
    return [(outlet.code, f"{outlet.code} {outlet.name}") for outlet in outlets.outlets().active().order_by("code")]


@login_required
def contest_new(request: HttpRequest) -> HttpResponse:
    """Create a contest: settings first; "Propose pairs" pairs outlets of similar score (editable rows);
    "Create" saves the contest and its pairs together, or nothing."""
    if not can_create_contests(request.user):
        raise PermissionDenied(_("Only HQ administrators and unit managers create contests."))
    scope = scope_for_user(request.user)
    form = ContestForm(request.POST or None, scope=scope)
    pairs = None
    proposal = None
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action")
        unit = form.cleaned_data.get("unit") if form.is_valid() else None
        choices = _outlet_choices(unit, scope)
        submitted = "pairs-TOTAL_FORMS" in request.POST
        if action == "propose" and unit is not None:
            period = form.cleaned_data["period"]
            draft = Contest(unit=unit, period_start=period.start, period_end=period.end)
            # Pair by the month score before the contest starts (or the latest, for a contest under way).
            proposal = contest_pairs_propose(contest=draft, as_of=period.start - datetime.timedelta(days=1))
            initial = [{"outlet_a": a.code, "outlet_b": b.code} for a, b in proposal.pairs]
            initial += [{}] * EXTRA_PAIR_ROWS
            pairs = PairFormSet(initial=initial, prefix="pairs", form_kwargs={"outlet_choices": choices})
        elif submitted:
            pairs = PairFormSet(request.POST, prefix="pairs", form_kwargs={"outlet_choices": choices})
        if action == "create" and not submitted:
            errors.append(_("Propose pairs first, then check them and create the contest."))
        elif action == "create" and form.is_valid() and pairs.is_valid():
            chosen = [(row["outlet_a"], row["outlet_b"]) for row in pairs.cleaned_data if row.get("outlet_a")]
            if not chosen:
                errors.append(_("Add at least one pair, or let the page propose pairs."))
            else:
                contest = _contest_save(request, form, chosen, errors)
                if contest is not None:
                    messages.success(request, _("Contest “%(name)s” created.") % {"name": contest.name})
                    return redirect("kpi:contest_detail", contest_id=contest.pk)
    return render(
        request,
        "kpi/contest_form.html",
        {"form": form, "pairs": pairs, "proposal": proposal, "errors": errors},
    )


def _contest_save(request: HttpRequest, form: ContestForm, chosen: list[tuple[str, str]], errors: list[str]):
    """The contest and its pairs in one transaction; the problems are added to `errors` otherwise."""
    units = OrgUnit.objects.in_bulk({code for pair in chosen for code in pair}, field_name="code")
    period = form.cleaned_data["period"]
    try:
        with transaction.atomic():
            contest = contest_create(
                name=form.cleaned_data["name"],
                unit=form.cleaned_data["unit"],
                period_start=period.start,
                period_end=period.end,
                template=form.cleaned_data["template"],
                metrics=form.cleaned_data["metrics"],
                created_by=request.user,
            )
            contest_pairs_set(contest=contest, pairs=[(units[a], units[b]) for a, b in chosen])
    except ValidationError as invalid:
        errors.extend(invalid.messages)
        return None
    return contest


@login_required
def benchmark(request: HttpRequest, code: str) -> HttpResponse:
    """A benchmark outlet (标杆网点) next to the outlets that replicate it (标杆复制网点): each replica's month
    before its transformation and its latest month, beside the benchmark's latest month."""
    scope = scope_for_user(request.user)
    # A replica's manager reads the benchmark it copies, even outside their subtree (Scope.benchmarks);
    # the link to the benchmark's own scorecard shows only to those who may open it.
    outlet = get_benchmark_or_404(scope, code)
    comparison = benchmark_comparison(scope=scope, benchmark=outlet)
    # The rollout's progress (导入 → 固化 → 验收, readiness) beside each replica's before and after.
    rollouts = rollouts_of(outlet_ids=[replica.outlet.pk for replica in comparison.replicas])
    for replica in comparison.replicas:
        replica.rollout = rollouts.get(replica.outlet.pk)
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        return _benchmark_export(export, comparison)
    context = {
        "comparison": comparison,
        "benchmark": outlet,
        "sees_benchmark": scope.can_see_unit(outlet),
    }
    return render(request, "kpi/benchmark.html", {**context, **export_links(request)})


def _benchmark_export(format_name: str, comparison: BenchmarkComparison) -> HttpResponse:
    """One row per replica and metric (kpi.tables.BENCHMARK)."""
    rows = ({"replica": replica, "row": row} for replica in comparison.replicas for row in replica.rows)
    return BENCHMARK.response(format_name, f"benchmark-{comparison.benchmark.code}", rows)
