"""Forms of the kpi pages: a PK contest and its pairs (/contests/new/)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.models import OrgUnit, UnitKind
from kpi.models import SHARE, AnnotationKind, CreditSplitRule, Metric, ScorecardTemplate
from kpi.services.contests import CONTEST_PERIOD_KINDS, contest_problems
from kpi.services.credit import credit_split_adjustment_problems
from kpi.services.notes import annotation_problems
from lib.forms import DateInput, ModelChoiceField, ModelMultipleChoiceField
from lib.periods import Period
from lib.periods_forms import PeriodField
from staff.access import Scope

CONTEST_PERIOD_HELP = gettext_lazy("A calendar week, month, quarter or year: 2026-W48, 2026-11, 2026-Q4 or 2026.")
NOT_A_CONTEST_PERIOD = gettext_lazy("“%(value)s” is not a calendar week, month, quarter or year; write e.g. 2026-11.")


class ContestForm(forms.Form):
    """A contest's settings. The unit is chosen among the units above outlets in the reader's scope; the
    period is typed as a calendar period code and parsed by lib.periods."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    unit = ModelChoiceField(
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
    template = ModelChoiceField(
        label=gettext_lazy("Scorecard template"),
        queryset=ScorecardTemplate.objects.none(),
        required=False,
        help_text=gettext_lazy("Compete on the template's lines and its total score, or choose metrics below."),
    )
    metrics = ModelMultipleChoiceField(
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


# -- notes on the figures (标注): /units/<code>/notes/ ---------------------------------------------------


class AnnotationForm(forms.Form):
    """A note on the page's unit: its kind, its days (one, or from … to), optionally one metric, and a few
    words. The rules are kpi.services.notes.annotation_problems', shown under their fields."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=AnnotationKind.choices)
    start = forms.DateField(label=gettext_lazy("From"), widget=DateInput(), input_formats=["%Y-%m-%d"])
    end = forms.DateField(
        label=gettext_lazy("To"),
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        required=False,
        help_text=gettext_lazy("Leave empty for a note on one day."),
    )
    metric = ModelChoiceField(
        label=gettext_lazy("Metric"),
        queryset=Metric.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("Every metric"),
    )
    text = forms.CharField(
        label=gettext_lazy("Note"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args, unit: OrgUnit, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.fields["metric"].queryset = Metric.objects.filter(is_active=True).order_by("sort_order", "code")
        self.fields["metric"].label_from_instance = lambda metric: metric.name  # a phone's select is narrow

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        problems = annotation_problems(
            unit=self.unit,
            metric=cleaned.get("metric"),
            kind=cleaned.get("kind", ""),
            start=cleaned.get("start"),
            end=cleaned.get("end") or cleaned.get("start"),
            text=cleaned.get("text", ""),
        )
        for field_name, messages in problems.items():
            for message in messages:
                self.add_error(field_name if field_name in self.fields else None, message)
        return cleaned


class CreditSplitAdjustmentForm(forms.Form):
    """An outlet's own share under one standing rule (分润), with the reason. The rules are
    kpi.services.credit.credit_split_adjustment_problems', shown under their fields."""

    rule = ModelChoiceField(
        queryset=CreditSplitRule.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": gettext_lazy("This rule is no longer in force; reload the page.")},
    )
    share = forms.DecimalField(
        label=gettext_lazy("Partner's share %"),
        max_digits=SHARE["max_digits"],
        decimal_places=SHARE["decimal_places"],
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 8}),
        error_messages={"invalid": gettext_lazy("Give the partner's share in percent, such as 30 or 32.5.")},
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("Kept with the change, with your name and the time."),
    )

    def __init__(self, *args, outlet: OrgUnit, rules, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.outlet = outlet
        self.fields["rule"].queryset = rules

    def clean(self) -> dict:
        cleaned = super().clean()
        rule = cleaned.get("rule")
        if rule is None or "share" not in cleaned or "reason" not in cleaned:
            return cleaned
        problems = credit_split_adjustment_problems(
            outlet=self.outlet, rule=rule, share=cleaned["share"], reason=cleaned["reason"]
        )
        for name, problem in problems.items():
            self.add_error(name if name in self.fields else None, problem)
        return cleaned
