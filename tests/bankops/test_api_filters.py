"""lib.api_filters.FilterBackend: the filter form is built only when the request names a filter."""

from __future__ import annotations

from unittest import mock

import django_filters
import pytest

from kpi.api.scorecards import ScorecardFilter
from kpi.models import Scorecard
from lib.api_filters import names_a_filter
from staff.services import api_token_create
from tests.kpi.scorecard_factories import ScorecardFactory, published_day


class _Window(django_filters.FilterSet):
    made = django_filters.DateFromToRangeFilter(field_name="date")

    class Meta:
        model = Scorecard
        fields = ["made"]


class _Required(django_filters.FilterSet):
    unit = django_filters.CharFilter(required=True)

    class Meta:
        model = Scorecard
        fields = ["unit"]


def test_a_filter_is_named_by_its_own_name():
    assert names_a_filter({"unit": "GZ0101", "page_size": "10"}, ScorecardFilter) is True


def test_paging_and_representation_parameters_name_no_filter():
    assert names_a_filter({"page_size": "100", "cursor": "cD0x", "lines": "compact"}, ScorecardFilter) is False


def test_a_range_filter_is_named_by_its_suffixed_parameters():
    assert names_a_filter({"made_after": "2026-11-01"}, _Window) is True
    assert names_a_filter({"date": "2026-11-01"}, _Window) is False


def test_a_filterset_with_a_required_filter_is_always_built_so_that_it_can_say_what_is_missing():
    assert names_a_filter({}, _Required) is True


@pytest.fixture
def hq_client(network, client):
    day = published_day()
    for code, score in (("GZ0101", "42"), ("GZ0102", "30")):
        ScorecardFactory(run=day.published_run, unit=network[code], total_score=score, vetoed=code == "GZ0102")
    _token, key = api_token_create(name="hq", unit=network["HQ"], scopes="read")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    return client


def _units(response) -> list[str]:
    return [card["unit"] for card in response.json()["results"]]


def test_a_list_asked_without_a_filter_builds_no_form_and_lists_everything(hq_client):
    with mock.patch.object(ScorecardFilter, "__init__", side_effect=AssertionError("form built")) as built:
        response = hq_client.get("/api/v1/scorecards/", {"date": "2026-11-24", "page_size": "10"})

    assert built.call_count == 0
    assert response.status_code == 200
    assert _units(response) == ["GZ0101", "GZ0102"]


def test_a_list_asked_with_a_filter_is_filtered_and_a_bad_value_is_still_a_400(hq_client):
    vetoed = hq_client.get("/api/v1/scorecards/", {"date": "2026-11-24", "vetoed": "true"})
    bad = hq_client.get("/api/v1/scorecards/", {"date": "2026-11-24", "vetoed": "maybe"})

    assert _units(vetoed) == ["GZ0102"]
    assert bad.status_code == 400
    assert [error["field"] for error in bad.json()["errors"]] == ["vetoed"]


def _filtersets(cls=django_filters.FilterSet):
    for sub in cls.__subclasses__():
        yield sub
        yield from _filtersets(sub)


def test_every_number_filter_of_the_api_is_a_bounded_id():
    # django-filter's NumberFilter takes 1.5 (read as 1) and 99999999999999999999, which overflowed
    # SQLite's integer into a 500: every id filter is lib.api_filters.IdFilter (1 to lib.ids.MAX_ID).
    from django.urls import get_resolver

    from lib.api_filters import IdFilter

    assert get_resolver().url_patterns  # imports every view, so every FilterSet of the API is defined
    project = [fs for fs in _filtersets() if not fs.__module__.startswith(("django_filters", "tests."))]
    loose = [
        f"{fs.__module__}.{fs.__name__}.{name}"
        for fs in project
        for name, declared in fs.declared_filters.items()
        if isinstance(declared, django_filters.NumberFilter) and not isinstance(declared, IdFilter)
    ]

    assert len(project) >= 20 and loose == []
