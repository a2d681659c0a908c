"""Forms of the campaign pages. They read what was typed; campaigns.services decides what may be recorded
and says why not."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from branches.models import OrgUnit
from campaigns.models import BonusRule, Theme
from campaigns.services import FocusInput
from kpi.models import Metric
from lib.forms import DateInput
from staff.access import Scope
from staff.models import StaffMember


class GiftForm(forms.Form):
    staff = forms.ChoiceField(label=gettext_lazy("Given by"))
    day = forms.DateField(label=gettext_lazy("Day"), widget=DateInput())
    customer_code = forms.CharField(label=gettext_lazy("Customer number"), max_length=32)
    customer_name = forms.CharField(label=gettext_lazy("Customer name"), max_length=40, required=False)
    item = forms.CharField(label=gettext_lazy("Gift"), max_length=60)
    value = forms.DecimalField(
        label=gettext_lazy("Value (yuan)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, staff_members: list[StaffMember], scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {member.code: member for member in staff_members}
        self.fields["staff"].choices = [
            (member.code, f"{scope.person_name(member.name)} {member.code}") for member in staff_members
        ]

    def clean_staff(self) -> StaffMember:
        return self.people[self.cleaned_data["staff"]]


FOCUS_LINES = 2


class CampaignForm(forms.Form):
    """A sub-branch's own campaign (or HQ's), with up to two focus metrics and a script; HQ sets the rest
    (targets per outlet, materials, posts) in the admin."""

    unit = forms.ChoiceField(label=gettext_lazy("Organised by"))
    code = forms.CharField(label=gettext_lazy("Code"), max_length=32)
    name_zh = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    theme = forms.ChoiceField(label=gettext_lazy("Theme"), choices=Theme.choices)
    start = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To"), widget=DateInput())
    metric_1 = forms.ChoiceField(label=gettext_lazy("Focus metric"))
    rule_1 = forms.ChoiceField(label=gettext_lazy("Bonus rule"), choices=BonusRule.choices)
    factor_1 = forms.DecimalField(
        label=gettext_lazy("Points per unit or multiplier"),
        max_digits=10,
        decimal_places=4,
        min_value=Decimal("0.0001"),
    )
    metric_2 = forms.ChoiceField(label=gettext_lazy("Second focus metric"), required=False)
    rule_2 = forms.ChoiceField(label=gettext_lazy("Bonus rule"), choices=BonusRule.choices, required=False)
    factor_2 = forms.DecimalField(
        label=gettext_lazy("Points per unit or multiplier"),
        max_digits=10,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        required=False,
    )
    gift_budget = forms.DecimalField(
        label=gettext_lazy("Gift budget (yuan)"), max_digits=14, decimal_places=2, min_value=Decimal(0), initial=0
    )
    gift_limit_per_customer = forms.DecimalField(
        label=gettext_lazy("Gift limit per customer (yuan)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    script_title = forms.CharField(label=gettext_lazy("Script title"), max_length=80, required=False)
    script_body = forms.CharField(
        label=gettext_lazy("Script (话术)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args, units: list[OrgUnit], metrics: list[Metric], **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {unit.code: unit for unit in units}
        self.metrics = {metric.code: metric for metric in metrics}
        self.fields["unit"].choices = [(unit.code, unit.name) for unit in units]
        choices = [(metric.code, f"{metric.name} ({metric.get_unit_display()})") for metric in metrics]
        self.fields["metric_1"].choices = choices
        self.fields["metric_2"].choices = [("", "—"), *choices]

    def clean_unit(self) -> OrgUnit:
        return self.units[self.cleaned_data["unit"]]

    def focus_lines(self) -> list[FocusInput]:
        data = self.cleaned_data
        lines = [FocusInput(metric=self.metrics[data["metric_1"]], rule=data["rule_1"], factor=data["factor_1"])]
        if data.get("metric_2"):
            if data.get("factor_2") is None:
                raise ValidationError({"factor_2": gettext_lazy("Give the second metric's points or multiplier.")})
            lines.append(
                FocusInput(
                    metric=self.metrics[data["metric_2"]],
                    rule=data.get("rule_2") or BonusRule.PER_UNIT,
                    factor=data["factor_2"],
                )
            )
        return lines
