"""The push's delivery records over the API (GET /api/v1/deliveries/): read-only. A channel's secrets
are never written out: its webhook shows as its mask (••••abcd, or env:NAME)."""

from __future__ import annotations

from rest_framework import serializers

from notify.models import Channel, Delivery, DeliveryKind, DeliveryStatus


class ChannelSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", help_text="The code of the unit whose summary it carries.")
    webhook = serializers.CharField(
        source="webhook_hint",
        help_text="The webhook masked: •••• and its last four characters, or env:NAME; empty for e-mail.",
    )

    class Meta:
        model = Channel
        fields = ["id", "name", "unit", "kind", "period", "webhook", "is_active"]
        extra_kwargs = {
            "kind": {"help_text": "wecom (企业微信群机器人), dingtalk (钉钉群机器人) or email."},
            "period": {"help_text": "The period to date whose ranking is pushed."},
        }


class DeliverySerializer(serializers.ModelSerializer):
    channel = ChannelSerializer(read_only=True)
    kind = serializers.ChoiceField(
        choices=DeliveryKind.values,
        help_text="daily: the day's summary (one per channel and day); correction (更正): the day's figures "
        "changed after it was sent; test: sent from the admin.",
    )
    status = serializers.ChoiceField(
        choices=DeliveryStatus.values,
        help_text="waiting: for the day's data (an expected outlet has not reported, HQ's cut-off has not "
        "passed); sending; sent; failed (the robot's answer or the reason in `detail`; retried with backoff).",
    )
    missing = serializers.ListField(
        source="missing_codes",
        child=serializers.CharField(),
        help_text="Codes of the outlets that had not reported when it was sent (at the cut-off): no data.",
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "channel",
            "day",
            "kind",
            "status",
            "attempts",
            "detail",
            "missing",
            "created_at",
            "last_attempt_at",
            "sent_at",
        ]
        extra_kwargs = {
            "day": {"help_text": "The business day the message is about."},
            "attempts": {"help_text": "How many times it was sent or tried."},
            "detail": {"help_text": "The robot's answer (errcode, errmsg), the mail server's, or why it waits."},
        }
