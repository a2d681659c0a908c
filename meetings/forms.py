"""The forms of the meeting pages: the 晨会 sheet (built from the sheet's people and metrics), a topic, the
metrics chosen for goals, the Monday minutes and an action item. They read what was typed; the rules
(who works there that day, which metric may carry a goal, the goal's figure, the owner, the link) are
meetings.services', whose refusals the views put back on the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lib.forms import DateInput, ModelChoiceField
from meetings.models import ActionItem, AttendanceStatus, TopicKind
from meetings.selectors import LinkOption, MorningSheet, Person
from meetings.services import GoalInput, goal_value_problem, parse_goal

ATTENDANCE_CHOICES = [("", _("Not marked")), *AttendanceStatus.choices]
DECISIONS_MAX = 4000


class GoalField(forms.CharField):
    """A goal as typed (ASCII digits, "1,200" read): a Decimal, or None when left empty (no goal)."""

    default_error_messages = {"invalid": _("Give a number, like 3 or 12.5.")}

    # The text is read here, not by CharField's max_length, whose validator would measure the Decimal.
    MAX_TEXT = 40

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "size": 6, "maxlength": self.MAX_TEXT})

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        if len(text) > self.MAX_TEXT:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return parse_goal(text)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class MorningSheetForm(forms.Form):
    """Attendance and the day's goal of each person, and the decisions: one form, saved all or nothing."""

    decisions = forms.CharField(
        label=_("Decisions"),
        required=False,
        max_length=DECISIONS_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, sheet: MorningSheet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sheet = sheet
        if sheet.meeting is not None:
            self.fields["decisions"].initial = sheet.meeting.decisions
        for person in sheet.people:
            self.fields[person.attendance_field] = forms.ChoiceField(
                label=_("Attendance"), choices=ATTENDANCE_CHOICES, required=False, initial=person.attendance
            )
            for cell in person.cells:
                self.fields[cell.field_name] = GoalField(label=cell.metric.name, initial=_plain(cell.value))

    def clean(self):
        # The figure of each goal against its metric here too, so a sheet with a word in one field and
        # half a customer in another hears about both at once (the service checks again before writing).
        cleaned = super().clean()
        for person in self.sheet.people:
            for cell in person.cells:
                value = cleaned.get(cell.field_name)
                problem = goal_value_problem(cell.metric, value) if value is not None else None
                if problem:
                    self.add_error(cell.field_name, problem)
        return cleaned

    def rows(self) -> list[tuple]:
        """(person, their attendance field, [(cell, its goal field), …]) for the template, in sheet order."""
        return [
            (person, self[person.attendance_field], [(cell, self[cell.field_name]) for cell in person.cells])
            for person in self.sheet.people
        ]

    def attendance(self) -> dict:
        """Staff member → status, for the people marked."""
        marks = {}
        for person in self.sheet.people:
            status = self.cleaned_data.get(person.attendance_field)
            if status:
                marks[person.staff] = status
        return marks

    def goals(self) -> list[GoalInput]:
        return [
            GoalInput(staff=person.staff, metric=cell.metric, value=self.cleaned_data.get(cell.field_name))
            for person in self.sheet.people
            for cell in person.cells
        ]


def _plain(value) -> str:
    """A figure as the input holds it: 2, 12.35 (no exponent, no trailing zeros of the column)."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class TopicForm(forms.Form):
    topic_kind = forms.ChoiceField(label=_("Kind"), choices=TopicKind.choices)
    topic_text = forms.CharField(label=_("Topic"), max_length=300)


class MetricsForm(forms.Form):
    metrics = forms.MultipleChoiceField(
        label=_("Metrics with goals"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, catalog, chosen, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.catalog = {metric.code: metric for metric in catalog}
        self.fields["metrics"].choices = [(metric.code, metric.name) for metric in catalog]
        self.fields["metrics"].initial = [metric.code for metric in chosen]

    def chosen(self) -> list:
        return [self.catalog[code] for code in self.cleaned_data["metrics"]]


class MinutesForm(forms.Form):
    """The Monday meeting: who came, and what was decided."""

    decisions = forms.CharField(
        label=_("Decisions"), required=False, max_length=DECISIONS_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, people: list[Person], attendance: dict[int, str], decisions: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.people = people
        self.fields["decisions"].initial = decisions
        for person in people:
            self.fields[f"attendance-{person.staff.code}"] = forms.ChoiceField(
                label=person.name,
                choices=ATTENDANCE_CHOICES,
                required=False,
                initial=attendance.get(person.staff.pk, ""),
            )

    def rows(self) -> list[tuple]:
        """(person, their attendance field) for the template."""
        return [(person, self[f"attendance-{person.staff.code}"]) for person in self.people]

    def attendance(self) -> dict:
        marks = {}
        for person in self.people:
            status = self.cleaned_data.get(f"attendance-{person.staff.code}")
            if status:
                marks[person.staff] = status
        return marks


class ActionItemForm(forms.Form):
    text = forms.CharField(
        label=pgettext_lazy("meeting", "Action"), max_length=ActionItem._meta.get_field("text").max_length
    )
    owner = ModelChoiceField(label=_("Owner"), queryset=None, empty_label=_("Choose who does it"))
    due = forms.DateField(label=_("Due"), widget=DateInput())
    link = forms.ChoiceField(label=_("Linked to"), required=False)

    def __init__(self, *args, owners, link_groups: list[tuple[str, list[LinkOption]]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda user: (
            f"{user.get_full_name() or user.username} · {user.get_role_display()}"
            if user.role
            else user.get_full_name() or user.username
        )
        self.fields["link"].choices = [
            ("", _("Nothing")),
            *[(group, [(option.value, option.text) for option in options]) for group, options in link_groups],
        ]

    def link_target(self) -> tuple[str, int | None]:
        value = self.cleaned_data.get("link") or ""
        if not value:
            return "", None
        kind, _sep, object_id = value.partition(":")
        return kind, int(object_id)
