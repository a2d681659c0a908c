"""The scorecard list's JSON kept per published scorecard (kpi.selectors.scorecard_json).

The day 2026-11-24's published run has three outlet month scorecards: Tianhe Road (GZ0101, 42 points,
mobile banking sign-ups 420 of 500) and Zhujiang New Town (GZ0102, 30 points) under the Tianhe
sub-branch GZ01, Conghua's outlet (GZ0201, 55 points) under GZ02. Head office's token reads the three.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache

from kpi.selectors import scorecard_json
from staff.services import api_token_create
from tests.kpi.scorecard_factories import ScorecardFactory, ScorecardLineFactory, metric, published_day

URL = "/api/v1/scorecards/"
QUERY = {"date": "2026-11-24", "period": "month"}


def _publish(network, *, tianhe_score: str):
    day = published_day()
    for code, score in (("GZ0101", tianhe_score), ("GZ0102", "30"), ("GZ0201", "55")):
        card = ScorecardFactory(run=day.published_run, unit=network[code], total_score=score)
        ScorecardLineFactory(
            scorecard=card, metric=metric("mobile_banking_signups"), actual="420", target="500", score=score
        )
    return day


@pytest.fixture
def day(network):
    return _publish(network, tianhe_score="42")


def _reader(client, unit):
    _token, key = api_token_create(name=f"reader {unit.code}", unit=unit, scopes="read")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    return client


@pytest.fixture
def hq_reader(network, client):
    return _reader(client, network["HQ"])


@pytest.fixture
def computed():
    """Counts the scorecards computed (not taken from the cache)."""
    with mock.patch.object(scorecard_json, "scorecards_written", wraps=scorecard_json.scorecards_written) as spy:
        yield lambda: sum(len(call.args[0]) for call in spy.call_args_list)


def _scores(response) -> dict[str, str]:
    return {card["unit"]: card["total_score"] for card in response.json()["results"]}


def test_a_second_request_of_the_page_computes_no_scorecard_and_answers_the_same_bytes(hq_reader, day, computed):
    first = hq_reader.get(URL, QUERY)
    assert computed() == 3

    second = hq_reader.get(URL, QUERY)

    assert computed() == 3  # none more
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert _scores(second) == {"GZ0101": "42.0000", "GZ0102": "30.0000", "GZ0201": "55.0000"}


def test_a_page_of_cards_partly_cached_computes_only_the_others(hq_reader, network, day, computed):
    tianhe = hq_reader.get(URL, {**QUERY, "unit": "GZ0101"})
    assert computed() == 1

    page = hq_reader.get(URL, QUERY)

    assert computed() == 1 + 2  # Zhujiang New Town and Conghua; Tianhe Road from the cache
    assert page.json()["results"][0] == tianhe.json()["results"][0]


def test_a_republished_day_is_not_served_from_the_old_runs_scorecards(hq_reader, network, day):
    assert _scores(hq_reader.get(URL, QUERY))["GZ0101"] == "42.0000"

    # A correction rolled the day up again: a new run, Tianhe Road now 47 points.
    _publish(network, tianhe_score="47")

    assert _scores(hq_reader.get(URL, QUERY)) == {"GZ0101": "47.0000", "GZ0102": "30.0000", "GZ0201": "55.0000"}


def test_a_sub_branch_token_never_sees_another_sub_branchs_cached_card(hq_reader, network, day, client):
    assert len(hq_reader.get(URL, QUERY).json()["results"]) == 3  # every card cached

    conghua = _reader(client, network["GZ02"])

    assert _scores(conghua.get(URL, QUERY)) == {"GZ0201": "55.0000"}
    assert conghua.get(URL, {**QUERY, "unit": "GZ0101"}).status_code == 404


def test_compact_and_full_scorecards_are_kept_apart(hq_reader, day):
    full = hq_reader.get(URL, QUERY)
    compact = hq_reader.get(URL, {**QUERY, "lines": "compact"})
    full_again = hq_reader.get(URL, QUERY)

    assert isinstance(compact.json()["results"][0]["lines"][0], list)
    assert compact.json()["line_columns"][0] == "metric"
    assert isinstance(full_again.json()["results"][0]["lines"][0], dict)
    assert full_again.content == full.content


def test_with_the_cache_off_every_page_is_computed_and_reads_the_same(hq_reader, day, computed, settings):
    cached = hq_reader.get(URL, QUERY).content
    settings.API_SCORECARD_CACHE_SECONDS = 0

    first, second = hq_reader.get(URL, QUERY), hq_reader.get(URL, QUERY)

    assert computed() == 3 + 3 + 3
    assert first.content == second.content == cached


def test_a_selection_of_fields_is_written_from_the_cards_not_the_cache(hq_reader, day, computed):
    hq_reader.get(URL, QUERY)

    response = hq_reader.get(URL, {**QUERY, "fields": "unit,total_score"})

    assert computed() == 3 + 3
    assert response.json()["results"][0] == {"unit": "GZ0101", "total_score": "42.0000"}


def test_a_cached_page_answers_304_to_its_etag(hq_reader, day):
    etag = hq_reader.get(URL, QUERY)["ETag"]

    response = hq_reader.get(URL, QUERY, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""


def test_the_etag_changes_when_one_card_of_the_page_reads_differently(hq_reader, day):
    first = hq_reader.get(URL, QUERY)
    tianhe = day.published_run.scorecard_set.get(unit__code="GZ0101")
    key = scorecard_json._key(day, tianhe.pk, compact=False)
    # As if Tianhe's card had left the cache and been written again with another total.
    other = scorecard_json.scorecards_written(
        [tianhe.__class__.objects.select_related("unit", "staff").get(pk=tianhe.pk)]
    )[0].replace(b'"42.0000"', b'"43.0000"', 1)
    cache.set(key, (scorecard_json._digest(other), other))

    second = hq_reader.get(URL, QUERY, HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]
    assert _scores(second)["GZ0101"] == "43.0000"


def test_the_full_and_the_compact_page_have_their_own_etags_each_the_same_on_every_request(hq_reader, day):
    full = [hq_reader.get(URL, QUERY)["ETag"] for _ in range(2)]
    compact = [hq_reader.get(URL, {**QUERY, "lines": "compact"})["ETag"] for _ in range(2)]

    assert full[0] == full[1]
    assert compact[0] == compact[1]
    assert full[0] != compact[0]


# A page from the cache: the token, the latest published day (its row: date and publication at once), the
# page of scorecards; no lines and no rules. The first request also records the token's use and reads the lines.
CACHED_PAGE_QUERIES = 3


@pytest.mark.parametrize("cards", [1, 100])
def test_a_cached_page_costs_the_same_queries_for_one_scorecard_and_for_a_hundred(
    cards, network, hq_reader, django_assert_num_queries
):
    day = published_day()
    for card in ScorecardFactory.create_batch(cards, run=day.published_run, unit=network["GZ0101"]):
        ScorecardLineFactory(scorecard=card, metric=metric("deposit_balance"), actual="1", target="2")
    first = hq_reader.get(URL, {"page_size": 100})

    with django_assert_num_queries(CACHED_PAGE_QUERIES):
        response = hq_reader.get(URL, {"page_size": 100})

    assert len(response.json()["results"]) == cards
    assert response.content == first.content
