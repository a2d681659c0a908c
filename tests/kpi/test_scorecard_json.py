"""The scorecard list's JSON kept per published scorecard (kpi.selectors.scorecard_json).

The day 2026-11-24's published run has three outlet month scorecards: Tianhe Road (GZ0101, 42 points,
mobile banking sign-ups 420 of 500) and Zhujiang New Town (GZ0102, 30 points) under the Tianhe
sub-branch GZ01, Conghua's outlet (GZ0201, 55 points) under GZ02. Head office's token reads the three.
"""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from kpi.models import RollupDay
from kpi.selectors import scorecard_json
from staff.services import api_token_create
from tests.kpi.scorecard_factories import BUSINESS_DATE, ScorecardFactory, ScorecardLineFactory, metric, published_day

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


# -- warmed ahead of the first reader (scorecards_warm, queued by kpi.receivers on day_published) --------------


def warm(**kwargs) -> int:
    return scorecard_json.scorecards_warm(day=BUSINESS_DATE, **{"limit": 100, **kwargs})


def test_after_the_warming_the_first_reader_of_the_day_computes_no_scorecard_and_reads_the_same(
    hq_reader, day, computed
):
    assert warm() == 3

    warmed = hq_reader.get(URL, QUERY)

    assert computed() == 3  # the warming's three; the request none
    cache.clear()
    assert hq_reader.get(URL, QUERY).content == warmed.content  # computed in the request: the same bytes
    assert _scores(warmed) == {"GZ0101": "42.0000", "GZ0102": "30.0000", "GZ0201": "55.0000"}


def test_the_warming_takes_the_first_cards_in_the_lists_order_up_to_its_limit(hq_reader, day, computed):
    assert warm(limit=2, chunk=1) == 2  # Tianhe Road and Zhujiang New Town, a card at a time

    hq_reader.get(URL, QUERY)

    assert computed() == 2 + 1  # Conghua, the third by id, computed by the reader


def test_a_second_warming_computes_nothing(day, computed):
    assert warm() == 3
    assert warm() == 0
    assert computed() == 3


def test_only_the_latest_published_days_month_is_warmed(network, day, computed):
    week = ScorecardFactory(run=day.published_run, unit=network["GZ0101"], period="week", total_score="9")
    older = published_day(BUSINESS_DATE - datetime.timedelta(days=1))
    ScorecardFactory(run=older.published_run, unit=network["GZ0101"], total_score="8")

    assert scorecard_json.scorecards_warm(day=older.date, limit=100) == 0  # not what the list opens on
    assert warm() == 3  # the three month cards, not the week's
    assert cache.get(scorecard_json._key(day, week.pk, compact=False)) is None


def test_no_limit_or_no_cache_warms_nothing(day, computed, settings):
    assert warm(limit=0) == 0
    settings.API_SCORECARD_CACHE_SECONDS = 0
    assert warm() == 0
    assert computed() == 0


def test_the_warming_stops_when_the_day_is_published_again_meanwhile(network, day, computed):
    kept = scorecard_json._kept

    def and_republish(*args, **kwargs):
        found = kept(*args, **kwargs)
        _publish(network, tianhe_score="47")  # a correction rolled the day up again after the first card
        return found

    with mock.patch.object(scorecard_json, "_kept", side_effect=and_republish):
        assert warm(chunk=1) == 1  # the old run's other two cards would never be read


def test_the_warming_yields_to_a_later_day_whose_rollup_has_begun(day, computed):
    # Nights made up after an outage: 2026-11-25 is rolling up (its row exists, nothing published yet).
    RollupDay.objects.create(date=BUSINESS_DATE + datetime.timedelta(days=1))

    assert warm() == 0
    assert computed() == 0


def test_todays_rollup_row_does_not_stop_the_warming_of_yesterday(network, computed):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    published = published_day(yesterday)
    ScorecardFactory(run=published.published_run, unit=network["GZ0101"], total_score="7")
    RollupDay.objects.create(date=timezone.localdate())  # facts of today arrived: not a night to make up

    assert scorecard_json.scorecards_warm(day=yesterday, limit=100) == 1


def test_a_published_day_queues_the_warming_once_committed_when_cards_are_asked_for(
    hq_reader, day, computed, settings, django_capture_on_commit_callbacks
):
    from kpi.signals import day_published

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        day_published.send_robust(sender=RollupDay, day=BUSINESS_DATE, run=day.published_run)
    assert computed() == 0  # API_SCORECARD_WARM_CARDS 0 (the suite's default, tests/conftest.py)

    settings.API_SCORECARD_WARM_CARDS = 2
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        day_published.send_robust(sender=RollupDay, day=BUSINESS_DATE, run=day.published_run)
        assert computed() == 0  # nothing before the commit

    assert len(callbacks) >= 1
    assert computed() == 2
    hq_reader.get(URL, QUERY)
    assert computed() == 2 + 1


# -- kept near: in the process's own memory, in front of the shared cache (Nearby) ----------------------------


@pytest.fixture
def near(settings):
    settings.API_SCORECARD_LOCAL_MB = 1
    yield scorecard_json.nearby
    scorecard_json.nearby.clear()


def test_a_page_read_lately_is_served_from_the_process_when_the_shared_cache_lost_it(hq_reader, day, computed, near):
    first = hq_reader.get(URL, QUERY)
    cache.clear()  # Redis restarted, or the cards left it

    second = hq_reader.get(URL, QUERY)

    assert computed() == 3  # the first request's; the second none
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]


def test_cards_read_from_the_shared_cache_are_kept_near_too(hq_reader, day, computed, near):
    hq_reader.get(URL, QUERY)  # computed, kept in both
    near.clear()  # another process: the shared cache only
    hq_reader.get(URL, QUERY)
    cache.clear()

    hq_reader.get(URL, QUERY)

    assert computed() == 3
    assert len(near) == 3


def test_the_least_recently_used_cards_leave_first_past_the_limit(near):
    card = (b"d" * 16, b"x" * 400_000)  # 400,016 bytes; the limit 1 MB (1,048,576)
    near.set_many({"a": card, "b": card}, seconds=60)
    assert near.get_many(["a"]) == {"a": card}  # a read: "b" is now the least recently used

    near.set_many({"c": card}, seconds=60)  # 1,200,048 bytes: one must leave

    assert sorted(near.get_many(["a", "b", "c"])) == ["a", "c"]
    assert len(near) == 2


def test_a_card_kept_near_is_not_read_past_the_caches_timeout(near):
    near.set_many({"a": (b"d" * 16, b"{}")}, seconds=0)

    assert near.get_many(["a"]) == {}
    assert len(near) == 0


def test_nothing_is_kept_near_when_the_limit_is_zero(hq_reader, day, computed, near, settings):
    settings.API_SCORECARD_LOCAL_MB = 0
    hq_reader.get(URL, QUERY)
    cache.clear()

    hq_reader.get(URL, QUERY)

    assert computed() == 3 + 3
    assert len(near) == 0


def test_the_warming_worker_keeps_nothing_in_its_own_memory(day, near):
    assert warm() == 3

    assert len(near) == 0
