"""The Redis cache backend of production (lib/cache.py): Django's, keeping one client per connection pool.
Runs whenever REDIS_URL is set, as in CI (the whole suite then runs on this backend)."""

from __future__ import annotations

import os

import pytest
import redis
from django.conf import settings

from lib import ratelimit
from lib.cache import RedisCache

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL and os.environ.get("CI") != "true", reason="needs REDIS_URL (a real Redis); .ci/run sets it"
)


@pytest.fixture
def backend():
    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-cache-backend"})
    yield cache
    cache.clear()


def test_the_cache_makes_one_redis_client_per_connection_pool_not_one_per_operation(backend, monkeypatch):
    made = []
    original = redis.Redis.__init__

    def counted(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counted)

    backend.set("card:1", {"total_score": "40.0000"}, timeout=60)
    backend.set_many({"card:2": b"{}", "card:3": b"[]"}, timeout=60)
    assert backend.get("card:1") == {"total_score": "40.0000"}
    assert backend.get_many(["card:2", "card:3", "card:4"]) == {"card:2": b"{}", "card:3": b"[]"}
    assert backend.add("card:count", 5, timeout=60)
    assert backend.incr("card:count") == 6

    assert len(made) == 1
    assert backend._cache.get_client(write=True) is backend._cache.get_client(write=False) is made[0]


def test_the_request_limit_counts_through_the_shared_client(backend, monkeypatch):
    monkeypatch.setattr(ratelimit, "caches", {"default": backend})

    assert ratelimit.hit("token:7", limit=2, window=60) == (True, 0)
    assert ratelimit.hit("token:7", limit=2, window=60) == (True, 0)
    allowed, wait = ratelimit.hit("token:7", limit=2, window=60)
    count, left = ratelimit.peek("token:7", window=60)

    assert not allowed and 1 <= wait <= 60
    assert count == 3 and 1 <= left <= 60
