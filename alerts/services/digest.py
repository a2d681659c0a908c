"""The daily e-mail digest: one plain-text message to each owner, with their alerts still to act on
(overdue first, then by deadline) and their open measures (一点一策) due within DUE_SOON_DAYS or overdue.

Users have no language of their own: the message is written in Chinese (the bank's language) with the
English below it. "To act on" is open, in progress or reopened; an alert marked done waits for the
level above to verify it and is not the owner's to do. A user without an e-mail address (or not
active) is skipped and counted.

Safe to run twice on a day: each owner's message is marked sent in the cache (Redis when configured,
shared by every worker) before it goes out, so a second run skips them; a message whose sending fails
is unmarked for the next run.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from itertools import groupby

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.utils import translation
from django.utils.translation import gettext as _

from alerts.models import Alert, AlertStatus, Measure
from alerts.services.follow_up import is_overdue
from staff.models import User

logger = logging.getLogger(__name__)

DUE_SOON_DAYS = 7
TO_ACT_ON = (AlertStatus.OPEN, AlertStatus.IN_PROGRESS, AlertStatus.REOPENED)
DIGEST_LANGUAGES = ("zh-hans", "en")
SENT_KEY = "alerts-digest:{day}:{user_id}"
SENT_KEY_TIMEOUT = 2 * 24 * 3600


@dataclass
class DigestsSent:
    today: datetime.date
    sent: int = 0
    already_sent: int = 0
    without_email: int = 0

    def as_dict(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "sent": self.sent,
            "already_sent": self.already_sent,
            "without_email": self.without_email,
        }


def digests_send(*, today: datetime.date) -> DigestsSent:
    """One message per owner with something to do; two queries whatever the number of owners."""
    result = DigestsSent(today=today)
    alerts = list(
        Alert.objects.filter(status__in=TO_ACT_ON, owner__isnull=False)
        .select_related("owner", "rule", "unit", "metric")
        .order_by("owner_id")
    )
    measures = list(
        Measure.objects.filter(
            owner__isnull=False, done_at=None, progress__lt=100, due__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)
        )
        .select_related("owner", "plan__unit")
        .order_by("owner_id", "due", "pk")
    )
    owners: dict[int, User] = {}
    alerts_of: dict[int, list[Alert]] = {}
    for owner_id, group in groupby(alerts, key=lambda alert: alert.owner_id):
        alerts_of[owner_id] = sorted(group, key=lambda alert: _alert_order(alert, today))
    measures_of: dict[int, list[Measure]] = {
        owner_id: list(group) for owner_id, group in groupby(measures, key=lambda m: m.owner_id)
    }
    for item in [*alerts, *measures]:
        owners.setdefault(item.owner_id, item.owner)

    messages: list[tuple[str, EmailMessage]] = []
    for owner_id in sorted(owners):
        owner = owners[owner_id]
        if not owner.is_active or not owner.email:
            result.without_email += 1
            continue
        key = SENT_KEY.format(day=today.isoformat(), user_id=owner_id)
        if not cache.add(key, True, timeout=SENT_KEY_TIMEOUT):
            result.already_sent += 1
            continue
        messages.append((key, _message(owner, alerts_of.get(owner_id, []), measures_of.get(owner_id, []), today)))

    if messages:
        connection = get_connection()
        try:
            result.sent = connection.send_messages([message for _key, message in messages]) or 0
        except Exception:
            cache.delete_many([key for key, _message in messages])
            raise
    logger.info("digests %s: %s", today, result.as_dict())
    return result


def _alert_order(alert: Alert, today: datetime.date) -> tuple:
    return (not is_overdue(alert, today), alert.deadline is None, alert.deadline or datetime.date.max, alert.pk)


def _message(owner: User, alerts: list[Alert], measures: list[Measure], today: datetime.date) -> EmailMessage:
    parts = []
    for language in DIGEST_LANGUAGES:
        with translation.override(language):
            parts.append(_body(owner, alerts, measures, today))
    with translation.override(DIGEST_LANGUAGES[0]):
        subject = _("BankOps daily digest %(day)s: %(alerts)d alerts, %(measures)d measures due") % {
            "day": today.isoformat(),
            "alerts": len(alerts),
            "measures": len(measures),
        }
    return EmailMessage(
        subject=subject,
        body="\n\n----------------------------------------\n\n".join(parts),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[owner.email],
    )


def _body(owner: User, alerts: list[Alert], measures: list[Measure], today: datetime.date) -> str:
    name = owner.get_full_name() or owner.username
    lines = [_("Hello %(name)s,") % {"name": name}, ""]
    if alerts:
        lines.append(_("Alerts you own (%(count)d):") % {"count": len(alerts)})
        for alert in alerts:
            overdue = is_overdue(alert, today)
            deadline = alert.deadline.isoformat() if alert.deadline else _("no deadline")
            lines.append(
                "- "
                + ("[" + _("OVERDUE") + "] " if overdue else "")
                + _("%(unit)s %(unit_name)s · %(rule)s · %(status)s · since %(opened)s · deadline %(deadline)s")
                % {
                    "unit": alert.unit.code,
                    "unit_name": alert.unit.name,
                    "rule": alert.rule.name,
                    "status": AlertStatus(alert.status).label,
                    "opened": alert.opened_on.isoformat(),
                    "deadline": deadline,
                }
            )
            if alert.detail:
                lines.append(f"  {alert.detail}")
        lines.append("")
    if measures:
        lines.append(
            _("Measures due within %(days)d days (%(count)d):") % {"days": DUE_SOON_DAYS, "count": len(measures)}
        )
        for measure in measures:
            overdue = measure.due is not None and measure.due < today
            lines.append(
                "- "
                + ("[" + _("OVERDUE") + "] " if overdue else "")
                + _("%(unit)s %(period)s · %(measure)s · due %(due)s · %(progress)d%% done")
                % {
                    "unit": measure.plan.unit.code,
                    "period": measure.plan.period,
                    "measure": measure.description,
                    "due": measure.due.isoformat(),
                    "progress": measure.progress,
                }
            )
        lines.append("")
    lines.append(_("This message is sent every morning while you own alerts or measures that are due."))
    return "\n".join(lines)
