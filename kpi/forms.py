"""Forms of the kpi pages: a PK contest and its pairs (/contests/new/)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.models import OrgUnit, UnitKind
from kpi.models import Metric, ScorecardTemplate
from kpi.services.contests import CONTEST_PERIOD_KINDS, contest_problems
from lib.periods import Period
from lib.periods_forms import PeriodField
from staff.access import Scope

CONTEST_PERIOD_HELP = gettext_lazy("A calendar week, month, quarter or year: 2026-W48, 2026-11, 2026-Q4 or 2026.")
NOT_A_CONTEST_PERIOD = gettext_lazy("“%(value)s” is not a calendar week, month, quarter or year; write e.g. 2026-11.")


class ContestForm(forms.Form):
    """A contest's settings. The unit is chosen among the units above outlets in the reader's scope; the
    period is typed as a calendar period code and parsed by lib.periods."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Organised by"),
        queryset=OrgUnit.objects.none(),
        to_field_name="code",
        help_text=gettext_lazy("Its outlets compete."),
    )
    period = PeriodField(
        label=gettext_lazy("Period"),
        help_text=CONTEST_PERIOD_HELP,
        kinds=CONTEST_PERIOD_KINDS,
        error_messages=dict.fromkeys(("invalid", "invalid_kind"), NOT_A_CONTEST_PERIOD),
    )
    template = forms.ModelChoiceField(
        label=gettext_lazy("Scorecard template"),
        queryset=ScorecardTemplate.objects.none(),
        required=False,
        help_text=gettext_lazy("Compete on the template's lines and its total score, or choose metrics below."),
    )
    metrics = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Metrics"),
        queryset=Metric.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The pair that leads more of these metrics leads the PK."),
    )

    def __init__(self, *args, scope: Scope, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scope.units(OrgUnit.objects.exclude(kind=UnitKind.OUTLET)).order_by("path")
        self.fields["template"].queryset = ScorecardTemplate.objects.filter(
            subject=ScorecardTemplate.Subject.OUTLET, is_active=True
        ).order_by("code", "-effective_from")
        self.fields["metrics"].queryset = Metric.objects.filter(is_active=True, level__in=["outlet", "both"])

    def clean(self) -> dict:
        cleaned = super().clean()
        period: Period | None = cleaned.get("period")
        problems = contest_problems(
            name=cleaned.get("name", ""),
            unit=cleaned.get("unit"),
            period_start=period.start if period else None,
            period_end=period.end if period else None,
            template=cleaned.get("template"),
            metrics=list(cleaned.get("metrics") or []),
        )
        for field_name, messages in problems.items():
            target = {"period_end": "period", "period_start": "period"}.get(field_name, field_name)
            for message in messages:
                if target not in self.errors:
                    self.add_error(target, message)
        return cleaned


class PairForm(forms.Form):
    """One pair: two outlets by code. A row left empty is ignored."""

    outlet_a = forms.ChoiceField(label=gettext_lazy("Outlet A"), required=False)
    outlet_b = forms.ChoiceField(label=gettext_lazy("Outlet B"), required=False)

    def __init__(self, *args, outlet_choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *outlet_choices]
        self.fields["outlet_a"].choices = choices
        self.fields["outlet_b"].choices = choices

    def clean(self) -> dict:
        cleaned = super().clean()
        if bool(cleaned.get("outlet_a")) != bool(cleaned.get("outlet_b")):
            raise forms.ValidationError(_("Choose both outlets of the pair, or neither."))
        return cleaned


PairFormSet = forms.formset_factory(PairForm, extra=0, max_num=500, validate_max=True)
