"""Sending one message to one channel: a WeCom or DingTalk group robot's webhook, or e-mail.

WeCom (企业微信群机器人): POST JSON {"msgtype": "markdown", "markdown": {"content": …}} to
https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY. DingTalk (钉钉自定义机器人): POST JSON
{"msgtype": "markdown", "markdown": {"title": …, "text": …}} to
https://oapi.dingtalk.com/robot/send?access_token=TOKEN, signed when the robot's security setting is
加签: `timestamp` (milliseconds) and `sign` = urlencode(base64(HmacSHA256(key=secret,
msg=timestamp + "\\n" + secret))) added to the query; DingTalk refuses a timestamp more than an hour
off. Both answer HTTP 200 with {"errcode": 0, "errmsg": "ok"} when the message is taken, another
errcode otherwise (a bad key, a bad signature, more than 20 messages a minute).

A channel's webhook is a whole address, or (WeCom) a bare key or (DingTalk) a bare access token put on
settings.NOTIFY_WECOM_URL / NOTIFY_DINGTALK_URL. Nothing here logs or records an address: it holds the
key. With settings.NOTIFY_WEBHOOKS_ENABLED off (the embedded default) no robot is called.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from notify import credentials
from notify.messages import Message
from notify.models import Channel, ChannelKind

# The most of a robot's answer kept on the delivery.
DETAIL_CHARS = 500
WEBHOOKS_OFF = gettext_lazy(
    "Network unreachable: pushing to chat robots is off on this server (NOTIFY_WEBHOOKS_ENABLED); nothing was sent."
)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    detail: str
    # Worth another try later (a timeout, a 5xx, a rate limit); not for a channel that is set up wrong.
    retryable: bool = True


def dingtalk_sign(*, secret: str, timestamp: str) -> str:
    """DingTalk's signature of a timestamp (milliseconds, as a string), URL-encoded for the query."""
    string_to_sign = f"{timestamp}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, digestmod=hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def send(channel: Channel, message: Message) -> SendResult:
    """One attempt to deliver `message` to `channel`."""
    try:
        if channel.kind == ChannelKind.EMAIL:
            return _send_email(channel, message)
        if not settings.NOTIFY_WEBHOOKS_ENABLED:
            return SendResult(ok=False, detail=str(WEBHOOKS_OFF), retryable=False)
        if channel.kind == ChannelKind.WECOM:
            return _send_wecom(channel, message)
        if channel.kind == ChannelKind.DINGTALK:
            return _send_dingtalk(channel, message)
    except credentials.CredentialError as problem:
        return SendResult(ok=False, detail=str(problem), retryable=False)
    return SendResult(ok=False, detail=_("Unknown channel kind %(kind)s.") % {"kind": channel.kind}, retryable=False)


def _webhook(channel: Channel, base: str, parameter: str) -> str:
    webhook = credentials.unseal(channel.webhook).strip()
    if not webhook:
        raise credentials.CredentialError(_("The channel has no webhook: set it in the admin."))
    if webhook.startswith(("https://", "http://")):
        return webhook
    return f"{base}?{urllib.parse.urlencode({parameter: webhook})}"


def _send_wecom(channel: Channel, message: Message) -> SendResult:
    url = _webhook(channel, settings.NOTIFY_WECOM_URL, "key")
    payload = {"msgtype": "markdown", "markdown": {"content": message.markdown(kind=ChannelKind.WECOM)}}
    return _post(url, payload)


def _send_dingtalk(channel: Channel, message: Message) -> SendResult:
    url = _webhook(channel, settings.NOTIFY_DINGTALK_URL, "access_token")
    secret = credentials.unseal(channel.secret).strip()
    if secret:
        timestamp = str(round(time.time() * 1000))
        separator = "&" if urllib.parse.urlsplit(url).query else "?"
        url = f"{url}{separator}timestamp={timestamp}&sign={dingtalk_sign(secret=secret, timestamp=timestamp)}"
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": message.title, "text": message.markdown(kind=ChannelKind.DINGTALK)},
    }
    return _post(url, payload)


def _post(url: str, payload: dict) -> SendResult:
    """POST the JSON; the robot's answer says whether it was taken (errcode 0)."""
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        return SendResult(ok=False, detail=_("The webhook is not an http(s) address."), retryable=False)
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFY_TIMEOUT) as response:
            answer = response.read(64 * 1024).decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return SendResult(ok=False, detail=_("HTTP %(status)s from the robot.") % {"status": error.code})
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        return SendResult(ok=False, detail=_("Network unreachable: %(reason)s") % {"reason": reason})
    try:
        answered = json.loads(answer)
    except ValueError:
        return SendResult(ok=False, detail=_("The robot's answer is not JSON: %(answer)s") % {"answer": answer[:200]})
    errcode = answered.get("errcode") if isinstance(answered, dict) else None
    detail = answer[:DETAIL_CHARS]
    if errcode == 0:
        return SendResult(ok=True, detail=detail)
    return SendResult(ok=False, detail=detail)


def _send_email(channel: Channel, message: Message) -> SendResult:
    recipients = channel.recipient_list
    if not recipients:
        return SendResult(ok=False, detail=_("The channel has no e-mail recipients."), retryable=False)
    try:
        sent = send_mail(message.title, message.plain_text(), settings.DEFAULT_FROM_EMAIL, recipients)
    except (OSError, ValueError) as error:  # smtplib's errors are OSErrors
        return SendResult(ok=False, detail=_("The mail server refused: %(error)s") % {"error": error})
    # The count, not the addresses: the record (and the API that reads it) names no one.
    return SendResult(ok=bool(sent), detail=sent_to(len(recipients)))


def sent_to(count: int) -> str:
    return ngettext("Sent to %(count)d recipient.", "Sent to %(count)d recipients.", count) % {"count": count}
