"""The shared form widgets (lib.forms)."""

from __future__ import annotations

import datetime
import importlib
import inspect

import pytest
from django import forms
from django.apps import apps
from django.utils import translation

from lib.forms import DateInput


class _Dated(forms.Form):
    day = forms.DateField(widget=DateInput())


def test_a_date_field_writes_its_value_as_yyyy_mm_dd_in_chinese_where_django_writes_2026_12_05():
    with translation.override("zh-hans"):
        html = str(_Dated(initial={"day": datetime.date(2026, 12, 5)})["day"])
        plain = forms.DateInput().format_value(datetime.date(2026, 12, 5))

    assert 'type="date"' in html and 'value="2026-12-05"' in html
    assert plain == "2026/12/05"  # what a browser's date picker drops: the reason for the widget


def test_every_date_field_of_the_projects_forms_uses_the_date_picker():
    found, wrong = [], []
    for config in apps.get_app_configs():
        if not config.module.__file__ or "site-packages" in config.module.__file__:
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for name, form in inspect.getmembers(module, inspect.isclass):
            if not issubclass(form, forms.BaseForm) or form.__module__ != module.__name__:
                continue
            for field_name, field in form.base_fields.items():
                if isinstance(field, forms.DateField):
                    found.append(f"{name}.{field_name}")
                    if not isinstance(field.widget, DateInput):
                        wrong.append(f"{module.__name__}.{name}.{field_name}")

    assert len(found) >= 10 and wrong == []


@pytest.mark.django_db
def test_a_model_choice_of_a_number_beyond_any_id_is_an_invalid_choice_before_the_database_is_asked(
    django_assert_num_queries,
):
    from kpi.models import Metric
    from lib.forms import ModelChoiceField, ModelMultipleChoiceField

    one, many = ModelChoiceField(Metric.objects.all()), ModelMultipleChoiceField(Metric.objects.all())
    for wrong in ("99999999999999999999", "0", "-3"):
        with django_assert_num_queries(0):
            for field, value in ((one, wrong), (many, [wrong])):
                try:
                    field.clean(value)
                except forms.ValidationError as error:
                    assert error.code == "invalid_choice"
                else:
                    raise AssertionError(f"{wrong} was taken")


def test_a_services_refusal_is_said_at_the_field_it_names_and_the_rest_above_the_form():
    from django import forms as django_forms
    from django.core.exceptions import ValidationError

    from lib.forms import refusal_on_form

    class Inspection(django_forms.Form):
        summary = django_forms.CharField(required=False)

    named, plain = Inspection(data={}), Inspection(data={})
    named.is_valid(), plain.is_valid()

    refusal_on_form(named, ValidationError({"summary": ["say what was found"], "findings": ["finding 1: no day"]}))
    refusal_on_form(plain, ValidationError("the month is closed"))

    assert (named.errors["summary"], named.non_field_errors()) == (["say what was found"], ["finding 1: no day"])
    assert ("summary" in plain.errors, plain.non_field_errors()) == (False, ["the month is closed"])
