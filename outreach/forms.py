"""Forms of the outreach pages. They read what was typed; outreach.services decides what may be written and
says why not."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy

from customers.models import GROUP_LABELS
from lib.forms import DateInput
from outreach.models import AssignMode, Channel, Movement, Outcome

# The products a customer manager offers most (the seeds' 电话回访 scripts); any other may be typed.
PRODUCT_SUGGESTIONS = ("理财", "定期存款", "大额存单", "基金定投", "保险", "国债", "手机银行", "信用卡", "代发工资")


class BuildForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("List name"), max_length=100)
    unit = forms.ChoiceField(label=gettext_lazy("Customers of"))
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=Channel.choices, widget=forms.RadioSelect, initial=Channel.CALL
    )
    month = forms.ChoiceField(label=gettext_lazy("Tiering month"), required=False)
    movement = forms.ChoiceField(
        label=gettext_lazy("Tier movement"),
        required=False,
        choices=[("", gettext_lazy("Any")), *Movement.choices],
    )
    tiers = forms.MultipleChoiceField(label=gettext_lazy("Tiers"), required=False, widget=forms.CheckboxSelectMultiple)
    groups = forms.MultipleChoiceField(
        label=gettext_lazy("Groups"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(group.code, label) for group, label in GROUP_LABELS.items()],
    )
    aum_min = forms.DecimalField(
        label=gettext_lazy("AUM from (万元)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    aum_max = forms.DecimalField(
        label=gettext_lazy("AUM below (万元)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    manager = forms.ChoiceField(label=gettext_lazy("Relationship manager"), required=False)
    territory = forms.ChoiceField(label=gettext_lazy("Territory (网格)"), required=False)
    no_contact_days = forms.IntegerField(
        label=gettext_lazy("No contact in the last … days"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=gettext_lazy("Not reached: a call nobody answered (未接通) is no contact."),
    )
    assign_mode = forms.ChoiceField(
        label=gettext_lazy("Assign"), choices=AssignMode.choices, widget=forms.RadioSelect, initial=AssignMode.EVEN
    )
    staff = forms.MultipleChoiceField(
        label=gettext_lazy("Staff (evenly)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    starts_on = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    due_on = forms.DateField(label=gettext_lazy("Due"), widget=DateInput())

    def __init__(self, *args, units, months, tiers, staff, territories, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territory"].choices = [
            ("", gettext_lazy("Any")),
            *((str(territory.pk), f"{territory.outlet.code} {territory.name}") for territory in territories),
        ]
        self.fields["unit"].choices = [(unit.code, f"{unit.code} {unit.name}") for unit in units]
        self.fields["month"].choices = [("", gettext_lazy("None")), *((f"{m:%Y-%m}", f"{m:%Y-%m}") for m in months)]
        if months:
            self.fields["month"].initial = f"{months[0]:%Y-%m}"
        self.fields["tiers"].choices = [(tier.code, tier.name) for tier in tiers]
        people = [(member.code, f"{member.code} {name}") for member, name in staff]
        self.fields["staff"].choices = people
        self.fields["manager"].choices = [("", gettext_lazy("Any")), *people]
        self.fields["starts_on"].initial = today
        self.fields["due_on"].initial = today + datetime.timedelta(days=14)

    def clean_month(self) -> datetime.date | None:
        text = self.cleaned_data["month"]
        return datetime.date.fromisoformat(f"{text}-01") if text else None

    @staticmethod
    def yuan(wan: Decimal | None) -> Decimal | None:
        return None if wan is None else wan * 10_000


class AssignForm(forms.Form):
    staff = forms.ChoiceField(label=gettext_lazy("To"))
    count = forms.IntegerField(
        label=gettext_lazy("How many of the unassigned"), min_value=1, max_value=1_000_000, initial=20
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].choices = [(member.code, f"{member.code} {name}") for member, name in staff]


class ContactForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=Channel.choices, widget=forms.RadioSelect)
    product = forms.CharField(
        label=gettext_lazy("Product of interest"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"list": "outreach-products", "autocomplete": "off"}),
    )
    next_follow_up = forms.DateField(label=gettext_lazy("Next follow-up"), required=False, widget=DateInput())
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)
    photo = forms.FileField(
        label=gettext_lazy("Photo (a visit)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}),
    )
    # Filled by static/js/outreach.js from the browser's geolocation, when the person allows it.
    latitude = forms.CharField(required=False, widget=forms.HiddenInput, max_length=32)
    longitude = forms.CharField(required=False, widget=forms.HiddenInput, max_length=32)
