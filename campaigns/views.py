"""The campaign pages (issue 20), phone first:

- /campaigns/: the campaigns a reader sees, running first, then coming, then finished.
- /campaigns/<code>/: a campaign: its period and time progress, focus metrics and their rules, the uplift
  against the same number of days just before it, the outlet leaderboard, the staff leaderboard (?unit=
  an outlet: what was credited there), its scripts (话术) and materials, its gift budget.
- /campaigns/<code>/gifts/: the gift ledger (masked customer numbers and names), its summary per outlet,
  and the form to record a gift (a staff member their own; the outlet head and the managers above
  for their staff).

Looked up through the reader's scope (a campaign or an outlet outside it: 404). A write is POST →
redirect → GET with a message; a refused one shows the page again with the reasons (400), writing nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from branches.models import OrgUnit, UnitKind
from campaigns import selectors
from campaigns.forms import CampaignForm, GiftForm
from campaigns.models import Campaign, MaterialKind
from campaigns.services import campaign_create, gift_record
from kpi.models import Aggregation, Metric
from lib.numbers import format_number
from staff.access import Scope, get_unit_or_404, scope_for_user
from staff.models import Assignment, StaffMember

GIFTS_PER_PAGE = 50
STAFF_SHOWN = 20


def _state(campaign: Campaign, today) -> str:
    if campaign.start > today:
        return "coming"
    if campaign.end < today:
        return "finished"
    return "running"


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    today = timezone.localdate()
    campaigns = list(selectors.campaigns_visible(scope).select_related("unit").order_by("-end", "code"))
    groups = {"running": [], "coming": [], "finished": []}
    for campaign in campaigns:
        groups[_state(campaign, today)].append(campaign)
    context = {
        "running": sorted(groups["running"], key=lambda c: (c.end, c.code)),
        "coming": sorted(groups["coming"], key=lambda c: (c.start, c.code)),
        "finished": groups["finished"],
        "today": today,
        "may_create": scope.may_manage_campaigns(),
    }
    return render(request, "campaigns/list.html", context)


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    """/campaigns/new/: a unit manager sets up their sub-branch's own campaign (HQ may too; HQ's full
    set-up, targets per outlet and materials, is in the admin)."""
    scope = scope_for_user(request.user)
    if not scope.may_manage_campaigns():
        raise Http404("No campaigns to organise for this login.")
    units = [
        unit
        for unit in scope.units(OrgUnit.objects.exclude(kind=UnitKind.OUTLET)).order_by("path")
        if scope.may_manage_campaigns(unit)
    ]
    metrics = list(Metric.objects.filter(aggregation=Aggregation.SUM, is_active=True).order_by("sort_order", "code"))
    today = timezone.localdate()
    form = CampaignForm(units=units, metrics=metrics, initial={"start": today, "end": today})
    status = 200
    if request.method == "POST":
        form = CampaignForm(request.POST, units=units, metrics=metrics)
        if form.is_valid():
            data = form.cleaned_data
            try:
                campaign = campaign_create(
                    scope=scope,
                    user=request.user,
                    unit=data["unit"],
                    code=data["code"],
                    name_zh=data["name_zh"],
                    theme=data["theme"],
                    start=data["start"],
                    end=data["end"],
                    lines=form.focus_lines(),
                    gift_budget=data["gift_budget"],
                    gift_limit_per_customer=data.get("gift_limit_per_customer"),
                    description=data.get("description", ""),
                    script_title=data.get("script_title", ""),
                    script_body=data.get("script_body", ""),
                )
            except ValidationError as refused:
                for field_messages in refused.message_dict.values():
                    for message in field_messages:
                        messages.error(request, message)
            else:
                messages.success(request, _("Campaign %(name)s set up.") % {"name": campaign.name})
                return redirect(reverse("campaigns:detail", args=[campaign.code]))
        status = 400
    return render(request, "campaigns/new.html", {"form": form}, status=status)


@login_required
@require_GET
def campaign_detail(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    campaign = selectors.get_campaign_or_404(scope, code)
    today = timezone.localdate()
    unit = None
    if request.GET.get("unit"):
        unit = get_unit_or_404(scope, request.GET["unit"])
    outlets = selectors.outlet_leaderboard(campaign=campaign, scope=scope)
    staff_rows = selectors.staff_leaderboard(campaign=campaign, scope=scope, unit=unit)
    as_of = selectors.counted_until()
    first, last = selectors.window_of(campaign, as_of)
    elapsed = max(min((last - first).days + 1, campaign.days), 0)
    materials = list(campaign.materials.all())
    used = selectors.budget_used(campaign)
    context = {
        "campaign": campaign,
        "state": _state(campaign, today),
        "lines": selectors.focus_lines(campaign),
        "time_progress": elapsed / campaign.days,
        "elapsed": elapsed,
        "uplifts": selectors.uplift(campaign=campaign, as_of=as_of),
        "before": selectors.days_before(campaign, as_of),
        "outlet_rows": outlets,
        "staff_rows": staff_rows[:STAFF_SHOWN],
        "staff_more": max(len(staff_rows) - STAFF_SHOWN, 0),
        "unit": unit,
        "scripts": [m for m in materials if m.kind == MaterialKind.SCRIPT],
        "materials": [m for m in materials if m.kind != MaterialKind.SCRIPT],
        "budget_used": used,
        "budget_share": (used / campaign.gift_budget) if campaign.gift_budget else None,
        "own_outlet": _own_outlet(request, scope, outlets),
    }
    return render(request, "campaigns/detail.html", context)


def _own_outlet(request: HttpRequest, scope: Scope, rows) -> OrgUnit | None:
    """The reader's outlet among the campaign's (an outlet head's; a staff member's first): its row is
    marked on the board."""
    user = request.user
    if user.unit_id and user.unit.kind == UnitKind.OUTLET:
        return user.unit
    if scope.staff_id:
        held = (
            Assignment.objects.on(timezone.localdate())
            .filter(staff_id=scope.staff_id)
            .values_list("unit_id", flat=True)
        )
        ids = set(held)
        return next((row.outlet for row in rows if row.outlet.pk in ids), None)
    return None


def _gift_staff(scope: Scope, campaign: Campaign, today) -> list[StaffMember]:
    """Whom the reader may record a gift for: themselves (a staff member), or the staff working today at
    the campaign's outlets of their subtree (one query)."""
    if scope.staff_id:
        return list(StaffMember.objects.filter(pk=scope.staff_id))
    if not scope.sees_units or not scope.may_write:
        return []
    outlets = scope.units(selectors.campaign_outlets(campaign))
    held = Assignment.objects.on(today).filter(unit__in=outlets).values("staff_id")
    return list(StaffMember.objects.filter(pk__in=held).order_by("code"))


@login_required
def campaign_gifts(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    campaign = selectors.get_campaign_or_404(scope, code)
    today = timezone.localdate()
    people = _gift_staff(scope, campaign, today) if campaign.gift_budget > 0 else []
    may_record = bool(people) and campaign.start <= today
    form = (
        GiftForm(staff_members=people, scope=scope, initial={"day": min(today, campaign.end)}) if may_record else None
    )
    status = 200
    if request.method == "POST":
        if not may_record:
            raise Http404("No gifts to record here.")
        form = GiftForm(request.POST, staff_members=people, scope=scope)
        if form.is_valid():
            data = form.cleaned_data
            try:
                gift = gift_record(
                    scope=scope,
                    user=request.user,
                    campaign=campaign,
                    staff=data["staff"],
                    day=data["day"],
                    customer_code=data["customer_code"],
                    customer_name=data.get("customer_name", ""),
                    item=data["item"],
                    value=data["value"],
                    note=data.get("note", ""),
                    today=today,
                )
            except ValidationError as refused:
                for field_messages in refused.message_dict.values():
                    for message in field_messages:
                        messages.error(request, message)
            else:
                messages.success(
                    request,
                    _("Recorded: %(item)s, %(value)s yuan.")
                    % {"item": gift.item, "value": format_number(gift.value, 2)},
                )
                return redirect(reverse("campaigns:gifts", args=[campaign.code]))
        status = 400

    gifts = selectors.gifts_visible(scope, campaign).select_related("unit", "staff").order_by("-day", "-pk")
    page = Paginator(gifts, GIFTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "gift": gift,
            "customer_code": scope.customer_code(gift.customer_code),
            "customer_name": scope.person_name(gift.customer_name) if gift.customer_name else "",
            "staff_name": scope.person_name(gift.staff.name),
        }
        for gift in page.object_list
    ]
    used = selectors.budget_used(campaign)
    context = {
        "campaign": campaign,
        "form": form,
        "rows": rows,
        "page": page,
        "summary": selectors.gift_summary(selectors.gifts_visible(scope, campaign)),
        "budget_used": used,
        "budget_left": campaign.gift_budget - used,
    }
    return render(request, "campaigns/gifts.html", context, status=status)
