"""Forms of the campaign pages. They read what was typed; campaigns.services decides what may be recorded
and says why not."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy

from staff.access import Scope
from staff.models import StaffMember


class GiftForm(forms.Form):
    staff = forms.ChoiceField(label=gettext_lazy("Given by"))
    day = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
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
