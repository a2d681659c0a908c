"""Forms of the alert, review and plan pages. They check what a form can check (a date, a choice, a unit in
the reader's scope); the services (alerts.services) decide what may change and say why not."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alerts.models import Alert, AlertStatus, Cause, RuleKind
from alerts.selectors import STATUS_GROUPS, alert_owner_candidates
from alerts.services.follow_up import DEADLINE_MAX_DAYS
from alerts.services.plans import NOT_A_PLAN_PERIOD, PLAN_PERIOD_KINDS
from branches.models import OrgUnit, UnitKind
from lib.forms import DateInput, ModelChoiceField
from lib.periods_forms import PeriodField
from staff.access import Scope
from staff.models import User


def person_label(user: User) -> str:
    """A login as its name, role and unit: 陈志强 · Unit manager · GZ01."""
    parts = [user.get_full_name() or user.username]
    if user.role:
        parts.append(user.get_role_display())
    if user.unit_id:
        parts.append(user.unit.code)
    return " · ".join(str(part) for part in parts)


class PersonChoiceField(ModelChoiceField):
    """A login chosen by username, shown by person_label."""

    def label_from_instance(self, user: User) -> str:
        return person_label(user)


def _unit_in_scope(scope: Scope, code: str, *, outlets_only: bool = False) -> OrgUnit:
    code = code.strip()
    units = scope.units(OrgUnit.objects.filter(code=code))
    if outlets_only:
        units = units.filter(kind=UnitKind.OUTLET)
    unit = units.first()
    if unit is None:
        if outlets_only:
            message = _("“%(code)s” is not an outlet you can see; write an outlet's code, e.g. GZ0101.")
        else:
            message = _("“%(code)s” is not a unit you can see; write a unit's code, e.g. GZ01 or GZ0101.")
        raise forms.ValidationError(message % {"code": code})
    return unit


# -- alerts --------------------------------------------------------------------------------------------


def status_filter_choices() -> list[tuple[str, str]]:
    return [
        ("active", _("Still to act on")),
        *[(value, label) for value, label in AlertStatus.choices],
        ("closed", _("Closed (verified or cleared)")),
        ("all", _("All")),
    ]


class AlertFilterForm(forms.Form):
    """The list's filters, read from the query string; a wrong value is reported and ignored."""

    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Rule"), required=False)
    unit = forms.CharField(
        label=gettext_lazy("Unit"),
        required=False,
        max_length=32,
        help_text=gettext_lazy("A unit's code: its alerts and those of the units under it."),
    )
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    mine = forms.BooleanField(label=gettext_lazy("Mine only"), required=False)

    def __init__(self, *args, scope: Scope, user: User | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.user = user
        self.fields["status"].choices = status_filter_choices()
        self.fields["kind"].choices = [("", _("Any rule")), *RuleKind.choices]

    def clean_status(self) -> str:
        # Default: what is still to act on. "all" is no filter.
        status = self.cleaned_data.get("status") or "active"
        return "" if status == "all" else status

    def clean_unit(self) -> OrgUnit | None:
        code = self.cleaned_data.get("unit", "")
        return _unit_in_scope(self.scope, code) if code.strip() else None

    def filters(self) -> dict:
        """The selector's keyword arguments: the valid filters (the default for a wrong one)."""
        if not self.is_bound:
            return {"status": "active"}
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        status = cleaned.get("status", "active") if "status" not in self.errors else "active"
        return {
            "status": status if status in STATUS_GROUPS or status in AlertStatus.values else None,
            "rule_kind": cleaned.get("kind") or None,
            "under": cleaned.get("unit"),
            "overdue": True if cleaned.get("overdue") else None,
            "owner": self.user if cleaned.get("mine") and self.user is not None else None,
        }


def deadline_problem(alert: Alert, deadline: datetime.date | None) -> str | None:
    """A deadline already past may stay as it is (that is what "overdue" shows), but not be set anew; a
    new one is at most DEADLINE_MAX_DAYS ahead (a 整改 of 2099 is no deadline). Whether an overdue alert's
    deadline may be moved later is the service's rule (alerts.services.follow_up.alert_update: the level
    above)."""
    if not deadline or deadline == alert.deadline:
        return None
    today = timezone.localdate()
    if deadline < today:
        return _("The deadline is in the past; choose today or a later day.")
    latest = today + datetime.timedelta(days=DEADLINE_MAX_DAYS)
    if deadline > latest:
        return _("A deadline is at most %(days)s days ahead: %(latest)s at the latest.") % {
            "days": DEADLINE_MAX_DAYS,
            "latest": latest.isoformat(),
        }
    return None


class AlertFollowUpForm(forms.Form):
    """Owner, cause, action plan (整改) and deadline of an alert."""

    owner = PersonChoiceField(
        label=gettext_lazy("Owner"),
        queryset=User.objects.none(),
        to_field_name="username",
        required=False,
        help_text=gettext_lazy("Someone who can follow up this unit."),
    )
    cause = forms.ChoiceField(label=gettext_lazy("Cause"), required=False)
    action_plan = forms.CharField(
        label=gettext_lazy("Action plan (整改)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    deadline = forms.DateField(label=gettext_lazy("Deadline"), required=False, widget=DateInput())

    def __init__(self, *args, alert: Alert, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "owner": alert.owner.username if alert.owner_id else None,
                "cause": alert.cause,
                "action_plan": alert.action_plan,
                "deadline": alert.deadline,
            },
        )
        super().__init__(*args, **kwargs)
        self.alert = alert
        self.fields["owner"].queryset = alert_owner_candidates(alert=alert)
        self.fields["cause"].choices = [("", "—"), *Cause.choices]

    def clean_deadline(self) -> datetime.date | None:
        deadline = self.cleaned_data.get("deadline")
        problem = deadline_problem(self.alert, deadline)
        if problem:
            raise forms.ValidationError(problem)
        return deadline


class AlertTransitionForm(forms.Form):
    """A move of the state machine; any status is accepted here, so that the service can say why a move
    is not possible rather than the form saying "not a valid choice"."""

    to = forms.ChoiceField(label=gettext_lazy("New status"), choices=AlertStatus.choices)
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Needed when reopening: say what is still wrong."),
    )


class CommentForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


# -- the Monday review (周例会) ------------------------------------------------------------------------


class ReviewFillForm(forms.Form):
    what_happened = forms.CharField(label=gettext_lazy("What happened"), widget=forms.Textarea(attrs={"rows": 3}))
    why = forms.CharField(label=gettext_lazy("Why"), widget=forms.Textarea(attrs={"rows": 3}))
    remedy = forms.CharField(label=gettext_lazy("Remedy"), widget=forms.Textarea(attrs={"rows": 3}))
    support_needed = forms.CharField(
        label=gettext_lazy("Support needed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Leave empty if the outlet needs no support."),
    )
    support_from = forms.CharField(
        label=gettext_lazy("Support from whom"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("A person or a department, e.g. 个金部 or the sub-branch president."),
    )


class ReviewAnswerForm(forms.Form):
    answer = forms.CharField(label=gettext_lazy("Your answer"), widget=forms.Textarea(attrs={"rows": 3}))


# -- improvement plans (一点一策) ----------------------------------------------------------------------


class PlanForm(forms.Form):
    """A new plan. The one-plan-per-outlet-and-period rule is checked by plan_create (and the period again,
    with the same words)."""

    unit = forms.CharField(
        label=gettext_lazy("Outlet"), max_length=32, help_text=gettext_lazy("The outlet's code, e.g. GZ0101.")
    )
    period = PeriodField(
        label=gettext_lazy("Period"),
        help_text=gettext_lazy("A month, quarter or year: 2026-11, 2026-Q4 or 2026."),
        kinds=PLAN_PERIOD_KINDS,
        error_messages=dict.fromkeys(("invalid", "invalid_kind"), NOT_A_PLAN_PERIOD),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    diagnosis = forms.CharField(
        label=gettext_lazy("Diagnosis"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, scope: Scope, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope

    def clean_unit(self) -> OrgUnit:
        return _unit_in_scope(self.scope, self.cleaned_data["unit"], outlets_only=True)


class MeasureForm(forms.Form):
    """A measure to add, or one to update (a form per row, prefixed by the measure's id). `people` are the
    possible owners, read once for the whole page."""

    description = forms.CharField(label=gettext_lazy("Measure"), max_length=300)
    owner = forms.ChoiceField(label=gettext_lazy("Owner"), required=False)
    due = forms.DateField(label=gettext_lazy("Due"), required=False, widget=DateInput())
    progress = forms.IntegerField(
        label=gettext_lazy("Progress %"),
        min_value=0,
        max_value=100,
        initial=0,
        widget=forms.NumberInput(attrs={"step": 5}),
    )

    def __init__(self, *args, people: list[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.people = {person.username: person for person in people}
        self.fields["owner"].choices = [("", "—"), *[(person.username, person_label(person)) for person in people]]

    def clean_owner(self) -> User | None:
        username = self.cleaned_data.get("owner")
        return self.people.get(username) if username else None

    @classmethod
    def for_measure(cls, measure, *, people: list[User], data=None) -> MeasureForm:
        initial = {
            "description": measure.description,
            "owner": measure.owner.username if measure.owner_id else "",
            "due": measure.due,
            "progress": measure.progress,
        }
        return cls(data, people=people, prefix=f"m{measure.pk}", initial=initial)
