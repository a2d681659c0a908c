"""A request limit that holds across processes: a fixed-window counter in the cache (Redis in production).

    allowed, wait = hit("token:42", limit=1200, window=60)

Why atomic: the counter of the current window is created with `cache.add` (Redis `SET … NX`: only the
first of any number of concurrent callers creates it) and counted with `cache.incr` (Redis `INCRBY`: the
server applies increments one at a time and answers each with the new total). Two gunicorn workers
counting the same bucket therefore each see a different total, and exactly `limit` of them see one at
or under the limit, whatever the interleaving. DRF's SimpleRateThrottle reads a list of timestamps,
appends to it and writes it back: two workers that read the same list both write their own, one of
the two requests is lost from the count, and under 8 parallel clients none was ever refused.

With Redis the count is one pipelined MULTI … EXEC (INCR, EXPIRE NX, TTL): the same atomic INCR in one
round trip instead of three (Django's add, then its incr as EXISTS and INCRBY), ~0.3 ms each on this
machine. LocMemCache (one process, the embedded default) does `add` and `incr` under one lock, so the
same holds between the threads of a runserver.

The window is fixed: it starts with the first request counted and the counter expires `window` seconds
later. A client may spend its limit at the end of one window and again at the start of the next, so at
most twice the limit in any stretch of one window's length; a sliding window would cost a sorted set per
client, and the limit is a guard against runaway integrations and guessing, not a billing meter.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "1200/min" → (1200, 60): requests per window and the window in seconds."""
    count, _, period = rate.partition("/")
    if period not in PERIODS or not count.isdigit():
        raise ValueError(f"'{rate}' is not a rate (expected a whole number per s, min, hour or day: '1200/min')")
    return int(count), PERIODS[period]


def hit(key: str, *, limit: int, window: int) -> tuple[bool, int]:
    """Count one request against `key`: (whether it is within `limit` in this window, seconds until the
    window ends). A window starts with the first request counted in it and lasts `window` seconds."""
    bucket = f"ratelimit:{key}:{window}"
    redis = _redis_of(bucket)
    if redis is not None:
        client, stored = redis
        # One round trip, applied at once (MULTI … EXEC): count, give a new counter its expiry (NX: only
        # one without an expiry yet, so a window is never stretched), and read what is left of it.
        with client.pipeline() as pipe:
            pipe.incr(stored)
            pipe.expire(stored, window, nx=True)
            pipe.ttl(stored)
            count, _expiry_set, left = pipe.execute()
        return (True, 0) if count <= limit else (False, max(1, min(window, left)))
    cache.add(bucket, 0, timeout=window)
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr: this request opens the next window
        cache.add(bucket, 0, timeout=window)
        count = cache.incr(bucket)
    now = time.time()
    if count == 1:
        # The first of a window: note when it began (for Retry-After).
        cache.set(f"{bucket}:since", now, timeout=window)
    if count <= limit:
        return True, 0
    return False, _wait(cache.get(f"{bucket}:since", now), window, now)


def peek(key: str, *, window: int) -> tuple[int, int]:
    """How many requests `key` has counted in its current window (without counting one), and the seconds
    until that window ends. One round trip to Redis (it is read on every API request with a token)."""
    bucket = f"ratelimit:{key}:{window}"
    redis = _redis_of(bucket)
    if redis is not None:
        client, stored = redis
        with client.pipeline(transaction=False) as pipe:
            pipe.get(stored)
            pipe.ttl(stored)
            count, left = pipe.execute()
        return int(count or 0), max(1, min(window, left))
    now = time.time()
    found = cache.get_many([bucket, f"{bucket}:since"])
    return found.get(bucket, 0), _wait(found.get(f"{bucket}:since", now), window, now)


def _redis_of(bucket: str):
    """(the Redis client, the key as stored) when the cache is Django's RedisCache, else None. Its counters
    are plain integers in Redis (Django's serializer stores an int as itself), so cache.get reads what
    INCR wrote. Reaches into the backend's client (RedisCache._cache, stable since Django 4.0) for the
    pipeline, which the cache API does not offer."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    stored = backend.make_and_validate_key(bucket)
    return backend._cache.get_client(stored, write=True), stored


def _wait(since: float, window: int, now: float) -> int:
    return max(1, min(window, math.ceil(since + window - now)))


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy (settings.NUM_PROXIES, from
    BEHIND_TLS_PROXY) the address that proxy saw, the last but NUM_PROXIES − 1 of X-Forwarded-For. The
    header's other entries are written by the client and never trusted. Also django-axes'
    AXES_CLIENT_IP_CALLABLE, so both limits read one address."""
    from django.conf import settings

    proxies = getattr(settings, "NUM_PROXIES", 0)
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return remote
