"""The scorecard list written by hand (kpi.serializers.scorecard_data over
kpi.selectors.scorecards.page_lines) against the serializer it replaced, and the leaner forms
(`fields=`, `lines=compact`) of GET /api/v1/scorecards/ (issue 21)."""

from __future__ import annotations

import json

import pytest
from django.db.models import Prefetch
from rest_framework.renderers import JSONRenderer

from kpi.models import RollupDay, Scorecard, ScorecardLine
from kpi.selectors.comparisons import lines_compare
from kpi.selectors.score_explanation import explanation_for, template_rules
from kpi.serializers import LINE_COLUMNS, ScorecardSerializer
from staff.services import api_token_create
from tests.kpi.ranking_data import DAY, ranked, shared_ranking  # noqa: F401  (fixtures: scored outlets, rolled up once)

pytestmark = pytest.mark.django_db
URL = "/api/v1/scorecards/"


@pytest.fixture
def gz_reader(ranked, client):  # noqa: F811
    _token, key = api_token_create(name="reader", unit=ranked["HQ"], scopes="read")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    return client


def _serializer_results(period: str) -> list:
    """The page as the view wrote it before issue 21: model instances with their lines prefetched,
    explained and compared, through ScorecardSerializer."""
    run_id = RollupDay.objects.get(date=DAY).published_run_id
    lines = ScorecardLine.objects.select_related("metric").order_by("metric__sort_order", "metric__code", "pk")
    page = list(
        Scorecard.objects.filter(run_id=run_id, date=DAY, period=period)
        .select_related("unit", "staff")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("pk")
    )
    rules = template_rules(card.template_id for card in page)
    for card in page:
        card.explanation = explanation_for(card, rules.get(card.template_id))
    lines_compare(page)
    return ScorecardSerializer(page, many=True).data


@pytest.mark.parametrize("period", ["day", "month", "year"])
def test_the_page_written_by_hand_is_byte_for_byte_the_serializers(gz_reader, period):
    response = gz_reader.get(URL, {"date": DAY.isoformat(), "period": period, "page_size": 1000})

    assert response.status_code == 200
    answer = response.json()
    expected = _serializer_results(period)
    assert len(answer["results"]) == len(expected) > 0
    # Scored lines with rules, comparisons and forecasts are on the page (the check is not vacuous).
    assert any(line["kind"] for card in answer["results"] for line in card["lines"])
    envelope = {"next": answer["next"], "previous": answer["previous"], "results": expected}
    assert response.content == JSONRenderer().render(envelope)


def test_fields_keeps_the_fields_named_in_the_schemas_order(gz_reader):
    full = gz_reader.get(URL, {"date": DAY.isoformat(), "page_size": 1000}).json()["results"]

    response = gz_reader.get(URL, {"date": DAY.isoformat(), "page_size": 1000, "fields": "rank,unit, total_score"})

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"unit": card["unit"], "total_score": card["total_score"], "rank": card["rank"]} for card in full
    ]


def test_unknown_fields_are_a_400_naming_them(gz_reader):
    response = gz_reader.get(URL, {"fields": "unit,score,colour"})

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "field": "fields",
                "message": "Unknown field(s): score, colour; choose among unit, staff, date, period, period_start, "
                "period_end, total_score, vetoed, veto_reason, rank, rank_of, lines, template_code, "
                "template_version, full_score, max_score, previous_period_as_of, last_year_as_of.",
                "row": None,
            }
        ]
    }


@pytest.mark.parametrize("query", [{"fields": ""}, {"fields": " , "}, {"lines": "rows"}])
def test_an_empty_selection_or_an_unknown_form_of_lines_is_a_400(gz_reader, query):
    response = gz_reader.get(URL, query)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == next(iter(query))


def test_compact_lines_are_rows_under_the_pages_line_columns(gz_reader):
    full = gz_reader.get(URL, {"date": DAY.isoformat(), "page_size": 1000}).json()

    compact = gz_reader.get(URL, {"date": DAY.isoformat(), "page_size": 1000, "lines": "compact"}).json()

    assert compact["line_columns"] == list(LINE_COLUMNS)
    assert len(LINE_COLUMNS) == 34  # 12 figures, 7 of the rule, 15 comparisons and forecast
    rebuilt = [
        {**card, "lines": [dict(zip(compact["line_columns"], row, strict=True)) for row in card["lines"]]}
        for card in compact["results"]
    ]
    assert rebuilt == full["results"]
    assert "line_columns" not in full
    # Compact is smaller: the 34 names are written once a page, not once a line.
    assert len(json.dumps(compact)) < len(json.dumps(full))


def test_without_lines_the_page_reads_no_lines(gz_reader, django_assert_num_queries):
    gz_reader.get(URL, {"date": DAY.isoformat()})  # the token's last use recorded
    # token, the day's run, the page's ids, its scorecards, the templates' rules (no lines; not cached)
    with django_assert_num_queries(5):
        response = gz_reader.get(URL, {"date": DAY.isoformat(), "fields": "unit,staff,total_score"})

    assert response.status_code == 200
    assert all(set(card) == {"unit", "staff", "total_score"} for card in response.json()["results"])
