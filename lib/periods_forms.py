"""Form fields for periods, so every page form and admin form reads a period code or a month the same way
(lib.periods parses; these only turn its ValueError into a form error).

    period = PeriodField(kinds=CONTEST_PERIOD_KINDS)   # cleaned_data["period"] is a Period
    month = MonthField()                                # cleaned_data["month"] is the month's 1st day

Messages: `invalid` (not a period code, or not a month) and, for PeriodField, `invalid_kind` (a period
of a kind the field does not take); each may use `%(value)s` (or `%(text)s`), the text typed.
PeriodField's defaults are the English words of lib.periods.parse_period, as before; a form that shows
its own words passes `error_messages`. MonthField's is lib.periods.NOT_A_MONTH, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Collection

from django import forms
from django.utils.translation import gettext_lazy

from lib.periods import NOT_A_MONTH, PERIOD_FORMATS, Period, PeriodKind, PeriodKindError, parse_month, parse_period

_NOT_A_PERIOD = "'%(value)s' is not a period (expected " + PERIOD_FORMATS + ")"


class PeriodField(forms.CharField):
    """A period code (2026, 2026-Q4, 2026-11, 2026-W48, 2026-11-24) → lib.periods.Period; `kinds`
    narrows the kinds it takes."""

    default_error_messages = {"invalid": _NOT_A_PERIOD, "invalid_kind": _NOT_A_PERIOD}

    def __init__(self, *, kinds: Collection[PeriodKind] | None = None, **kwargs) -> None:
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)
        self.kinds = tuple(kinds) if kinds is not None else None

    def to_python(self, value) -> Period | None:
        if isinstance(value, Period):
            return value
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_period(text, kinds=self.kinds)
        except PeriodKindError:
            raise forms.ValidationError(
                self.error_messages["invalid_kind"], code="invalid_kind", params={"value": text, "text": text}
            )
        except ValueError:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": text, "text": text}
            )

    def run_validators(self, value) -> None:
        # max_length counts the typed text, which to_python has already read; a Period has no length.
        if not isinstance(value, Period):
            super().run_validators(value)

    def prepare_value(self, value):
        return value.code if isinstance(value, Period) else value


class MonthField(forms.CharField):
    """A month as YYYY-MM (2026-11) → its first day (2026-11-01), as months are stored. `first_day`
    also takes 2026-11-01 itself."""

    default_error_messages = {"invalid": gettext_lazy(NOT_A_MONTH)}

    def __init__(self, *, first_day: bool = False, **kwargs) -> None:
        kwargs.setdefault("max_length", 10 if first_day else 7)
        super().__init__(**kwargs)
        self.first_day = first_day

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_month(text, first_day=self.first_day)
        except ValueError:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": text, "text": text}
            )

    def run_validators(self, value) -> None:
        pass  # the month is a date by now; parse_month has checked the text

    def prepare_value(self, value):
        return f"{value:%Y-%m}" if hasattr(value, "strftime") else value
