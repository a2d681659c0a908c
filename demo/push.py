"""Demo push channels and deliveries (issue 17): what HQ finds under 推送渠道 and 推送记录 in the admin.

- 总行运营管理群 (WeCom) for the head office and the first sub-branch's 业务群 (DingTalk, signed), both
  pointing at addresses under `.invalid` (RFC 2606: a name that never resolves), so the demo can never
  reach a real chat; and the first sub-branch's management e-mail list, which goes to the console
  backend while DEBUG is on.
- Their deliveries of the last rolled-up days, as the embedded default records them: the robots' failed
  at once (pushing to chat robots is off without NOTIFY_WEBHOOKS_ENABLED: nothing leaves the machine),
  the e-mails sent; and a test message from the admin that failed the same way.

Written by seed_demo after the rollups, with notify's receiver held back while it rolls up (so the
demo's seeding sends nothing): records as the push would write them, not sends. Upserted: a second run
changes nothing.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from branches.models import OrgUnit, UnitKind
from kpi.models import RollupDay
from notify import credentials, senders
from notify.models import Channel, ChannelKind, Delivery, DeliveryKind, DeliveryStatus
from staff.models import Role, User

# How many of the last published days have deliveries.
DELIVERY_DAYS = 3
WECOM_WEBHOOK = "https://wecom.example.invalid/cgi-bin/webhook/send?key=demo-0000-4bc4-97a0-hq00ops1"
DINGTALK_WEBHOOK = "https://dingtalk.example.invalid/robot/send?access_token=demo00subbranch00token0001"
DINGTALK_SECRET = "SECdemo0000000000000000000000000000000000000000000000000000000001"


def seed_push(*, end: datetime.date) -> str:
    """The demo's channels and their deliveries (see the module's docstring); what it did, as a line."""
    head_office = OrgUnit.objects.filter(parent=None).order_by("path").first()
    manager = User.objects.filter(role=Role.UNIT_MANAGER, is_active=True).select_related("unit").order_by("pk").first()
    sub_branch = manager.unit if manager and manager.unit_id else None
    if sub_branch is None:
        sub_branch = OrgUnit.objects.filter(kind=UnitKind.SUB_BRANCH).order_by("path").first()
    if head_office is None or sub_branch is None:
        return "Push: no head office or sub-branch, no channel"
    days = list(
        RollupDay.objects.published()
        .filter(date__lte=end)
        .order_by("-date")
        .values_list("date", flat=True)[:DELIVERY_DAYS]
    )
    with transaction.atomic():
        hq_group = _channel(name="总行运营管理群", unit=head_office, kind=ChannelKind.WECOM, webhook=WECOM_WEBHOOK)
        sub_branch_group = _channel(
            name=f"{sub_branch.name_zh}业务群",
            unit=sub_branch,
            kind=ChannelKind.DINGTALK,
            webhook=DINGTALK_WEBHOOK,
            secret=DINGTALK_SECRET,
        )
        mail_list = _channel(
            name=f"{sub_branch.name_zh}管理层邮件",
            unit=sub_branch,
            kind=ChannelKind.EMAIL,
            recipients=f"{sub_branch.code.lower()}-managers@bank.example.com",
        )
        for day in sorted(days):
            sent_at = _morning_after(day)
            for channel in (hq_group, sub_branch_group):
                _delivery(channel, day, status=DeliveryStatus.FAILED, detail=str(senders.WEBHOOKS_OFF), at=sent_at)
            sent = senders.sent_to(len(mail_list.recipient_list))
            _delivery(mail_list, day, status=DeliveryStatus.SENT, detail=sent, at=sent_at)
        if days:
            tested_at = timezone.make_aware(datetime.datetime.combine(days[0], datetime.time(16, 30)))
            if not Delivery.objects.filter(channel=hq_group, kind=DeliveryKind.TEST).exists():
                Delivery.objects.create(
                    channel=hq_group, day=days[0], kind=DeliveryKind.TEST, status=DeliveryStatus.FAILED, attempts=1,
                    detail=str(senders.WEBHOOKS_OFF), last_attempt_at=tested_at,
                )  # fmt: skip
    return (
        f"Push: 3 channels ({hq_group.name}, {sub_branch_group.name}, {mail_list.name}), "
        f"{Delivery.objects.count()} deliveries"
    )


def _morning_after(day: datetime.date) -> datetime.datetime:
    """Five past six the next morning: just after the morning rollup (ROLLUP_HOUR) published the day."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(6, 5)))


def _channel(*, name: str, unit: OrgUnit, kind: str, webhook: str = "", secret: str = "", recipients: str = ""):
    channel = Channel.objects.filter(name=name, unit=unit).first()
    if channel is None:
        channel = Channel.objects.create(
            name=name,
            unit=unit,
            kind=kind,
            webhook=credentials.seal(webhook),
            secret=credentials.seal(secret),
            recipients=recipients,
        )
    return channel


def _delivery(channel: Channel, day: datetime.date, *, status: str, detail: str, at: datetime.datetime) -> None:
    Delivery.objects.get_or_create(
        channel=channel,
        day=day,
        kind=DeliveryKind.DAILY,
        defaults={
            "status": status,
            "attempts": 1,
            "detail": detail,
            "last_attempt_at": at,
            "sent_at": at if status == DeliveryStatus.SENT else None,
        },
    )
