"""The Redis cache backend of production (settings.CACHES with REDIS_URL): Django's, with one redis.Redis
client kept per connection pool.

Django's RedisCacheClient makes a new `redis.Redis(connection_pool=…)` for every cache operation (its
get_client says a custom client may do otherwise); building one costs 0.05 ms, and an API request makes
three or four operations (the wrong-token count, the request limit, the scorecard cache). A client holds
no connection of its own: it takes one from its pool for each command. Django's `caches` are per thread
(a gthread worker's threads each have their backend, pools and so their client), so the dict below is
only ever filled by one thread; two threads building a client at once would cost one client, no harm."""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # connection pool → its redis.Redis

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
