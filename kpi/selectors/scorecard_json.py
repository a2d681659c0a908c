"""The scorecard list of the API (GET /api/v1/scorecards/) as JSON, a scorecard at a time, cached.

A published run never changes: a correction, a new target or template, a reopened month rolls the day
up again under a new run, and the day points at it (RollupDay.published_run). So the JSON object of a
scorecard of a published run can be kept as it was first written, as bytes, in Django's default cache
(Redis with REDIS_URL, shared by the gunicorn workers; in-process locmem in the embedded default), under

    (FRAGMENT_VERSION, the run's id and publication time, the scorecard's id, full or compact)

- no language: nothing in it is translated (codes, decimals as strings, dates, the stored veto reason);
- no scope: the token's scope filters the page's query (kpi/api/scorecards.py), so a card is read only
  by those who may see it, and it reads the same for each of them;
- the publication time beside the run's id: ids start again in a database made anew (a restore, the
  bench) while Redis keeps the old fragments;
- FRAGMENT_VERSION: move it when a change of the code changes what a scorecard's JSON says.

What is not in the key but read with the card: last year's full-period values for the forecast (a
correction that far back marks every later day stale, so today's card gets a new run too, unless its
month is closed) and the template rules (a template change marks the days stale): the timeout
(API_SCORECARD_CACHE_SECONDS, a day by default; 0: no cache) bounds what a closed month could keep.

Each fragment is kept with its digest (16 bytes of its SHA-256, taken when it is written): the page's
ETag is a hash of the page's links and its fragments' digests, so it changes exactly when the body does,
without hashing the 1.2 MB body on every request (5 ms, half a warm page's time on this machine).

A page: its scorecards' ids (the page's query, scope and filters in it), one `get_many` for their
fragments, the missing ones read and computed together (the cards, their lines, the templates' rules, the
comparisons: a query each) and stored with one `set_many`; the body put together as bytes, byte for byte what
rendering the whole page as one object writes (tests/kpi/test_api_scorecards_representation.py,
tests/kpi/test_scorecard_json.py). `fields=` is not cached: a selection is written from the cards as
before (every field named is the full form, and cached).

Kept near too: with a cache outside the process (Redis), each web process keeps the fragments it read
or wrote lately in its own memory as well (API_SCORECARD_LOCAL_MB, the least recently used leaving first,
each no longer than the cache's timeout): reading a page's 1.4 MB back from Redis was a quarter of a page
read from the cache. Nothing to invalidate: a fragment never changes under its key.

Warmed ahead of the first reader (scorecards_warm, in a worker once a day is published: kpi.receivers):
the latest day's month scorecards (the list's default period), full form, the first
API_SCORECARD_WARM_CARDS of them in the list's order (by id), a hundred at a time. A page of them is then
read from the cache by whoever asks first (an integration walking the day at 08:00), instead of being
computed in their request (~40 ms a page of 100, against ~6 ms from the cache). Only with a cache the
web processes share (Redis): the in-process locmem of the embedded default would warm the worker alone.
"""

from __future__ import annotations

import datetime
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.http import quote_etag

from kpi.models import RollupDay, Scorecard
from kpi.selectors.comparisons import lines_compare
from kpi.selectors.score_explanation import explanation_for, template_rules
from kpi.selectors.scorecards import latest_published_day, page_lines
from kpi.serializers import LINE_COLUMNS, SCORECARD_FIELDS, scorecard_data
from lib.api import render_json

# 2: each fragment kept with its digest.
FRAGMENT_VERSION = 3  # 3: forecasts of business-day metrics in business days
# The period the list answers when none is asked for (kpi/api/scorecards.py), and the one warmed.
DEFAULT_PERIOD = "month"
_LINE_COLUMNS_JSON = render_json(list(LINE_COLUMNS))


def scorecards_written(
    cards: Sequence[Scorecard], *, fields: tuple[str, ...] = SCORECARD_FIELDS, compact: bool = False
) -> list[bytes]:
    """Each card as its JSON object (kpi.serializers.scorecard_data, rendered), computed: the lines in
    one query (none when `fields` leaves them out), the templates' rules in one, the comparisons in one
    at most."""
    lines = page_lines(cards) if "lines" in fields else dict.fromkeys(card.pk for card in cards)
    rules = template_rules(card.template_id for card in cards)
    for card in cards:
        card.explanation = explanation_for(card, rules.get(card.template_id), lines=lines[card.pk] or ())
    lines_compare(cards, lines_of=lambda card: lines[card.pk] or ())
    return [render_json(scorecard_data(card, lines[card.pk], fields=fields, compact=compact)) for card in cards]


def _key(published: RollupDay, card_id: int, compact: bool) -> str:
    stamp = published.published_at.timestamp() if published.published_at else ""
    shape = "compact" if compact else "full"
    return f"api:scorecard:{FRAGMENT_VERSION}:{published.published_run_id}:{stamp}:{card_id}:{shape}"


def _cards(ids: Sequence[int]) -> list[Scorecard]:
    """These scorecards with their unit and staff, in this order (one query)."""
    found = Scorecard.objects.filter(pk__in=ids).select_related("unit", "staff").in_bulk()
    return [found[pk] for pk in ids]


class Cards(NamedTuple):
    """A page's scorecards as JSON objects, in its order, and a digest of each (16 bytes)."""

    fragments: list[bytes]
    digests: list[bytes]


class Page(NamedTuple):
    """A page's body and its ETag (a hash of its links and its cards' digests)."""

    body: bytes
    etag: str


def _digest(fragment: bytes) -> bytes:
    return hashlib.sha256(fragment).digest()[:16]


def scorecards_json(
    ids: Sequence[int],
    *,
    published: RollupDay | None,
    fields: tuple[str, ...] = SCORECARD_FIELDS,
    compact: bool = False,
) -> Cards:
    """The JSON object of each scorecard (of `published`'s run, by id, as the page's query found them in
    scope), in this order: from the cache when every field is asked for and the cache is on; the others
    read (one query) and computed (scorecards_written), and kept. A page wholly in the cache reads nothing:
    building its 100 scorecards with their units and staff was a third of such a page's time."""
    seconds = settings.API_SCORECARD_CACHE_SECONDS
    if not ids or published is None or not seconds or fields != SCORECARD_FIELDS:
        fragments = scorecards_written(_cards(ids), fields=fields, compact=compact)
        return Cards(fragments, [_digest(fragment) for fragment in fragments])
    kept, _computed = _kept(ids, published=published, compact=compact, seconds=seconds)
    return Cards([fragment for _digest, fragment in kept], [digest for digest, _fragment in kept])


def _kept(
    ids: Sequence[int], *, published: RollupDay, compact: bool, seconds: int, near: bool = True
) -> tuple[list, int]:
    """Each card's (digest, fragment) from this process's memory or the cache, the missing ones computed
    and stored (one get_many, one set_many at most); and how many were computed. `near`: kept in this
    process's memory too (a web process; not the worker that warms the cache)."""
    keys = [_key(published, pk, compact) for pk in ids]
    found = nearby.get_many(keys) if near else {}  # key: (digest, fragment)
    if len(found) < len(keys):
        shared = cache.get_many([key for key in keys if key not in found])
        if near:
            nearby.set_many(shared, seconds=seconds)
        found.update(shared)
    missing = [pk for pk, key in zip(ids, keys, strict=True) if key not in found]
    if missing:
        fragments = scorecards_written(_cards(missing), compact=compact)
        written = {
            _key(published, pk, compact): (_digest(fragment), fragment)
            for pk, fragment in zip(missing, fragments, strict=True)
        }
        cache.set_many(written, timeout=seconds)
        if near:
            nearby.set_many(written, seconds=seconds)
        found.update(written)
    return [found[key] for key in keys], len(missing)


class Nearby:
    """The fragments this process read from the cache or wrote to it lately, in its own memory: at most
    settings.API_SCORECARD_LOCAL_MB of them (a fragment's bytes and its digest counted; 0: none kept), the
    least recently used leaving first, each until the cache's timeout when it was kept. Shared by the
    threads of a process (a lock)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[float, tuple[bytes, bytes]]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def _limit() -> int:
        return settings.API_SCORECARD_LOCAL_MB * 2**20

    @staticmethod
    def _size(value: tuple[bytes, bytes]) -> int:
        return len(value[0]) + len(value[1])

    def get_many(self, keys: Iterable[str]) -> dict[str, tuple[bytes, bytes]]:
        if not self._entries:
            return {}
        now, found = time.monotonic(), {}
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is None:
                    continue
                if entry[0] <= now:
                    self._drop(key)
                    continue
                self._entries.move_to_end(key)
                found[key] = entry[1]
        return found

    def set_many(self, values: Mapping[str, tuple[bytes, bytes]], *, seconds: int) -> None:
        limit = self._limit()
        if limit <= 0 or not values:
            return
        until = time.monotonic() + seconds
        with self._lock:
            for key, value in values.items():
                if key in self._entries:
                    self._drop(key)
                self._entries[key] = (until, value)
                self._bytes += self._size(value)
            while self._bytes > limit and self._entries:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        _until, value = self._entries.pop(key)
        self._bytes -= self._size(value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


nearby = Nearby()


def page_json(*, next_link: str | None, previous_link: str | None, cards: Cards, compact: bool) -> Page:
    """The page's body, as rendering {"next", "previous", ("line_columns",) "results"} writes it, and its
    ETag: a hash of what the body is made of besides the constant parts (the links, the form, each card's
    digest), so two pages share an ETag exactly when their bodies are the same (a hash collision aside)."""
    links = [render_json(next_link), render_json(previous_link)]
    parts = [b'{"next":', links[0], b',"previous":', links[1]]
    if compact:
        parts += [b',"line_columns":', _LINE_COLUMNS_JSON]
    parts += [b',"results":[', b",".join(cards.fragments), b"]}"]
    made_of = b"\0".join([*links, b"compact" if compact else b"full", b"".join(cards.digests)])
    return Page(b"".join(parts), quote_etag(hashlib.sha256(made_of).hexdigest()[:32]))


def _warming_is_wasted(published: RollupDay) -> bool:
    """Whether the day's published run changed, or a later day (before today) has begun its rollup (its
    RollupDay row exists from its first rollup's start): two queries."""
    replaced = not RollupDay.objects.filter(pk=published.pk, published_run_id=published.published_run_id).exists()
    return replaced or RollupDay.objects.filter(date__gt=published.date, date__lt=timezone.localdate()).exists()


# scorecards_warm: the scorecards computed and stored together (a page's worth: memory stays small).
WARM_CHUNK = 100


def scorecards_warm(*, day: datetime.date, limit: int, chunk: int = WARM_CHUNK) -> int:
    """Put in the cache the JSON of the first `limit` month scorecards (by id, the list's order) of `day`'s
    published run, if `day` is still the latest published day (an older day restated by a late fact is
    not what the list opens on); those already kept are not computed again. Stops (checked before each
    hundred) when another run is published for the day meanwhile (its cards are keyed by the new run: the
    old run's would never be read), or when a later day has begun its rollup (nights made up after an
    outage: that day is warmed once published, and the workers' time goes to the rollup). Returns the
    scorecards computed. Safe to run twice, and to lose: a card not warmed is computed
    by its first reader, as without this."""
    seconds = settings.API_SCORECARD_CACHE_SECONDS
    published = latest_published_day()
    if limit <= 0 or not seconds or published is None or published.date != day:
        return 0
    ids = list(
        Scorecard.objects.filter(run_id=published.published_run_id, date=day, period=DEFAULT_PERIOD)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    computed = 0
    for start in range(0, len(ids), chunk):
        if _warming_is_wasted(published):
            break
        part = ids[start : start + chunk]
        _fragments, count = _kept(part, published=published, compact=False, seconds=seconds, near=False)
        computed += count
    return computed
