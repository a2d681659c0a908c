"""The push of each published day to where people already are (issue 17): the channels HQ configures per
unit (a WeCom or DingTalk group robot, a list of e-mail addresses) and a record of every delivery.

A channel carries one unit's summary: the ranking of each peer group inside its subtree (top and
bottom), the unit's red lines and a link to the bulletin. Its secrets are stored sealed or named in the
environment (notify.credentials) and never shown back in full.

A delivery is one message to one channel: the day's summary (daily, at most one per channel and day), a
correction (更正) when the figures of a day already sent change, or a test sent from the admin. It
records its status (waiting for the day's data, sending, sent, failed), the attempts, the answer or the
reason, and the outlets that were missing when it went.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit
from lib.periods import PERIOD_KINDS, PERIOD_LABELS, PeriodKind
from notify import credentials


class ChannelKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    EMAIL = "email", _("E-mail")


class Channel(models.Model):
    name = models.CharField(_("name"), max_length=100, help_text=_("Such as 天河支行业务群."))
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="push_channels",
        help_text=_("Whose summary the channel receives: the peer groups inside its subtree and its red lines."),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=ChannelKind.choices)
    period = models.CharField(
        _("period"),
        max_length=8,
        choices=[(kind.value, PERIOD_LABELS[kind]) for kind in PERIOD_KINDS],
        default=PeriodKind.MONTH.value,
        help_text=_("The period to date whose ranking is pushed."),
    )
    # Sealed or env:NAME (notify.credentials); never shown back in full.
    webhook = models.TextField(_("webhook"), blank=True)
    secret = models.TextField(_("signing secret"), blank=True)
    recipients = models.TextField(
        _("e-mail recipients"), blank=True, help_text=_("E-mail addresses, one a line or separated by commas.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("push channel")
        verbose_name_plural = _("push channels")
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def webhook_hint(self) -> str:
        return credentials.mask(self.webhook)

    @property
    def secret_hint(self) -> str:
        return credentials.mask(self.secret)

    @property
    def recipient_list(self) -> list[str]:
        return [address for address in self.recipients.replace(",", "\n").split() if address]


class DeliveryKind(models.TextChoices):
    DAILY = "daily", _("Daily summary")
    CORRECTION = "correction", _("Correction")
    TEST = "test", _("Test message")


class DeliveryStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for data")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    channel = models.ForeignKey(Channel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="deliveries")
    day = models.DateField(_("business date"))
    kind = models.CharField(_("kind"), max_length=12, choices=DeliveryKind.choices, default=DeliveryKind.DAILY)
    status = models.CharField(_("status"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.WAITING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    detail = models.TextField(_("answer or reason"), blank=True)
    # The codes of the outlets that had not reported when it was sent (sent at the cut-off).
    missing = models.TextField(_("outlets without data"), blank=True)
    # A fingerprint of the figures sent (notify.summary.DaySummary.fingerprint): a republished day whose
    # figures moved gets a correction (更正), one whose figures are the same gets nothing.
    content_hash = models.CharField(_("fingerprint of the figures"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # When a worker took it to send (status sending); another may take it over once this is old.
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One daily summary per channel and day, however often the day is published.
            models.UniqueConstraint(
                fields=["channel", "day"], condition=Q(kind="daily"), name="notify_one_daily_per_channel_day"
            ),
            # One correction per channel, day and set of figures.
            models.UniqueConstraint(
                fields=["channel", "day", "content_hash"],
                condition=Q(kind="correction"),
                name="notify_one_correction_per_figures",
            ),
        ]
        indexes = [models.Index(fields=["status", "day"])]

    def __str__(self) -> str:
        return f"{self.channel.name} {self.day} {self.get_kind_display()}: {self.get_status_display()}"

    @property
    def missing_codes(self) -> list[str]:
        return [code for code in self.missing.split(",") if code]


class PushedDay(models.Model):
    """The publication of a day the push last handled (notify.services.deliveries_queue): the run whose
    figures it queued the daily summaries and corrections for. A newer publication of the newest day with
    no record of its run here lost its push on the way (the beat's release_waiting makes it up)."""

    day = models.DateField(_("business date"), unique=True)
    run_id = models.PositiveBigIntegerField(_("rollup run"))
    pushed_at = models.DateTimeField(_("pushed"), auto_now=True)

    class Meta:
        verbose_name = _("pushed day")
        verbose_name_plural = _("pushed days")

    def __str__(self) -> str:
        return f"{self.day} #{self.run_id}"
