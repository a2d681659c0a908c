"""The push in the admin: HQ configures the channels of each unit (a WeCom or DingTalk group robot by its
webhook, or e-mail recipients), sends a test message, and reads what was delivered.

A channel's secrets are typed into fields that never show them back: left empty, the stored value is
kept; the page shows only its mask (••••abcd, or env:NAME). They are stored sealed (notify.credentials).
Deliveries are a record: read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from notify import credentials
from notify.models import Channel, ChannelKind, Delivery, DeliveryStatus
from notify.services import channel_test_send

SECRET_WIDGET = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "size": 60})


class ChannelForm(forms.ModelForm):
    webhook_input = forms.CharField(
        label=_("webhook"),
        required=False,
        widget=SECRET_WIDGET,
        help_text=_(
            "WeCom: the robot's webhook address or its key; DingTalk: the webhook address (with access_token). "
            "Or env:NAME to read it from the environment variable NAME. Stored sealed and never shown again: "
            "leave empty to keep the current one."
        ),
    )
    secret_input = forms.CharField(
        label=_("signing secret"),
        required=False,
        widget=SECRET_WIDGET,
        help_text=_(
            "DingTalk only, when the robot's security setting is 加签: the secret starting with SEC, or env:NAME. "
            "Leave empty to keep the current one."
        ),
    )
    clear_secret = forms.BooleanField(label=_("Remove the signing secret"), required=False)

    class Meta:
        model = Channel
        fields = ("name", "unit", "kind", "period", "recipients", "is_active")

    def clean_webhook_input(self) -> str:
        value = self.cleaned_data["webhook_input"].strip()
        if problem := credentials.env_name_problem(value):
            raise ValidationError(problem)
        if value and not credentials.is_env_reference(value):
            if any(character.isspace() for character in value):
                raise ValidationError(_("A webhook has no spaces: paste the address or the key as it is."))
            if "://" in value and not value.startswith(("https://", "http://")):
                raise ValidationError(_("A webhook address starts with https://."))
        return value

    def clean_secret_input(self) -> str:
        value = self.cleaned_data["secret_input"].strip()
        if problem := credentials.env_name_problem(value):
            raise ValidationError(problem)
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        has_webhook = bool(cleaned.get("webhook_input") or self.instance.webhook)
        if kind in (ChannelKind.WECOM, ChannelKind.DINGTALK) and not has_webhook:
            self.add_error("webhook_input", _("A robot channel needs its webhook."))
        if kind == ChannelKind.EMAIL:
            addresses = Channel(recipients=cleaned.get("recipients") or "").recipient_list
            if not addresses:
                self.add_error("recipients", _("An e-mail channel needs at least one address."))
            for address in addresses:
                try:
                    validate_email(address)
                except ValidationError:
                    self.add_error("recipients", _("“%(address)s” is not an e-mail address.") % {"address": address})
        if kind == ChannelKind.WECOM and cleaned.get("secret_input"):
            self.add_error("secret_input", _("WeCom robots are not signed: leave the signing secret empty."))
        return cleaned

    def save(self, commit: bool = True) -> Channel:
        channel = super().save(commit=False)
        if webhook := self.cleaned_data.get("webhook_input"):
            channel.webhook = credentials.seal(webhook)
        if self.cleaned_data.get("clear_secret"):
            channel.secret = ""
        elif secret := self.cleaned_data.get("secret_input"):
            channel.secret = credentials.seal(secret)
        if commit:
            channel.save()
        return channel


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ("name", "unit", "kind", "period", "webhook_hint", "is_active", "last_delivery")
    list_filter = ("kind", "is_active", "period")
    search_fields = ("name", "unit__code", "unit__name_zh")
    autocomplete_fields = ("unit",)
    readonly_fields = ("webhook_hint", "secret_hint")
    fieldsets = (
        (None, {"fields": ("name", "unit", "kind", "period", "is_active")}),
        (
            _("Robot"),
            {"fields": ("webhook_hint", "webhook_input", "secret_hint", "secret_input", "clear_secret")},
        ),
        (_("E-mail"), {"fields": ("recipients",)}),
    )
    actions = ["send_test_message"]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        """A reader who may not change the channel (an auditor) sees the masks, not the empty inputs."""
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj):
            return fieldsets
        inputs = {"webhook_input", "secret_input", "clear_secret"}
        return [
            (name, {**options, "fields": tuple(field for field in options["fields"] if field not in inputs)})
            for name, options in fieldsets
        ]

    @admin.display(description=_("webhook"))
    def webhook_hint(self, channel: Channel) -> str:
        return channel.webhook_hint or "—"

    @admin.display(description=_("signing secret"))
    def secret_hint(self, channel: Channel) -> str:
        return channel.secret_hint or "—"

    @admin.display(description=_("last delivery"))
    def last_delivery(self, channel: Channel) -> str:
        delivery = channel.deliveries.order_by("-created_at", "-pk").first()
        if delivery is None:
            return "—"
        return f"{delivery.day} {delivery.get_kind_display()}: {delivery.get_status_display()}"

    @admin.action(description=_("Send a test message"), permissions=["change"])
    def send_test_message(self, request: HttpRequest, queryset) -> None:
        """One attempt now per channel selected, recorded as a test delivery; the answer is shown."""
        for channel in queryset.select_related("unit").order_by("pk"):
            outcome = channel_test_send(channel=channel)
            if outcome.status == DeliveryStatus.SENT:
                self.message_user(request, _("%(channel)s: the test message was sent.") % {"channel": channel.name})
            else:
                self.message_user(
                    request,
                    _("%(channel)s: the test message failed: %(detail)s")
                    % {"channel": channel.name, "detail": outcome.detail},
                    level=messages.ERROR,
                )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """What was pushed, to which channel, and what came of it: a record, read-only."""

    list_display = ("day", "channel", "kind", "status", "attempts", "missing", "last_attempt_at", "sent_at")
    list_filter = ("status", "kind", "channel__kind", "day")
    search_fields = ("channel__name", "channel__unit__code", "detail")
    list_select_related = ("channel",)
    date_hierarchy = "day"
    fields = (
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
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
