"""The complaints register (投诉登记, issue 19): every complaint about an outlet, whatever its channel (意见簿,
the 95xxx hotline, online, 监管转办), its reply by a deadline, and the review that says whether it is
valid (有效投诉). Valid complaints are the outlet's `complaints` facts (complaints.services)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit
from staff.models import StaffMember


class Channel(models.TextChoices):
    BOOK = "book", _("Comment book (意见簿)")
    HOTLINE = "hotline", _("Hotline (95xxx)")
    ONLINE = "online", _("Online (app, website, social media)")
    REGULATOR = "regulator", _("Referred by the regulator (监管转办)")


# Days to reply, by channel, when the register is not told otherwise: the hotline's customers are
# called back within a working day or two; a regulator's referral has its own deadline, written on it.
REPLY_DAYS = {Channel.BOOK: 3, Channel.HOTLINE: 2, Channel.ONLINE: 2, Channel.REGULATOR: 5}


class Category(models.TextChoices):
    ATTITUDE = "attitude", _("Service attitude")
    WAITING = "waiting", _("Waiting time")
    SALES = "sales", _("Product sales (mis-selling)")
    FEES = "fees", _("Fees and charges")
    EQUIPMENT = "equipment", _("Machines and systems")
    ENVIRONMENT = "environment", _("Premises and environment")
    OTHER = "other", _("Other")


class Validity(models.TextChoices):
    PENDING = "pending", _("Not reviewed")
    VALID = "valid", _("Valid (有效投诉)")
    INVALID = "invalid", _("Not valid")


class Complaint(models.Model):
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="complaints",
        limit_choices_to={"kind": "outlet"},
    )  # fmt: skip
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    received_on = models.DateField(_("received"))
    complainant_name = models.CharField(_("complainant"), max_length=50, blank=True)
    complainant_phone = models.CharField(_("complainant's phone"), max_length=20, blank=True)
    summary = models.TextField(_("what the complaint says"))
    staff = models.ForeignKey(
        StaffMember, verbose_name=_("staff member concerned"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="complaints",
    )  # fmt: skip
    reply_due = models.DateField(_("reply due"))
    reply = models.TextField(_("reply"), blank=True)
    replied_on = models.DateField(_("replied on"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("replied by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    validity = models.CharField(_("validity"), max_length=8, choices=Validity.choices, default=Validity.PENDING)
    review_note = models.CharField(_("review note"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["unit", "received_on"]), models.Index(fields=["replied_on", "reply_due"])]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.received_on} · {self.get_channel_display()}"

    def is_overdue(self, today: datetime.date) -> bool:
        """No reply yet and its deadline has passed."""
        return self.replied_on is None and self.reply_due < today
