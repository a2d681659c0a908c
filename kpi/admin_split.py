"""The target admin's "Split (指标分解)" page, a mixin of TargetAdmin (kpi/admin.py).

The page plans with kpi.services.decomposition and writes nothing until the person confirms the
preview they saw: the confirmation carries the preview's fingerprint, and if the plan computed again
differs (a fact or a target changed meanwhile) the new preview is shown instead of being saved.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit
from kpi.models import Target
from kpi.services.decomposition import (
    KIND_IN_TEXT,
    SplitPlan,
    SplitProblem,
    adds_up_over_time,
    adds_up_over_units,
    decomposition_apply,
    plain_number,
    plan_over_children,
    plan_over_staff,
    plan_over_time,
    target_period,
)
from lib.periods import PERIOD_FORMATS_TEXT, PeriodKind
from lib.periods_forms import PeriodField
from staff.access import scope_for_user
from staff.models import Post

HOW_LABELS = {
    "children_equal": _("Over the child units, equally"),
    "children_proportional": _("Over the child units, in proportion to their actual in a basis period"),
    "children_manual": _("Over the child units, by hand"),
    "quarter": _("Over the quarters, equally or by seasonal weights"),
    "month": _("Over the months, equally or by seasonal weights"),
    "staff": _("Over the outlet's staff, by post weights"),
}


def split_choices(target: Target) -> list[str]:
    """The ways this target can be split: over child units (a unit above outlets), over time (a year
    or a quarter), over staff (an outlet)."""
    choices = []
    if target.unit_id and not target.unit.is_outlet:
        choices += ["children_equal", "children_proportional", "children_manual"]
    if target.period_kind == PeriodKind.YEAR:
        choices.append("quarter")
    if target.period_kind in (PeriodKind.YEAR, PeriodKind.QUARTER):
        choices.append("month")
    if target.unit_id and target.unit.is_outlet:
        choices.append("staff")
    return choices


def _parse_weights(text: str) -> list[Decimal] | None:
    """'1, 1, 1.2 1.5' → [1, 1, 1.2, 1.5]; empty → None (equal parts)."""
    pieces = text.replace(",", " ").replace("，", " ").split()
    if not pieces:
        return None
    try:
        return [Decimal(piece) for piece in pieces]
    except InvalidOperation:
        raise forms.ValidationError(
            _("Weights are numbers separated by spaces or commas, such as 1 1 1.2 1.5; got '%(text)s'."),
            params={"text": text},
        )


def _basis_period_help() -> str:
    # Formatted when the form is shown, in the reader's language (a lazy string formatted at import
    # would be fixed in the language of the process).
    return gettext("In proportion: whose actuals give the shares (%(formats)s). Empty: the period before.") % {
        "formats": PERIOD_FORMATS_TEXT
    }


class TargetSplitForm(forms.Form):
    """The inputs of every way to split; only those of the chosen way are used."""

    how = forms.ChoiceField(label=_("split"), widget=forms.RadioSelect)
    basis_period = PeriodField(
        label=_("basis period"),
        required=False,
        help_text=lazy(_basis_period_help, str)(),
    )
    weights = forms.CharField(
        label=_("seasonal weights"),
        required=False,
        help_text=_("Quarters or months: one weight per part in calendar order (4 or 12). Empty: equal parts."),
    )

    def __init__(self, *args, target: Target, children: list[OrgUnit], posts: list[Post], **kwargs):
        super().__init__(*args, **kwargs)
        self.target = target
        self.children = children
        self.posts = posts
        self.fields["how"].choices = [(how, HOW_LABELS[how]) for how in split_choices(target)]
        if len(self.fields["how"].choices) == 1:
            self.initial.setdefault("how", self.fields["how"].choices[0][0])
        for child in children:
            self.fields[f"part_{child.code}"] = forms.DecimalField(
                label=str(child), required=False, min_value=0, max_digits=20, decimal_places=4
            )
        for post in posts:
            self.fields[f"post_{post.code}"] = forms.DecimalField(
                label=f"{post.name} ({post.code})", required=False, min_value=0, max_digits=8, decimal_places=4
            )
            self.initial.setdefault(f"post_{post.code}", 1)

    @property
    def offers_time(self) -> bool:
        return any(how in ("quarter", "month") for how, _label in self.fields["how"].choices)

    @property
    def part_fields(self):
        return [self[f"part_{child.code}"] for child in self.children]

    @property
    def post_fields(self):
        return [self[f"post_{post.code}"] for post in self.posts]

    def clean_weights(self) -> list[Decimal] | None:
        return _parse_weights(self.cleaned_data["weights"])

    def plan(self) -> SplitPlan:
        """The plan of the chosen way; SplitProblem says what is wrong with the inputs."""
        how, data, target = self.cleaned_data["how"], self.cleaned_data, self.target
        if how == "children_equal":
            return plan_over_children(target, method="equal")
        if how == "children_proportional":
            return plan_over_children(target, method="proportional", basis_period=data["basis_period"])
        if how == "children_manual":
            manual = {child.code: data.get(f"part_{child.code}") for child in self.children}
            return plan_over_children(target, method="manual", manual=manual)
        if how in ("quarter", "month"):
            return plan_over_time(target, into=how, weights=data["weights"])
        weights = {
            post.code: data[f"post_{post.code}"] for post in self.posts if data.get(f"post_{post.code}") is not None
        }
        return plan_over_staff(target, post_weights=weights)


class TargetSplitMixin:
    """Adds /admin/kpi/target/<id>/split/ (a button on the change page, an action on the list)."""

    def get_urls(self):
        return [
            path("<path:object_id>/split/", self.admin_site.admin_view(self.split_view), name="kpi_target_split"),
            *super().get_urls(),
        ]

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if self.has_change_permission(request):
            actions["split_target"] = self.get_action("split_target")
        return actions

    @admin.action(description=_("Split (指标分解) the selected target"))
    def split_target(self, request: HttpRequest, queryset) -> HttpResponse | None:
        targets = list(queryset[:2])
        if len(targets) != 1:
            messages.error(request, _("Choose exactly one target to split."))
            return None
        return HttpResponseRedirect(reverse("admin:kpi_target_split", args=[targets[0].pk]))

    def split_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        target = self.get_object(request, unquote(object_id))
        if target is None:
            raise Http404
        if not self.has_change_permission(request, target):
            raise PermissionDenied
        # A unit manager splits targets inside their subtree only; outside it the target does not exist.
        scope = scope_for_user(request.user)
        # A staff target only while they were assigned in the subtree during its period (staff.access).
        during = (target.period_start, target.period_end)
        visible = (
            scope.can_see_unit(target.unit) if target.unit_id else scope.can_see_staff(target.staff, during=during)
        )
        if not scope.may_write or not visible:
            raise Http404

        children = []
        if target.unit_id and not target.unit.is_outlet:
            children = list(OrgUnit.objects.filter(parent=target.unit).active().order_by("path"))
        posts = list(Post.objects.all()) if target.unit_id and target.unit.is_outlet else []
        initial = {"basis_period": target_period(target).previous().code}
        # By hand starts from the children's current targets.
        current = Target.objects.filter(
            metric=target.metric, period_kind=target.period_kind, period_start=target.period_start, unit__in=children
        ).values_list("unit__code", "value")
        initial.update({f"part_{code}": value for code, value in current})
        form = TargetSplitForm(request.POST or None, initial=initial, target=target, children=children, posts=posts)
        if not form.fields["how"].choices:
            messages.error(
                request,
                _("A %(kind)s target of a staff member cannot be split.")
                % {"kind": KIND_IN_TEXT[PeriodKind(target.period_kind)]},
            )
            return HttpResponseRedirect(reverse("admin:kpi_target_change", args=[target.pk]))

        plan = None
        if request.method == "POST" and form.is_valid():
            try:
                plan = form.plan()
            except SplitProblem as problem:
                form.add_error(None, str(problem))
            else:
                if "_confirm" in request.POST:
                    if request.POST.get("fingerprint") != plan.fingerprint():
                        form.add_error(
                            None,
                            _("The parts changed since the preview (facts, targets or staff changed meanwhile). "
                              "Check the new preview and confirm again."),
                        )  # fmt: skip
                    else:
                        try:
                            result = decomposition_apply(plan=plan, changed_by=request.user)
                        except ValidationError as refused:
                            form.add_error(None, refused.messages)
                            plan = None
                        else:
                            messages.success(request, _("Target split: %(result)s.") % {"result": result.described()})
                            return HttpResponseRedirect(reverse("admin:kpi_target_change", args=[target.pk]))

        metric = target.metric
        period = target_period(target)
        adds_up_units, adds_up_time = adds_up_over_units(metric), adds_up_over_time(metric)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": target,
            "title": _("Split (指标分解): %(target)s") % {"target": target},
            "target": target,
            "period": period,
            "form": form,
            "plan": plan,
            "rows": [(part, plain_number(part.old_value), plain_number(part.value)) for part in plan or []],
            "target_value": plain_number(target.value),
            "plan_total": plain_number(plan.total) if plan else "",
            "fingerprint": plan.fingerprint() if plan else "",
            "adds_up_units": adds_up_units,
            "adds_up_time": adds_up_time,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/kpi/target_split.html", context)
