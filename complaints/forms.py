from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Channel, Validity
from lib.forms import DateInput


class ComplaintForm(forms.Form):
    unit = forms.ChoiceField(label=_("Outlet"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    received_on = forms.DateField(label=_("Received"), widget=DateInput())
    summary = forms.CharField(
        label=_("What the complaint says"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    complainant_name = forms.CharField(label=_("Complainant"), required=False, max_length=50)
    complainant_phone = forms.CharField(label=_("Complainant's phone"), required=False, max_length=20)
    staff = forms.ChoiceField(label=_("Staff member concerned"), required=False)
    reply_due = forms.DateField(
        label=_("Reply due"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: the channel's usual deadline (意见簿 3 days, hotline and online 2, regulator 5)."),
    )

    def __init__(self, *args, outlets, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = outlets
        self.fields["staff"].choices = [("", "—"), *staff]


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class ReviewForm(forms.Form):
    validity = forms.ChoiceField(
        label=_("Validity"),
        choices=[(Validity.VALID, Validity.VALID.label), (Validity.INVALID, Validity.INVALID.label)],
    )
    note = forms.CharField(label=_("Review note"), required=False, max_length=300)
