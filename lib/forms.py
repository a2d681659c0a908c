"""Form widgets every app's forms share."""

from __future__ import annotations

from django import forms

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """The phone's date picker (`<input type="date">`). Its value must be YYYY-MM-DD whatever the reader's
    language: the browser drops any other (Django would write zh-Hans' 2026/12/05, and a required date
    with a default would come back empty)."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATE)
