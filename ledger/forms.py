"""Forms of the ledger pages. They read what was typed; ledger.services decides what may be recorded and
says why not."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy

from ledger.models import LedgerItem
from ledger.services import MAX_QUANTITY
from lib.numbers import format_number
from staff.access import Scope
from staff.models import StaffMember


def item_choices(items) -> list[tuple[str, str]]:
    choices = []
    for item in items:
        per = f"{format_number(item.points_per_unit, places=2)}"
        sign = "-" if item.is_deduction else "+"
        unit = f"/{item.unit_label}" if item.unit_label else ""
        choices.append((str(item.pk), f"{item.name} ({sign}{per}{unit})"))
    return choices


def day_choices(today: datetime.date) -> list[tuple[str, str]]:
    yesterday = today - datetime.timedelta(days=1)
    return [
        (today.isoformat(), f"{gettext_lazy('Today')} {today:%m-%d}"),
        (yesterday.isoformat(), f"{gettext_lazy('Yesterday')} {yesterday:%m-%d}"),
    ]


class _EntryFields(forms.Form):
    item = forms.ChoiceField(label=gettext_lazy("Item"))
    day = forms.ChoiceField(label=gettext_lazy("Day"))
    quantity = forms.IntegerField(
        label=gettext_lazy("Quantity"),
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, items, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = {str(item.pk): item for item in items}
        self.fields["item"].choices = item_choices(items)
        self.fields["day"].choices = day_choices(today)

    def clean_item(self) -> LedgerItem:
        return self.items[self.cleaned_data["item"]]

    def clean_day(self) -> datetime.date:
        return datetime.date.fromisoformat(self.cleaned_data["day"])


class EntryForm(_EntryFields):
    """A staff member's own entry: an item, a day, how many, and what proves it."""

    customer_code = forms.CharField(
        label=gettext_lazy("Customer number"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("The core system's customer number, where the item needs one."),
    )
    partner = forms.ChoiceField(label=gettext_lazy("Shared with (分润)"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)
    photo = forms.FileField(
        label=gettext_lazy("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}),
        help_text=gettext_lazy("JPEG, PNG or WebP, at most 5 MB; where the item needs evidence."),
    )

    def __init__(self, *args, colleagues, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.colleagues = {str(member.pk): member for member in colleagues}
        self.fields["partner"].choices = [("", "—")] + [
            (str(member.pk), f"{scope.person_name(member.name)} ({member.code})") for member in colleagues
        ]

    def clean_partner(self) -> StaffMember | None:
        return self.colleagues.get(self.cleaned_data["partner"] or "")


class DeductionForm(_EntryFields):
    """An outlet head's (or a unit manager's) deduction for a staff member, always with its reason."""

    staff = forms.ChoiceField(label=gettext_lazy("Staff member"))
    note = forms.CharField(label=gettext_lazy("Reason"), max_length=200)

    field_order = ["staff", "item", "day", "quantity", "note"]

    def __init__(self, *args, staff_members, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff_members = {str(member.pk): member for member in staff_members}
        self.fields["staff"].choices = [
            (str(member.pk), f"{scope.person_name(member.name)} ({member.code})") for member in staff_members
        ]
        self.fields["quantity"].label = gettext_lazy("Times")

    def clean_staff(self) -> StaffMember:
        return self.staff_members[self.cleaned_data["staff"]]
