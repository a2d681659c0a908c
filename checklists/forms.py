"""Forms of the checklist pages. They read what was typed; checklists.services decides what may be
recorded and says why not."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy, pgettext_lazy

from checklists.models import ChecklistKind, ChecklistTemplate, Scoring, Severity
from checklists.services import AnswerIn, FindingIn, templates_in_force
from ledger.models import ItemKind, LedgerItem
from lib.forms import DateInput
from staff.access import Scope
from staff.models import Assignment


class PatrolForm(forms.Form):
    """One round of a patrol: for each item of the version, in order or not (or its points), a note and a
    photo. Fields are named by the item's id: `item_<id>`, `note_<id>`, `photo_<id>`."""

    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            if item.scoring == Scoring.POINTS:
                self.fields[f"item_{item.pk}"] = forms.DecimalField(
                    label=item.text, min_value=0, max_value=item.max_points, decimal_places=2, required=True
                )
            else:
                self.fields[f"item_{item.pk}"] = forms.ChoiceField(
                    label=item.text,
                    choices=[("1", gettext_lazy("In order")), ("0", gettext_lazy("Not in order"))],
                    widget=forms.RadioSelect,
                    initial="1",
                )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=gettext_lazy("What is wrong"), max_length=200, required=False
            )
            self.fields[f"photo_{item.pk}"] = forms.FileField(
                label=gettext_lazy("Photo"), required=item.evidence_required
            )
        self.order_fields(
            [name for item in items for name in (f"item_{item.pk}", f"note_{item.pk}", f"photo_{item.pk}")] + ["note"]
        )

    def item_rows(self):
        """(section, [(item, choice field, note field, photo field)]) for the template, in order."""
        grouped: list[tuple[str, list]] = []
        for item in self.items:
            if not grouped or grouped[-1][0] != item.section.name:
                grouped.append((item.section.name, []))
            grouped[-1][1].append((item, self[f"item_{item.pk}"], self[f"note_{item.pk}"], self[f"photo_{item.pk}"]))
        return grouped

    def answers(self) -> list[AnswerIn]:
        data = self.cleaned_data
        result = []
        for item in self.items:
            value = data.get(f"item_{item.pk}")
            result.append(
                AnswerIn(
                    item_id=item.pk,
                    passed=None if item.scoring == Scoring.POINTS else value == "1",
                    points=value if item.scoring == Scoring.POINTS else None,
                    note=data.get(f"note_{item.pk}") or "",
                    photo=data.get(f"photo_{item.pk}"),
                )
            )
        return result


FINDING_ROWS = 3


class InspectionForm(forms.Form):
    """An inspection and up to three findings (a row left without text is no finding; none at all when the
    summary says the inspection found nothing)."""

    unit = forms.ChoiceField(label=gettext_lazy("Outlet"))
    day = forms.DateField(label=gettext_lazy("Day of the inspection"), widget=DateInput())
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100, initial="内控检查")
    template = forms.ChoiceField(label=gettext_lazy("Checklist"), required=False)
    summary = forms.CharField(
        label=pgettext_lazy("inspection", "Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, scope: Scope, outlets, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.outlets = {unit.code: unit for unit in outlets}
        self.fields["unit"].choices = [(code, f"{unit.name} {code}") for code, unit in self.outlets.items()]
        self.fields["day"].initial = today
        self.templates = {str(t.pk): t for t in templates_in_force(kind=ChecklistKind.INSPECTION, day=today)}
        self.fields["template"].choices = [("", "—")] + [(pk, t.name) for pk, t in self.templates.items()]
        deductions = LedgerItem.objects.filter(kind=ItemKind.DEDUCTION, is_active=True).order_by("sort_order", "code")
        self.deductions = {str(item.pk): item for item in deductions}
        for row in range(1, FINDING_ROWS + 1):
            self.fields[f"f{row}_text"] = forms.CharField(
                label=gettext_lazy("Finding %(n)s: what was found") % {"n": row}, max_length=300, required=False
            )
            self.fields[f"f{row}_severity"] = forms.ChoiceField(
                label=gettext_lazy("Severity"), choices=Severity.choices
            )
            self.fields[f"f{row}_staff"] = forms.CharField(
                label=gettext_lazy("Responsible (staff code)"), max_length=32, required=False
            )
            self.fields[f"f{row}_deadline"] = forms.DateField(
                label=gettext_lazy("Rectify by"), required=False, widget=DateInput()
            )
            self.fields[f"f{row}_photo"] = forms.FileField(label=gettext_lazy("Photo"), required=False)
            self.fields[f"f{row}_deduction"] = forms.ChoiceField(
                label=gettext_lazy("Deduction (扣分)"),
                choices=[("", "—")] + [(pk, item.name) for pk, item in self.deductions.items()],
                required=False,
            )
            self.fields[f"f{row}_quantity"] = forms.IntegerField(
                label=gettext_lazy("Times"), min_value=1, max_value=100, initial=1, required=False
            )
            self.fields[f"f{row}_vetoes"] = forms.BooleanField(
                label=gettext_lazy("Vetoes the month (一票否决)"), required=False
            )

    def finding_rows(self):
        names = ("text", "severity", "staff", "deadline", "photo", "deduction", "quantity", "vetoes")
        return [[self[f"f{row}_{name}"] for name in names] for row in range(1, FINDING_ROWS + 1)]

    def head_fields(self):
        return [self[name] for name in ("unit", "day", "title", "template", "summary")]

    def clean_unit(self):
        return self.outlets[self.cleaned_data["unit"]]

    def clean_template(self) -> ChecklistTemplate | None:
        return self.templates.get(self.cleaned_data.get("template") or "")

    def findings(self, unit) -> list[FindingIn]:
        data = self.cleaned_data
        codes = {data.get(f"f{row}_staff", "").strip() for row in range(1, FINDING_ROWS + 1)} - {""}
        staff = {
            a.staff.code: a.staff
            for a in Assignment.objects.filter(unit=unit, staff__code__in=codes).select_related("staff")
        }
        found = []
        for row in range(1, FINDING_ROWS + 1):
            text = (data.get(f"f{row}_text") or "").strip()
            if not text:
                continue
            code = (data.get(f"f{row}_staff") or "").strip()
            if code and code not in staff:
                self.add_error(f"f{row}_staff", gettext_lazy("No staff member of this outlet has that code."))
                continue
            found.append(
                FindingIn(
                    text=text,
                    severity=data.get(f"f{row}_severity") or Severity.MINOR,
                    deadline=data.get(f"f{row}_deadline"),
                    staff=staff.get(code),
                    photo=data.get(f"f{row}_photo"),
                    deduction_item=self.deductions.get(data.get(f"f{row}_deduction") or ""),
                    deduction_quantity=data.get(f"f{row}_quantity") or 1,
                    vetoes=bool(data.get(f"f{row}_vetoes")),
                )
            )
        return found
