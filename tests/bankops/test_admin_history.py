"""The admin's history in Chinese (bankops.apps): a changed field is named by its translated label
("已修改中文名称。"), not by Django's English "Name (Chinese)", which our catalog does not hold."""

from __future__ import annotations

import json

import pytest
from django import forms
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import construct_change_message
from django.forms import modelform_factory
from django.utils import translation

from kpi.models import Metric

pytestmark = pytest.mark.django_db


def history_line(form) -> str:
    assert form.is_valid(), form.errors
    entry = LogEntry(change_message=json.dumps(construct_change_message(form, [], add=False)))
    with translation.override("zh-hans"):
        return entry.get_change_message()


def test_a_changed_field_is_named_in_chinese_in_the_history():
    metric = Metric.objects.get(code="deposit_balance")
    form = modelform_factory(Metric, fields=["name_zh", "name_en"])(
        data={"name_zh": "各项存款余额（新）", "name_en": metric.name_en}, instance=metric
    )

    assert history_line(form) == "已修改中文名称。"


def test_a_forms_own_label_is_kept_as_it_is():
    class Renamed(forms.ModelForm):
        name_zh = forms.CharField(label="指标名称")

        class Meta:
            model = Metric
            fields = ["name_zh"]

    form = Renamed(data={"name_zh": "新"}, instance=Metric.objects.get(code="deposit_balance"))

    assert history_line(form) == "已修改指标名称。"
