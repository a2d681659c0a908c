"""The push's writes: which deliveries a published day makes, and one delivery's attempt.

When kpi publishes a day (kpi.signals.day_published; notify.receivers queues notify.tasks.push_day):

1. Only the newest published day is pushed, and only while it is recent (settings.NOTIFY_MAX_AGE_DAYS):
   the older days a correction or a target change publishes again, or a backlog rolled up, are not.
2. Each active channel has one daily delivery for the day (a unique constraint): made `waiting` the
   first time, sent (or tried again) while it is not sent yet.
3. A channel whose daily summary was sent already gets a correction (更正) when the day's figures as the
   message shows them changed (DaySummary.fingerprint: a late outlet ranked, a score corrected), one
   per set of figures; the same figures again (a rollup that changed nothing it shows) send nothing.
   So a day is sent once per channel, and again only to correct it.
4. A push lost on the way (the broker down when the publication committed, a worker killed before
   push_day ran) is made up by the beat's release_waiting (day_unpushed): the newest day is queued again
   as the push would have when an active channel lacks its daily delivery, or when its publication is
   not the one the push last handled (PushedDay: a lost push of a republished day, whose correction
   would otherwise never go).

One attempt (delivery_send), safe to run twice and from two workers at once:

1. A daily summary waits while its day is not final for the channel's subtree (an expected outlet has
   not reported and HQ's cut-off has not passed: kpi.selectors.freshness); it is `waiting`, and the
   next publication of the day (the late batch rolled up) or the beat's release_waiting sends it.
2. The delivery is claimed with a compare-and-swap UPDATE (waiting or failed → sending, or a claim
   older than CLAIM_STALE taken over): a second worker finds nothing to claim and stops.
3. The message is written, sent, and the outcome recorded: sent, or failed with the robot's answer or
   the reason and whether it is worth a retry (the task retries with backoff).

Nothing here touches the rollup: a channel that fails fails alone, after the day is published.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import ngettext

from branches.models import OrgUnit
from kpi.models import RollupDay
from kpi.selectors.freshness import Freshness, freshness_of
from kpi.templatetags.kpi_format import format_datetime
from lib.periods import PeriodKind
from notify import senders
from notify.messages import summary_message, test_message
from notify.models import Channel, Delivery, DeliveryKind, DeliveryStatus, PushedDay
from notify.selectors import bulletin_link, day_summary

logger = logging.getLogger(__name__)

# A delivery claimed for sending longer ago than this belongs to a worker that died: another may send it.
CLAIM_STALE = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    status: str
    detail: str = ""
    retryable: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def _newest_recent_day(today: datetime.date) -> datetime.date | None:
    """The newest published day, while it is recent (NOTIFY_MAX_AGE_DAYS): the one day a push is for."""
    newest = RollupDay.objects.published().order_by("-date").values_list("date", flat=True).first()
    if newest is None or newest < today - datetime.timedelta(days=settings.NOTIFY_MAX_AGE_DAYS):
        return None
    return newest


def deliveries_queue(*, day: datetime.date, today: datetime.date | None = None) -> list[int]:
    """The deliveries to attempt now that `day` is published: see the module's docstring. Their ids."""
    today = today or timezone.localdate()
    if day != _newest_recent_day(today):
        return []
    # The publication handled here, read first: one that lands meanwhile queues its own push.
    run_id = RollupDay.objects.filter(date=day).values_list("published_run_id", flat=True).first()
    to_send = []
    for channel in Channel.objects.filter(is_active=True).select_related("unit"):
        daily, _created = Delivery.objects.get_or_create(channel=channel, day=day, kind=DeliveryKind.DAILY)
        if daily.status != DeliveryStatus.SENT:
            to_send.append(daily.pk)
            continue
        correction = _correction_needed(channel=channel, day=day)
        if correction is not None:
            to_send.append(correction.pk)
    if run_id is not None:
        PushedDay.objects.update_or_create(day=day, defaults={"run_id": run_id})
    return to_send


def _correction_needed(*, channel: Channel, day: datetime.date) -> Delivery | None:
    """A correction of the day for the channel when its figures differ from the last ones sent."""
    fingerprint = day_summary(channel=channel, day=day).fingerprint()
    last_sent = (
        Delivery.objects.filter(channel=channel, day=day, status=DeliveryStatus.SENT)
        .exclude(kind=DeliveryKind.TEST)
        .order_by("-sent_at", "-pk")
        .values_list("content_hash", flat=True)
        .first()
    )
    if last_sent == fingerprint:
        return None
    try:
        with transaction.atomic():
            correction, _created = Delivery.objects.get_or_create(
                channel=channel, day=day, kind=DeliveryKind.CORRECTION, content_hash=fingerprint
            )
    except IntegrityError:  # made by another worker at the same moment
        correction = Delivery.objects.get(
            channel=channel, day=day, kind=DeliveryKind.CORRECTION, content_hash=fingerprint
        )
    return None if correction.status == DeliveryStatus.SENT else correction


def delivery_send(*, delivery_id: int, now: datetime.datetime | None = None) -> Outcome:
    """One attempt at a delivery: see the module's docstring."""
    now = now or timezone.now()
    delivery = Delivery.objects.select_related("channel__unit").filter(pk=delivery_id).first()
    if delivery is None or delivery.status == DeliveryStatus.SENT:
        return Outcome(delivery_id, delivery.status if delivery else "gone")
    channel = delivery.channel

    if delivery.kind == DeliveryKind.DAILY:
        freshness = freshness_of(day=delivery.day, outlets=OrgUnit.objects.subtree(channel.unit), now=now)
        if freshness.waiting:
            detail = _waiting_detail(freshness)
            Delivery.objects.filter(pk=delivery.pk).exclude(status=DeliveryStatus.SENT).filter(
                Q(status__in=[DeliveryStatus.WAITING, DeliveryStatus.FAILED]) | _stale_claim(now)
            ).update(status=DeliveryStatus.WAITING, detail=detail, updated_at=now)
            return Outcome(delivery.pk, DeliveryStatus.WAITING, detail)

    claimed = (
        Delivery.objects.filter(pk=delivery.pk)
        .filter(Q(status__in=[DeliveryStatus.WAITING, DeliveryStatus.FAILED]) | _stale_claim(now))
        .update(status=DeliveryStatus.SENDING, claimed_at=now, updated_at=now)
    )
    if not claimed:
        return Outcome(delivery.pk, "claimed elsewhere")

    if delivery.kind == DeliveryKind.TEST:
        message = test_message(
            channel_name=channel.name,
            link=bulletin_link(unit=channel.unit, day=delivery.day, period=PeriodKind(channel.period)),
            now=now,
        )
        fingerprint, missing = "", ""
    else:
        summary = day_summary(channel=channel, day=delivery.day, now=now)
        message = summary_message(summary, kind=delivery.kind)
        fingerprint = summary.fingerprint()
        missing = ",".join(outlet.code for outlet in summary.freshness.missing)

    result = senders.send(channel, message)
    status = DeliveryStatus.SENT if result.ok else DeliveryStatus.FAILED
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status,
        attempts=F("attempts") + 1,
        detail=result.detail,
        last_attempt_at=now,
        sent_at=now if result.ok else None,
        # A correction keeps the fingerprint it was made for (one correction per set of figures).
        content_hash=fingerprint if delivery.kind == DeliveryKind.DAILY else F("content_hash"),
        missing=missing,
        claimed_at=None,
        updated_at=now,
    )
    if not result.ok:
        logger.warning(
            "push to channel %s (%s) for %s failed: %s", channel.pk, channel.kind, delivery.day, result.detail
        )
    return Outcome(delivery.pk, status, result.detail, retryable=not result.ok and result.retryable)


def _stale_claim(now: datetime.datetime) -> Q:
    return Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_STALE)


def _waiting_detail(freshness: Freshness) -> str:
    codes = ", ".join(outlet.code for outlet in freshness.missing)
    return ngettext(
        "Waiting for %(count)d outlet (%(codes)s) until the cut-off %(due)s.",
        "Waiting for %(count)d outlets (%(codes)s) until the cut-off %(due)s.",
        len(freshness.missing),
    ) % {"count": len(freshness.missing), "codes": codes, "due": format_datetime(freshness.due_at)}


def deliveries_to_release(*, now: datetime.datetime | None = None) -> list[int]:
    """The deliveries the beat tries again: the daily summaries still waiting for a recent day's data
    (each is sent once its day is final) and the sends whose worker died (claimed long ago)."""
    now = now or timezone.now()
    recent = timezone.localdate(now) - datetime.timedelta(days=settings.NOTIFY_MAX_AGE_DAYS)
    waiting = Q(status=DeliveryStatus.WAITING, kind=DeliveryKind.DAILY)
    return list(
        Delivery.objects.filter(waiting | _stale_claim(now), day__gte=recent, channel__is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def day_unpushed(*, today: datetime.date | None = None) -> datetime.date | None:
    """The newest published day when it is recent and its push was lost (the broker down when the
    publication committed, a worker killed before push_day ran): an active channel has no daily delivery
    of it, or its publication is not the one the push last handled (PushedDay), so a correction the
    republished figures call for was never made. The beat's release_waiting queues it then, as the push
    would have (deliveries_queue). None otherwise: three cheap queries every ten minutes."""
    today = today or timezone.localdate()
    newest = _newest_recent_day(today)
    if newest is None:
        return None
    channels = Channel.objects.filter(is_active=True)
    daily = Delivery.objects.filter(channel=OuterRef("pk"), day=newest, kind=DeliveryKind.DAILY)
    if channels.filter(~Exists(daily)).exists():
        return newest
    run_id = RollupDay.objects.filter(date=newest).values_list("published_run_id", flat=True).first()
    handled = PushedDay.objects.filter(day=newest, run_id=run_id).exists()
    return newest if not handled and channels.exists() else None


def channel_test_send(*, channel: Channel, now: datetime.datetime | None = None) -> Outcome:
    """The admin's "send a test message": one attempt now, recorded as a test delivery of today."""
    now = now or timezone.now()
    delivery = Delivery.objects.create(channel=channel, day=timezone.localdate(now), kind=DeliveryKind.TEST)
    return delivery_send(delivery_id=delivery.pk, now=now)
