"""lib.api.render_json: orjson for plain data, byte for byte what DRF's JSONRenderer wrote before."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from lib.api import render_json

PLAIN = {
    "next": "https://bank.example/api/v1/scorecards/?cursor=cD0xMDA%3D&page_size=100",
    "previous": None,
    "results": [
        {"unit": "GZ0101", "name": "天河路网点", "total_score": "42.0000", "vetoed": False, "rank": 2, "lines": []},
        {"text": 'quote " backslash \\ slash / tab \t newline \n nul \x00 unit separator \x1f delete \x7f'},
        {"emoji": "🏦", "big": 2**63 - 1, "negative": -(2**63), "nested": [[[{}]]], "tuple": (1, "a")},
    ],
}


@pytest.mark.parametrize(
    "data",
    [
        PLAIN,
        ReturnDict({"results": ReturnList([{"a": 1}], serializer=None)}, serializer=None),  # what .data gives
        {"separators": "\u2028 line \u2029 paragraph: escaped, as JavaScript needs"},
        {"decimal": Decimal("1.50"), "day": datetime.date(2026, 11, 24)},  # DRF's encoder, for the whole body
        {"moment": datetime.datetime(2026, 11, 24, 8, 30, 0, 123456, tzinfo=datetime.UTC)},
        {"time": datetime.time(8, 30, 0, 123456), "uuid": uuid.UUID(int=7)},
        {"lazy": gettext_lazy("Scorecard"), "beyond 64 bits": 2**64},
        {1: "an int key, written as a string"},
        [],
        "",
    ],
)
def test_it_writes_the_bytes_drfs_renderer_writes(data):
    assert render_json(data) == JSONRenderer().render(data)


def test_a_line_or_paragraph_separator_is_escaped():
    assert render_json({"a": "x\u2028y\u2029"}) == b'{"a":"x\\u2028y\\u2029"}'
