"""Early warning and follow-through pages (issue 8): the alerts to act on, one alert with its history and
follow-up forms, the Monday review (周例会) and the improvement plans (一点一策).

Who may do what is decided once, in staff.access, and asked through alerts.services (can_follow_up,
can_review, next_statuses and the review and plan services): a view looks the row up through the
reader's scope (404 outside it), shows forms only to those who may use them, and turns a service's
refusal into the page with the reason (400) or a 403. Every write is POST → redirect → GET with a
message; every list issues a fixed number of queries whatever the size of the network.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from alerts import selectors
from alerts.figures import alert_value_text, missed_figures, threshold_text
from alerts.forms import (
    AlertFilterForm,
    AlertFollowUpForm,
    AlertTransitionForm,
    CommentForm,
    MeasureForm,
    PlanForm,
    ReviewAnswerForm,
    ReviewFillForm,
)
from alerts.models import (
    DEFAULT_MIN_TIME_PROGRESS,
    Alert,
    AlertRule,
    AlertStatus,
    Cause,
    ReviewStatus,
    RuleKind,
    WeeklyReview,
)
from alerts.services.follow_up import (
    FOLLOW_UP_FIELDS,
    alert_comment,
    alert_transition,
    alert_update,
    can_follow_up,
    is_overdue,
    next_statuses,
)
from alerts.services.plans import (
    NOT_A_PLAN_PERIOD,
    PLAN_PERIOD_KINDS,
    can_plan,
    plan_create,
    plan_measure_add,
    plan_measure_update,
)
from alerts.services.raised import raised_for
from alerts.services.reviews import REVIEW_FIELDS, can_answer_review, can_fill_review, review_answer, review_submit
from alerts.tables import ALERTS
from kpi.models import Metric
from lib.forms import refusal_on_form
from lib.periods import parse_date, parse_period
from staff.access import has_follow_up_work, scope_for_user

EXPORT_FORMATS = ("csv", "xlsx")
PAGE_SIZE = 50
# A download holds the list's first rows; more alerts than this are not worked from one spreadsheet.
EXPORT_LIMIT = 10_000


def _field_label(name: str) -> str:
    """The label of an Alert field named in a service's error ({"owner": "Needed …"})."""
    if name == "comment":
        return _("Comment")
    try:
        return capfirst(str(Alert._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:  # a name that is not a field: show it as it is
        return name


def _error_messages(error: ValidationError) -> list[str]:
    """A service's ValidationError as sentences that name the field they are about."""
    if hasattr(error, "error_dict"):
        return [
            f"{_field_label(name)}: {message}" for name, messages in error.message_dict.items() for message in messages
        ]
    return list(error.messages)


def _export_links(request: HttpRequest) -> dict[str, str]:
    links = {}
    for format_name in EXPORT_FORMATS:
        query = request.GET.copy()
        query.pop("page", None)
        query["export"] = format_name
        links[f"export_{format_name}"] = f"{request.path}?{query.urlencode()}"
    return links


# -- alerts --------------------------------------------------------------------------------------------


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    """/alerts/: the alerts of the reader's scope, overdue ones first, then by deadline; filters by status
    (default: still to act on), rule, unit (its subtree) and overdue; CSV/Excel of what is listed."""
    scope = scope_for_user(request.user)
    today = timezone.localdate()
    form = AlertFilterForm(request.GET or None, scope=scope, user=request.user)
    alerts = selectors.alerts_visible(scope=scope, today=today, **form.filters())
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        return _alert_export(export, alerts[:EXPORT_LIMIT], today)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    waiting = selectors.waiting_for(request.user)
    badge = {}
    if has_follow_up_work(request.user):
        # The header's number, from the same count (the context processor's would ask again).
        badge["alert_badge"] = sum(item.count for item in waiting)
    return render(
        request,
        "alerts/alert_list.html",
        {
            **badge,
            "section": "alerts",
            "form": form,
            "waiting": waiting,
            "page": page,
            "today": today,
            "keep": query.urlencode(),
            "read_only": not scope.may_write,
            **_export_links(request),
        },
    )


def _alert_export(format_name: str, alerts, today: datetime.date) -> HttpResponse:
    """The listed alerts (alerts.tables.ALERTS)."""
    return ALERTS.response(format_name, f"alerts-{today:%Y%m%d}", alerts)


def _min_time_progress(rule: AlertRule):
    return DEFAULT_MIN_TIME_PROGRESS if rule.min_time_progress is None else rule.min_time_progress


def rule_description(rule: AlertRule) -> str:
    """The rule's parameters in a sentence, for the reader who asks "why did this fire?"."""
    values = {
        "metric": rule.metric.name if rule.metric_id else "",
        "period": rule.get_period_display(),
        "comparison": rule.get_comparison_display() if rule.comparison else "",
        "threshold": threshold_text(rule),
        "days": rule.days_running,
        "k": f"{rule.k.normalize():f}" if rule.k is not None else "—",
        "window": rule.window_days,
        "cutoff": rule.cutoff.strftime("%H:%M") if rule.cutoff else "—",
        "progress": f"{_min_time_progress(rule) * 100:.0f}%",
        "floor": f"{(rule.threshold if rule.threshold is not None else 1) * 100:.0f}%",
    }
    if rule.kind == RuleKind.BEHIND_PACE:
        text = _("%(metric)s: pace-adjusted attainment (%(period)s) under %(threshold)s for %(days)s days running.")
    elif rule.kind == RuleKind.THRESHOLD:
        text = _("%(metric)s (%(period)s) %(comparison)s %(threshold)s.")
    elif rule.kind == RuleKind.SUDDEN_CHANGE:
        text = _("%(metric)s: the day's value more than %(k)s standard deviations from the %(window)s days before.")
    elif rule.kind == RuleKind.MISSING_DATA:
        text = _("An outlet's facts not in by %(cutoff)s the next morning.")
    elif rule.kind == RuleKind.FORECAST_MISS:
        text = _(
            "%(metric)s: projected attainment (%(period)s) under %(floor)s at this pace, once %(progress)s of the "
            "period has passed."
        )
    elif rule.kind == RuleKind.INSPECTION:
        text = _("A finding of an inspection of the outlet, to rectify by its deadline and re-check (整改 → 复查).")
    elif rule.kind == RuleKind.OVERDUE_REPLY:
        text = _("A complaint of the outlet not replied to by its reply deadline.")
    else:
        text = _("A scorecard of the day is vetoed (一票否决).")
    return text % values


def _change_value(name: str, value: str | None) -> str | None:
    """A recorded value as the reader knows it: a cause by its label, the rest as recorded."""
    if name == "cause" and value in Cause.values:
        return Cause(value).label
    return value


def _history_rows(alert: Alert) -> list[dict]:
    rows = []
    for event in selectors.alert_history(alert=alert):
        changes = [
            {"field": _field_label(name), "old": _change_value(name, old), "new": _change_value(name, new)}
            for name, (old, new) in (event.changes or {}).items()
        ]
        rows.append(
            {
                "event": event,
                "who": (event.by.get_full_name() or event.by.username) if event.by_id else _("The system"),
                "from": AlertStatus(event.from_status).label if event.from_status in AlertStatus.values else "",
                "to": AlertStatus(event.to_status).label if event.to_status in AlertStatus.values else "",
                "changes": changes,
            }
        )
    return rows


@login_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    """/alerts/<id>/: what was seen, the rule, the history; for those who may follow it up the owner /
    cause / plan / deadline form, the moves next_statuses() allows and a comment box."""
    scope = scope_for_user(request.user)
    today = timezone.localdate()
    alert = selectors.alert_get_or_404(scope=scope, alert_id=alert_id, today=today)
    may_act = can_follow_up(request.user, alert)
    update_form = AlertFollowUpForm(alert=alert) if may_act else None
    transition_form = AlertTransitionForm() if may_act else None
    comment_form = CommentForm() if may_act else None
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not may_act:
            raise PermissionDenied(_("You may read this alert but not follow it up."))
        action = request.POST.get("action")
        try:
            if action == "update":
                update_form = AlertFollowUpForm(request.POST, alert=alert)
                if update_form.is_valid():
                    try:
                        alert_update(alert=alert, by=request.user, **update_form.cleaned_data)
                    except ValidationError as refused:
                        # Said at the field it names (the deadline, the owner).
                        refusal_on_form(update_form, refused)
                    else:
                        messages.success(request, _("The follow-up of the alert is saved."))
                        return redirect("alerts:alert_detail", alert_id=alert.pk)
            elif action == "transition":
                transition_form = AlertTransitionForm(request.POST)
                if transition_form.is_valid():
                    to = transition_form.cleaned_data["to"]
                    alert_transition(
                        alert=alert, to=to, by=request.user, comment=transition_form.cleaned_data["comment"]
                    )
                    messages.success(request, _("The alert is now “%(status)s”.") % {"status": AlertStatus(to).label})
                    return redirect("alerts:alert_detail", alert_id=alert.pk)
            elif action == "comment":
                comment_form = CommentForm(request.POST)
                if comment_form.is_valid():
                    alert_comment(alert=alert, by=request.user, text=comment_form.cleaned_data["text"])
                    messages.success(request, _("Your comment is added to the history."))
                    return redirect("alerts:alert_detail", alert_id=alert.pk)
            else:
                errors.append(_("Use one of the page's buttons: save the follow-up, change the status or comment."))
        except ValidationError as refused:
            errors.extend(_error_messages(refused))
        except PermissionDenied as refused:
            # The user may follow it up but not make this move (the outlet head does not verify her own work).
            errors.append(str(refused) or _("You may not do this."))
            status = 403
        if status == 200:
            status = 400
        alert.refresh_from_db()
        alert.overdue = is_overdue(alert, today)
    moves = [{"status": value, "label": AlertStatus(value).label} for value in next_statuses(request.user, alert)]
    context = {
        "section": "alerts",
        "alert": alert,
        "today": today,
        "rule_text": rule_description(alert.rule),
        "value_text": alert_value_text(alert),
        "history": _history_rows(alert),
        "may_act": may_act,
        "update_form": update_form,
        "transition_form": transition_form,
        "comment_form": comment_form,
        "moves": moves,
        "needs_before_work": [_field_label(name) for name in FOLLOW_UP_FIELDS if not getattr(alert, name)],
        "errors": errors,
        "scorecard_url": reverse("kpi:unit_scorecard", args=[alert.unit.code]),
        "raised_for": raised_for(alert, scope),
    }
    return render(request, "alerts/alert_detail.html", context, status=status)


# -- shared by the review and plan forms --------------------------------------------------------------


def _week_param(request: HttpRequest, weeks: list[datetime.date]) -> tuple[datetime.date | None, str]:
    """The week asked for (its Monday, YYYY-MM-DD), else the latest with reviews; and what was wrong."""
    text = (request.GET.get("week") or "").strip()
    if not text:
        return (weeks[0] if weeks else None), ""
    try:
        week = parse_date(text)
    except ValueError:
        week = None
    if week is None or week.weekday() != 0:
        error = _("“%(value)s” is not a week's Monday; pick a week from the list.") % {"value": text}
        return (weeks[0] if weeks else None), error
    return week, ""


def _metric_names(reviews) -> dict[str, Metric]:
    """The metrics the reviews' missed targets name, by code (their names and units)."""
    codes = {entry.get("metric") for review in reviews for entry in (review.missed or []) if isinstance(entry, dict)}
    return {metric.code: metric for metric in Metric.objects.filter(code__in=codes - {None})}


def _missed_rows(review: WeeklyReview, metrics: dict[str, Metric]) -> list[dict]:
    """The week's missed targets as kpi_format writes them: the figures with the decimals of the metric's
    unit and the unit beside them ("50 户", not "50.0000"), the attainment as "76.0%"."""
    rows = []
    for entry in review.missed or []:
        if not isinstance(entry, dict):
            continue
        metric = metrics.get(entry.get("metric"))
        rows.append({"metric": metric.name if metric else entry.get("metric"), **missed_figures(entry, metric)})
    return rows


# -- the Monday review (周例会) -------------------------------------------------------------------------


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    """/reviews/: the week's reviews of the outlets in scope (default: the latest week with reviews), each
    with the targets it missed, what the outlet wrote and the manager's answer; links to fill in or answer."""
    scope = scope_for_user(request.user)
    weeks = selectors.review_weeks(scope=scope)
    week, week_error = _week_param(request, weeks)
    status = request.GET.get("status") or ""
    if status not in ReviewStatus.values:
        status = ""
    reviews = selectors.reviews_visible(scope=scope, week=week, status=status or None) if week else None
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page")) if reviews is not None else None
    names = _metric_names(page.object_list) if page else {}
    rows = [
        {
            "review": review,
            "missed": _missed_rows(review, names),
            "can_fill": review.status != ReviewStatus.ANSWERED and can_fill_review(request.user, review),
            "can_answer": review.status != ReviewStatus.TO_FILL and can_answer_review(request.user, review),
        }
        for review in (page.object_list if page else [])
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "alerts/review_list.html",
        {
            "section": "reviews",
            "weeks": weeks,
            "week": week,
            "week_end": week + datetime.timedelta(days=6) if week else None,
            "week_error": week_error,
            "status": status,
            "statuses": ReviewStatus.choices,
            "page": page,
            "rows": rows,
            "keep": query.urlencode(),
        },
    )


@login_required
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    """/reviews/<id>/: one review; its outlet head (or a manager above) fills it in until it is answered,
    the unit manager above (or HQ) answers it once submitted."""
    scope = scope_for_user(request.user)
    review = selectors.review_get_or_404(scope=scope, review_id=review_id)
    may_fill = review.status != ReviewStatus.ANSWERED and can_fill_review(request.user, review)
    may_answer = review.status != ReviewStatus.TO_FILL and can_answer_review(request.user, review)
    fill_form = ReviewFillForm(initial={name: getattr(review, name) for name in REVIEW_FIELDS}) if may_fill else None
    answer_form = ReviewAnswerForm(initial={"answer": review.answer}) if may_answer else None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "fill" and may_fill:
            fill_form = ReviewFillForm(request.POST)
            if fill_form.is_valid():
                try:
                    review_submit(review=review, by=request.user, **fill_form.cleaned_data)
                except ValidationError as refused:
                    refusal_on_form(fill_form, refused)
                else:
                    messages.success(request, _("The review is submitted; the unit manager sees it."))
                    return redirect("alerts:review_detail", review_id=review.pk)
        elif action == "answer" and may_answer:
            answer_form = ReviewAnswerForm(request.POST)
            if answer_form.is_valid():
                try:
                    review_answer(review=review, by=request.user, answer=answer_form.cleaned_data["answer"])
                except ValidationError as refused:
                    refusal_on_form(answer_form, refused)
                else:
                    messages.success(request, _("Your answer is saved; the outlet sees it."))
                    return redirect("alerts:review_detail", review_id=review.pk)
        else:
            # Not one's review to fill in or answer (an auditor, the outlet head answering, a closed review).
            raise PermissionDenied(_("You may not change this review."))
        status = 400
        review.refresh_from_db()
    return render(
        request,
        "alerts/review_detail.html",
        {
            "section": "reviews",
            "review": review,
            "week_end": review.week_start + datetime.timedelta(days=6),
            "missed": _missed_rows(review, _metric_names([review])),
            "fill_form": fill_form,
            "answer_form": answer_form,
        },
        status=status,
    )


# -- improvement plans (一点一策) ------------------------------------------------------------------------


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    """/plans/: the plans of the outlets in scope, latest period first, with their progress; a new plan
    (one per outlet and period) for those who may write them."""
    scope = scope_for_user(request.user)
    period = (request.GET.get("period") or "").strip()
    if period:
        # Read by the one parser: 2026-11 as typed finds the plans of 2026-11; anything else finds none,
        # and says what is expected.
        try:
            period = parse_period(period, kinds=PLAN_PERIOD_KINDS).code
        except ValueError:
            messages.error(request, str(NOT_A_PLAN_PERIOD))
    form = PlanForm(scope=scope) if scope.may_write else None
    status = 200
    if request.method == "POST":
        if not scope.may_write:
            raise PermissionDenied(_("You may read the plans but not write them."))
        form = PlanForm(request.POST, scope=scope)
        if form.is_valid():
            try:
                plan = plan_create(
                    unit=form.cleaned_data["unit"],
                    period=form.cleaned_data["period"].code,
                    title=form.cleaned_data["title"],
                    diagnosis=form.cleaned_data["diagnosis"],
                    by=request.user,
                )
            except ValidationError as refused:
                refusal_on_form(form, refused)
            except PermissionDenied as refused:
                form.add_error("unit", str(refused))
            else:
                messages.success(request, _("The plan is made; add its measures."))
                return redirect("alerts:plan_detail", plan_id=plan.pk)
        status = 400
    plans = selectors.plans_visible(scope=scope, period=period or None)
    page = Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "alerts/plan_list.html",
        {
            "section": "plans",
            "period": period,
            "page": page,
            "rows": [{"plan": plan, "progress": selectors.plan_progress(plan)} for plan in page.object_list],
            "form": form,
            "keep": query.urlencode(),
        },
        status=status,
    )


@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """/plans/<id>/: a plan's measures with owner, due date and progress; add a measure, update one."""
    scope = scope_for_user(request.user)
    plan = selectors.plan_get_or_404(scope=scope, plan_id=plan_id)
    may_write = can_plan(request.user, plan.unit)
    measures = list(plan.measures.all())
    people = list(selectors.alert_owner_candidates(alert=Alert(unit=plan.unit))) if may_write else []
    add_form = MeasureForm(people=people, prefix="new") if may_write else None
    row_forms = (
        {measure.pk: MeasureForm.for_measure(measure, people=people) for measure in measures} if may_write else {}
    )
    status = 200
    if request.method == "POST":
        if not may_write:
            raise PermissionDenied(_("You may read this plan but not change it."))
        action = request.POST.get("action")
        by_id = {measure.pk: measure for measure in measures}
        try:
            if action == "add":
                add_form = MeasureForm(request.POST, people=people, prefix="new")
                if add_form.is_valid():
                    plan_measure_add(plan=plan, by=request.user, **add_form.cleaned_data)
                    messages.success(request, _("The measure is added."))
                    return redirect("alerts:plan_detail", plan_id=plan.pk)
            elif action == "update" and _int(request.POST.get("measure")) in by_id:
                measure = by_id[_int(request.POST.get("measure"))]
                form = MeasureForm.for_measure(measure, people=people, data=request.POST)
                row_forms[measure.pk] = form
                if form.is_valid():
                    plan_measure_update(measure=measure, by=request.user, **form.cleaned_data)
                    messages.success(request, _("The measure is updated."))
                    return redirect("alerts:plan_detail", plan_id=plan.pk)
            else:
                messages.error(request, _("That measure is not part of this plan."))
        except ValidationError as refused:
            refusal_on_form(row_forms.get(_int(request.POST.get("measure"))) or add_form, refused)
        status = 400
    return render(
        request,
        "alerts/plan_detail.html",
        {
            "section": "plans",
            "plan": plan,
            "progress": selectors.plan_progress(plan),
            "rows": [{"measure": measure, "form": row_forms.get(measure.pk)} for measure in measures],
            "add_form": add_form,
            "may_write": may_write,
        },
        status=status,
    )


def _int(text) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None
