"""Forms of the target-plan pages. They check what a form can check (a unit in the reader's scope, a
period code, a number); plans.services decides what may change and says why not."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.models import OrgUnit
from kpi.models import Metric
from kpi.services.decomposition import NonPositive
from lib.periods import PeriodKind, period_of
from lib.periods_forms import PeriodField
from plans.models import AcknowledgementStatus, Plan
from plans.services.acknowledgements import REASON_MAX
from plans.services.cells import PLAN_KINDS
from plans.services.fill import Method, basis_choices
from staff.access import Scope

NOT_A_PLAN_PERIOD = gettext_lazy(
    "“%(value)s” is not a period to plan: write a year (2027), a quarter (2027-Q1), a month (2027-01) "
    "or an ISO week (2026-W50)."
)

REVISE_LABEL = gettext_lazy("Revise the published targets")
REVISE_HELP = gettext_lazy(
    "Only when the unit's plan for this period is published already: a new draft beside it, to change its "
    "targets. Otherwise the plan that is there opens."
)

METHOD_LABELS = {
    Method.EQUAL: gettext_lazy("Equal shares"),
    Method.BASIS: gettext_lazy("In proportion to a complete earlier period's actual"),
    Method.LAST_YEAR: gettext_lazy("In proportion to the same period last year"),
    Method.COPY: gettext_lazy("Last period's target × a growth factor"),
}


def unit_choices(units) -> list[tuple[str, str]]:
    """Units as a select's choices, indented by depth: 天河支行 (GZ01)."""
    units = list(units)
    top = min((unit.depth for unit in units), default=0)
    return [(unit.code, f"{'— ' * (unit.depth - top)}{unit.name} ({unit.code})") for unit in units]


def metric_choices(metrics) -> list[tuple[str, str]]:
    return [(metric.code, f"{metric.name} ({metric.unit})") for metric in metrics]


def _metrics(codes) -> list[Metric]:
    return list(Metric.objects.filter(code__in=codes, is_active=True).order_by("sort_order", "code"))


class PlanForm(forms.Form):
    """A new plan: a unit of the reader's scope, a period, metrics and a name."""

    unit = forms.ChoiceField(label=gettext_lazy("Unit"))
    period = PeriodField(
        label=gettext_lazy("Period"),
        kinds=PLAN_KINDS,
        error_messages={"invalid": NOT_A_PLAN_PERIOD, "invalid_kind": NOT_A_PLAN_PERIOD},
        help_text=gettext_lazy("2027, 2027-Q1, 2027-01 or 2026-W50"),
    )
    metrics = forms.MultipleChoiceField(label=gettext_lazy("Metrics"), widget=forms.CheckboxSelectMultiple)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, required=False)
    revise = forms.BooleanField(label=REVISE_LABEL, help_text=REVISE_HELP, required=False)

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["unit"].choices = unit_choices(scope.units(OrgUnit.objects.active()).order_by("path"))
        self.fields["metrics"].choices = metric_choices(Metric.objects.filter(is_active=True))

    def clean_unit(self) -> OrgUnit:
        return self.scope.units().get(code=self.cleaned_data["unit"])

    def clean_metrics(self) -> list[Metric]:
        return _metrics(self.cleaned_data["metrics"])


def week_choices(today: datetime.date) -> list[tuple[str, str]]:
    this_week = period_of(PeriodKind.WEEK, today)
    next_week = period_of(PeriodKind.WEEK, this_week.end + datetime.timedelta(days=1))
    return [
        (
            this_week.code,
            _("This week, %(code)s (%(start)s – %(end)s)")
            % {"code": this_week.code, "start": this_week.start, "end": this_week.end},
        ),
        (
            next_week.code,
            _("Next week, %(code)s (%(start)s – %(end)s)")
            % {"code": next_week.code, "start": next_week.start, "end": next_week.end},
        ),
    ]


class WeekPlanForm(forms.Form):
    """The Monday meeting: a unit's week, its outlets' targets prefilled from the month's pace."""

    unit = forms.ChoiceField(label=gettext_lazy("Unit"))
    week = forms.ChoiceField(label=gettext_lazy("Week"))
    metrics = forms.MultipleChoiceField(label=gettext_lazy("Metrics"), widget=forms.CheckboxSelectMultiple)
    revise = forms.BooleanField(label=REVISE_LABEL, help_text=REVISE_HELP, required=False)

    def __init__(self, *args, scope: Scope, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        units = scope.units(OrgUnit.objects.active().exclude(kind="outlet")).order_by("path")
        self.fields["unit"].choices = unit_choices(units)
        self.fields["week"].choices = week_choices(today)
        cumulative = Metric.objects.filter(is_active=True, aggregation__in=("sum", "change")).exclude(level="staff")
        self.fields["metrics"].choices = metric_choices(cumulative)

    def clean_unit(self) -> OrgUnit:
        return self.scope.units().get(code=self.cleaned_data["unit"])

    def clean_week(self):
        from lib.periods import parse_period

        return parse_period(self.cleaned_data["week"])

    def clean_metrics(self) -> list[Metric]:
        return _metrics(self.cleaned_data["metrics"])


class FillForm(forms.Form):
    """How to fill a level (or every level below it)."""

    method = forms.ChoiceField(
        label=gettext_lazy("Fill by"),
        widget=forms.RadioSelect,
        choices=list(METHOD_LABELS.items()),
        initial=Method.EQUAL,
    )
    basis = forms.ChoiceField(label=gettext_lazy("Basis period"), required=False)
    nonpositive = forms.ChoiceField(
        label=gettext_lazy("A basis of 0 or below"),
        widget=forms.RadioSelect,
        choices=[
            (NonPositive.FLOOR, gettext_lazy("count it as 0: no share (said beside the row)")),
            (NonPositive.EQUAL, gettext_lazy("split the whole level equally instead")),
        ],
        initial=NonPositive.FLOOR,
        required=False,
    )
    factor = forms.DecimalField(
        label=gettext_lazy("Growth factor"),
        required=False,
        min_value=Decimal("0.0001"),
        max_value=Decimal(100),
        max_digits=10,
        decimal_places=4,
        initial=Decimal("1.05"),
        help_text=gettext_lazy("1.05: five per cent more than last period's target."),
    )
    metric = forms.ChoiceField(label=gettext_lazy("Metric"), required=False)

    def __init__(self, *args, plan: Plan, metrics: list[Metric], **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.basis_periods = basis_choices(plan)
        self.fields["basis"].choices = [(period.code, period.code) for period in self.basis_periods] or [
            ("", _("No complete earlier period is rolled up yet"))
        ]
        self.fields["metric"].choices = [("", _("Every metric of this level")), *metric_choices(metrics)]
        self.metrics = metrics

    def clean_basis(self):
        code = self.cleaned_data.get("basis")
        return next((period for period in self.basis_periods if period.code == code), None)

    def chosen_metrics(self) -> list[Metric]:
        code = self.cleaned_data.get("metric")
        return [metric for metric in self.metrics if not code or metric.code == code]


class TimeForm(forms.Form):
    """A year (or a quarter) into its quarters or months by seasonal weights."""

    weights = forms.CharField(
        label=gettext_lazy("Seasonal weights"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("One weight per part in calendar order, such as 1.5 1.2 1 1 …; empty: equal parts."),
    )


class AnswerForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Answer"),
        widget=forms.RadioSelect,
        choices=[
            (AcknowledgementStatus.ACKNOWLEDGED, gettext_lazy("Acknowledge (签收)")),
            (AcknowledgementStatus.REVIEW, gettext_lazy("Ask for a review (申请复核)")),
        ],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=REASON_MAX,
        help_text=gettext_lazy("Needed for a review: what should change, and why."),
    )
