"""GET /api/v1/deliveries/: the push's delivery records, read-only, for HQ, auditors and tokens with the
admin scope (the channels of their subtree); a channel's secrets never written out."""

from __future__ import annotations

import pytest
from django.test import Client

from notify.models import ChannelKind, Delivery, DeliveryKind, DeliveryStatus
from staff.services import api_token_create
from tests.kpi.freshness_data import DAY
from tests.notify.conftest import WECOM_KEY, email_channel, wecom_channel

pytestmark = pytest.mark.django_db

URL = "/api/v1/deliveries/"


@pytest.fixture
def deliveries(network, robot):
    """A sent delivery of 天河支行's WeCom channel (GZ01), a failed one of 福田支行's e-mail channel (SZ01)."""
    gz01 = wecom_channel(network["GZ01"], robot)
    sz01 = email_channel(network["SZ01"])
    sent = Delivery.objects.create(
        channel=gz01, day=DAY, status=DeliveryStatus.SENT, attempts=2, missing="GZ0104",
        detail='{"errcode": 0, "errmsg": "ok"}',
    )  # fmt: skip
    failed = Delivery.objects.create(
        channel=sz01, day=DAY, status=DeliveryStatus.FAILED, attempts=5, detail="The mail server refused."
    )
    return {"gz01": sent, "sz01": failed}


def token_client(unit, scopes: str) -> Client:
    _token, key = api_token_create(name=f"t-{unit.code}-{scopes}", unit=unit, scopes=scopes)
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def test_hq_reads_every_delivery_with_its_channel_and_the_webhook_masked(deliveries, client, hq_admin):
    client.force_login(hq_admin)

    body = client.get(URL).json()

    assert [row["id"] for row in body["results"]] == [deliveries["gz01"].pk, deliveries["sz01"].pk]
    first = body["results"][0]
    assert first == {
        "id": deliveries["gz01"].pk,
        "channel": {
            "id": deliveries["gz01"].channel_id,
            "name": "天河支行业务群",
            "unit": "GZ01",
            "kind": "wecom",
            "period": "month",
            "webhook": "••••5aaa",  # the webhook ends with the key …5aaa
            "is_active": True,
        },
        "day": "2026-11-15",
        "kind": "daily",
        "status": "sent",
        "attempts": 2,
        "detail": '{"errcode": 0, "errmsg": "ok"}',
        "missing": ["GZ0104"],
        "created_at": first["created_at"],
        "last_attempt_at": None,
        "sent_at": None,
    }
    assert WECOM_KEY not in str(body) and "fernet:" not in str(body)


def test_an_auditor_reads_them_too(deliveries, client, auditor):
    client.force_login(auditor)

    assert len(client.get(URL).json()["results"]) == 2


@pytest.mark.parametrize("persona", ["unit_manager", "outlet_head", "teller"])
def test_unit_heads_and_staff_may_not_read_them(deliveries, client, persona, request):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(URL)

    assert response.status_code == 403
    assert response.json()["errors"][0]["message"].startswith("Only HQ administrators and auditors")


def test_a_token_needs_the_admin_scope(deliveries, network):
    response = token_client(network["HQ"], "read").get(URL)

    assert response.status_code == 403
    assert "errors" in response.json()


def test_a_token_with_the_admin_scope_reads_the_deliveries_of_its_subtree_only(deliveries, network):
    client = token_client(network["GZ01"], "read,admin")

    body = client.get(URL).json()

    assert [row["id"] for row in body["results"]] == [deliveries["gz01"].pk]
    assert client.get(f"{URL}{deliveries['sz01'].pk}/").status_code == 404
    assert client.get(URL, {"unit": "SZ01"}).status_code == 404  # outside the scope, as if unknown


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "failed"}, ["sz01"]),
        ({"kind": "daily"}, ["gz01", "sz01"]),
        ({"kind": "test"}, []),
        ({"unit": "GZ01"}, ["gz01"]),
        ({"under": "SZ"}, ["sz01"]),
        ({"day": "2026-11-15"}, ["gz01", "sz01"]),
        ({"day": "2026-11-16"}, []),
    ],
)
def test_the_filters(deliveries, client, hq_admin, query, expected):
    client.force_login(hq_admin)

    body = client.get(URL, query).json()

    assert [row["id"] for row in body["results"]] == [deliveries[name].pk for name in expected]


def test_the_channel_filter(deliveries, client, hq_admin):
    client.force_login(hq_admin)

    body = client.get(URL, {"channel": deliveries["sz01"].channel_id}).json()

    assert [row["channel"]["kind"] for row in body["results"]] == [ChannelKind.EMAIL]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"day": "2026-13-01"}, "day"), ({"status": "lost"}, "status"), ({"channel": "x"}, "channel")],
)
def test_a_bad_filter_is_a_400_naming_it(deliveries, client, hq_admin, query, field):
    client.force_login(hq_admin)

    response = client.get(URL, query)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_one_delivery(deliveries, client, hq_admin):
    client.force_login(hq_admin)

    body = client.get(f"{URL}{deliveries['sz01'].pk}/").json()

    assert (body["status"], body["attempts"], body["detail"]) == ("failed", 5, "The mail server refused.")
    assert body["channel"]["webhook"] == ""  # an e-mail channel has none


def test_the_api_writes_nothing(deliveries, client, hq_admin):
    client.force_login(hq_admin)

    assert client.post(URL, {}, content_type="application/json").status_code == 405
    assert client.delete(f"{URL}{deliveries['gz01'].pk}/").status_code == 405
    assert Delivery.objects.filter(kind=DeliveryKind.DAILY).count() == 2
