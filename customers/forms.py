"""Forms of the territory, prospect and referral pages. They read what was typed; the services
(customers.services.*) decide what may be recorded and say why not."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from customers.models import Interest, ReferralStatus, Territory, TerritoryKind
from lib.forms import DateInput
from staff.access import Scope
from staff.models import StaffMember


def _people(members, scope: Scope) -> list[tuple[str, str]]:
    return [(str(member.pk), f"{scope.person_name(member.name)} {member.code}") for member in members]


class TerritoryForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=TerritoryKind.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    owner = forms.ChoiceField(label=gettext_lazy("Owner"))
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, staff_members, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {str(member.pk): member for member in staff_members}
        self.fields["owner"].choices = [("", "—"), *_people(staff_members, scope)]

    def clean_owner(self) -> StaffMember | None:
        return self.members.get(self.cleaned_data["owner"])


class ProspectForm(forms.Form):
    """The 客户信息表: who, how to reach them, where, what they are interested in."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    phone = forms.CharField(
        label=gettext_lazy("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    id_number = forms.CharField(label=gettext_lazy("Identity number"), max_length=32, required=False)
    territory = forms.ChoiceField(label=gettext_lazy("Territory"), required=False)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=100, required=False)
    interest = forms.ChoiceField(label=gettext_lazy("Interest"), choices=Interest.choices)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, territories, **kwargs):
        super().__init__(*args, **kwargs)
        self.territories = {str(territory.pk): territory for territory in territories}
        self.fields["territory"].choices = [("", "—"), *((key, t.name) for key, t in self.territories.items())]

    def clean_territory(self) -> Territory | None:
        return self.territories.get(self.cleaned_data["territory"])


class ReferralForm(forms.Form):
    referrer = forms.ChoiceField(label=gettext_lazy("Referred by"), required=False)
    receiver = forms.ChoiceField(label=gettext_lazy("Referred to"))
    product = forms.ChoiceField(label=gettext_lazy("Product"), choices=Interest.choices)
    day = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, referrers, receivers, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {str(member.pk): member for member in [*referrers, *receivers]}
        self.fields["referrer"].choices = [("", gettext_lazy("Myself")), *_people(referrers, scope)]
        self.fields["receiver"].choices = [("", "—"), *_people(receivers, scope)]

    def clean_referrer(self) -> StaffMember | None:
        return self.members.get(self.cleaned_data["referrer"])

    def clean_receiver(self) -> StaffMember | None:
        return self.members.get(self.cleaned_data["receiver"])


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(value, label) for value, label in ReferralStatus.choices if value != ReferralStatus.REFERRED]
    )
