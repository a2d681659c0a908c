"""Form widgets and fields every app's forms share, and a service's refusal shown on the form that sent it."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from lib.ids import is_id

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """The phone's date picker (`<input type="date">`). Its value must be YYYY-MM-DD whatever the reader's
    language: the browser drops any other (Django would write zh-Hans' 2026/12/05, and a required date
    with a default would come back empty)."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATE)


def _out_of_range(value) -> bool:
    """A value that reads as a whole number but is no id (0, -1, 99999999999999999999)."""
    try:
        return not is_id(int(str(value)))
    except ValueError:
        return False  # not a number: the field's own check refuses it


class ModelChoiceField(forms.ModelChoiceField):
    """Django's, refusing a number that is no id as an invalid choice before the database is asked."""

    def to_python(self, value):
        if value not in self.empty_values and not self.to_field_name and _out_of_range(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, refusing a number that is no id as an invalid choice before the database is asked."""

    def _check_values(self, value):
        if not self.to_field_name:
            for pk in value:
                if _out_of_range(pk):
                    raise forms.ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                    )
        return super()._check_values(value)


def refusal_on_form(form: forms.Form, refused: ValidationError) -> None:
    """A service's refusal (a ValidationError) on the form whose data it refused: each problem under the
    field it names (Django marks the field aria-invalid and ties the message to it), a problem of a field
    the form does not show, or of none, above the form (form.non_field_errors)."""
    by_field = refused.message_dict if hasattr(refused, "error_dict") else {NON_FIELD_ERRORS: refused.messages}
    for field, problems in by_field.items():
        form.add_error(field if field in form.fields else None, problems)
