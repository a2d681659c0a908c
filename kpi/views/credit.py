"""The credit splits page (分润): the standing rules HQ set, as they apply at a unit, and for whoever may
(staff.access: Scope.may_adjust_credit_split) a form per rule to move an outlet's share within the
rule's limits, with a reason. Every change is kept and listed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kpi.forms import CreditSplitAdjustmentForm
from kpi.selectors.credit import credit_adjustments_below, credit_rules_at, credit_rules_listed, credit_split_history
from kpi.services.credit import credit_split_adjust
from lib.numbers import plain_number
from staff.access import get_unit_or_404, scope_for_user


@login_required
def unit_credit_splits(request: HttpRequest, code: str) -> HttpResponse:
    """An outlet's credit splits: each standing rule with the share a sale shared today gets, the
    outlet's adjustment and a form to change it; for a unit above outlets, the rules and which of its
    outlets adjusted them. Then the latest changes in the unit's subtree."""
    scope = scope_for_user(request.user)
    unit = get_unit_or_404(scope, code)
    today = timezone.localdate()
    may_adjust = unit.is_outlet and scope.may_adjust_credit_split(unit)
    posted = None
    if request.method == "POST":
        if not may_adjust:
            raise PermissionDenied(_("You may not adjust the credit splits of this outlet."))
        posted = CreditSplitAdjustmentForm(request.POST, outlet=unit, rules=credit_rules_listed(on=today))
        if posted.is_valid():
            data = posted.cleaned_data
            try:
                credit_split_adjust(
                    scope=scope,
                    outlet=unit,
                    rule=data["rule"],
                    share=data["share"],
                    reason=data["reason"],
                    changed_by=request.user,
                )
            except ValidationError as invalid:
                posted.add_error(None, invalid)
            else:
                messages.success(
                    request,
                    _("%(metric)s: the partner's share is now %(share)s%%.")
                    % {"metric": data["rule"].metric.name, "share": plain_number(data["share"])},
                )
                return redirect("kpi:unit_credit_splits", code=unit.code)
    rows = credit_rules_at(unit=unit, on=today)
    posted_rule_id = posted.data.get("rule") if posted is not None else None
    entries = []
    for row in rows:
        form = None
        if may_adjust:
            if posted is not None and posted_rule_id == str(row.rule.pk):
                form = posted
            else:
                initial = {"rule": row.rule.pk, "share": plain_number(row.share)}
                form = CreditSplitAdjustmentForm(outlet=unit, rules=credit_rules_listed(on=today), initial=initial)
            form.auto_id = f"rule{row.rule.pk}_%s"  # one form per rule on the page: ids of their own
        entries.append({"row": row, "form": form})
    # A posted rule no longer listed (ended meanwhile, or a made-up id): its error goes on top.
    orphan = posted if posted is not None and not any(entry["form"] is posted for entry in entries) else None
    context = {
        "unit": unit,
        "entries": entries,
        "orphan_form": orphan,
        "may_adjust": may_adjust,
        "below": [] if unit.is_outlet else credit_adjustments_below(unit=unit, on=today),
        "history": [
            {"change": change, "who": scope.person_name(_login_name(change.changed_by))}
            for change in credit_split_history(unit=unit)
        ],
        "today": today,
    }
    return render(request, "kpi/unit_credit_splits.html", context, status=400 if posted is not None else 200)


def _login_name(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.username
