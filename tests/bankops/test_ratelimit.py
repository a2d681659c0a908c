"""lib/ratelimit.py and what uses it: the API's request limit per token and per user, the limit of wrong
tokens per address, and django-axes' sign-in lockout."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache

from lib import ratelimit
from tests.factories import TEST_PASSWORD

TARGETS = "/api/v1/targets/"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _only_error(response) -> dict:
    [error] = response.json()["errors"]
    return error


# -- the counter ---------------------------------------------------------------------------------------


def test_the_counter_allows_the_limit_and_refuses_the_next_until_the_window_ends():
    answers = [ratelimit.hit("token:1", limit=3, window=60) for _ in range(4)]

    assert [allowed for allowed, _wait in answers] == [True, True, True, False]
    assert 1 <= answers[-1][1] <= 60
    assert ratelimit.hit("token:2", limit=3, window=60)[0]  # another key, another count


def test_parallel_requests_are_each_counted_once():
    """8 threads × 50 requests against a limit of 100 in one window: exactly 100 pass. The counter is
    created with cache.add and counted with cache.incr, each atomic (LocMemCache under its lock, Redis by
    SET NX and INCRBY), so no two requests read the same count; DRF's throttle read a list of timestamps
    and wrote it back, and parallel requests overwrote each other's."""
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def client():
        start.wait()
        for _ in range(50):
            answer, _wait = ratelimit.hit("token:parallel", limit=100, window=3600)
            with lock:
                allowed.append(answer)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(allowed) == 400
    assert allowed.count(True) == 100


@pytest.mark.parametrize("rate", ["1200", "1200/fortnight", "many/min", ""])
def test_a_rate_that_is_not_one_is_refused_with_the_expected_form(rate):
    with pytest.raises(ValueError, match="expected a whole number per s, min, hour or day"):
        ratelimit.parse_rate(rate)


def test_behind_the_proxy_the_client_is_the_address_the_proxy_saw(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")

    settings.NUM_PROXIES = 1
    assert ratelimit.client_ip(request) == "203.0.113.7"  # 6.6.6.6 is what the client claimed
    settings.NUM_PROXIES = 0
    assert ratelimit.client_ip(request) == "10.0.0.2"


# -- the API's request limit ---------------------------------------------------------------------------


def test_a_signed_in_user_has_a_bucket_of_his_own_and_the_next_request_is_a_429(client, unit_manager, settings):
    settings.API_THROTTLE_RATE = "3/min"
    client.force_login(unit_manager)

    statuses = [client.get(TARGETS).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    refused = client.get(TARGETS)
    assert _only_error(refused)["message"].startswith("too many requests: the limit is 3/min; try again in ")
    assert 1 <= int(refused["Retry-After"]) <= 60


# -- wrong tokens --------------------------------------------------------------------------------------


def test_after_the_limit_of_wrong_tokens_the_address_is_refused_even_with_a_right_one(
    client, token_client, network, settings
):
    settings.API_AUTH_FAILURE_RATE = "3/min"
    right = token_client(network["GZ01"]).defaults["HTTP_AUTHORIZATION"]

    guesses = [client.get(TARGETS, HTTP_AUTHORIZATION=f"Token guess{n}").status_code for n in range(3)]
    refused = client.get(TARGETS, HTTP_AUTHORIZATION=right)
    elsewhere = client.get(TARGETS, HTTP_AUTHORIZATION=right, REMOTE_ADDR="192.0.2.9")

    assert guesses == [401, 401, 401]
    assert refused.status_code == 429
    assert _only_error(refused)["message"].startswith(
        "too many failed authentications from this address: the limit is 3/min; try again in "
    )
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert elsewhere.status_code == 200


def test_right_tokens_are_not_counted_as_failures(token_client, network, settings):
    settings.API_AUTH_FAILURE_RATE = "2/min"
    client = token_client(network["GZ01"])

    assert [client.get(TARGETS).status_code for _ in range(4)] == [200, 200, 200, 200]


# -- sign-in lockout (django-axes) -----------------------------------------------------------------------

LOGIN = "/accounts/login/"


def _sign_in(client, username: str, password: str, address: str = "198.51.100.4"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_ten_wrong_passwords_lock_the_username_out_from_that_address(client, unit_manager, settings):
    assert (settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds()) == (10, 15 * 60)
    wrong = [_sign_in(client, "chen.zhiqiang", "wrong").status_code for _ in range(9)]
    tenth = _sign_in(client, "chen.zhiqiang", "wrong")
    right_but_locked = _sign_in(client, "chen.zhiqiang", TEST_PASSWORD)

    assert wrong == [200] * 9  # the form again, with its error
    assert tenth.status_code == 429
    assert right_but_locked.status_code == 429
    assert "15" in right_but_locked.content.decode()
    assert "_auth_user_id" not in client.session
    # From another address the manager signs in: a guesser cannot lock everyone out from everywhere.
    assert _sign_in(client, "chen.zhiqiang", TEST_PASSWORD, address="198.51.100.5").status_code == 302


def test_a_right_password_before_the_limit_starts_the_count_again(client, unit_manager):
    for _ in range(9):
        _sign_in(client, "chen.zhiqiang", "wrong")
    assert _sign_in(client, "chen.zhiqiang", TEST_PASSWORD).status_code == 302
    client.logout()

    assert [_sign_in(client, "chen.zhiqiang", "wrong").status_code for _ in range(9)] == [200] * 9
    assert _sign_in(client, "chen.zhiqiang", TEST_PASSWORD).status_code == 302
