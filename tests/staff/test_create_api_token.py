"""manage.py create_api_token, the token services behind it, and the tokens' admin."""

from __future__ import annotations

import re
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from staff.api import hash_key
from staff.models import ApiToken

# Something a token with the ingest scope may push: the Tianhe Road outlet's customers on a Tuesday.
FACTS = {"facts": [{"date": "2026-11-24", "unit": "GZ0101", "metric": "customers_served", "value": "120"}]}


def _create(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out, no_color=True)
    return out.getvalue().splitlines()


def _push(key: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    with mock.patch("kpi.services.facts.rollup_pending"):
        return client.post("/api/v1/facts/", FACTS, format="json")


def test_the_key_is_printed_alone_on_the_last_line_and_only_its_hash_is_stored(network):
    lines = _create("--name", "core-banking", "--unit", "GZ", "--scopes", "read,ingest")

    key = lines[-1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key)  # token_urlsafe(32): 32 random bytes in base64url
    token = ApiToken.objects.get()
    assert (token.name, token.unit.code, token.scopes) == ("core-banking", "GZ", "read,ingest")
    assert token.key_hash == hash_key(key)
    assert token.prefix == key[:8]
    assert key not in {token.key_hash, token.prefix, token.name, token.scopes}
    assert not any(key in line for line in lines[:-1])


def test_scopes_are_stored_once_each_in_catalog_order(network):
    _create("--name", "hq-sync", "--unit", "HQ", "--scopes", "admin, read,read")

    assert ApiToken.objects.get().scopes == "read,admin"


def test_a_token_reads_by_default(network):
    _create("--name", "dashboard", "--unit", "HQ")

    assert ApiToken.objects.get().scope_names == {"read"}


def test_a_request_with_the_new_key_authenticates(teller):
    key = _create("--name", "core-banking", "--unit", "GZ", "--scopes", "ingest")[-1]

    response = _push(key)

    assert response.status_code == 201, response.content
    assert ApiToken.objects.get().last_used_at is not None


def test_a_revoked_token_is_refused(teller):
    key = _create("--name", "core-banking", "--unit", "GZ", "--scopes", "ingest")[-1]

    lines = _create("--revoke", "core-banking")
    response = _push(key)

    assert lines[-1].startswith("Revoked token 'core-banking'")
    assert ApiToken.objects.get().revoked_at is not None
    assert response.status_code == 401


def test_revoking_twice_keeps_the_first_revocation_time(network):
    _create("--name", "core-banking", "--unit", "GZ")
    _create("--revoke", "core-banking")
    first = ApiToken.objects.get().revoked_at

    _create("--revoke", "core-banking")

    assert ApiToken.objects.get().revoked_at == first


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "x", "--unit", "NOPE"], "unit 'NOPE' is not known"),
        (
            ["--name", "x", "--unit", "GZ", "--scopes", "read,write"],
            "unknown scope write (use read, ingest, admin, personal)",
        ),
        (["--name", "x", "--unit", "GZ", "--scopes", ","], "give at least one scope (read, ingest, admin, personal)"),
        (["--unit", "GZ"], "give --name NAME and --unit CODE (or --revoke NAME)"),
        (["--revoke", "nobody"], "no token is named 'nobody'"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(args, message, network):
    with pytest.raises(CommandError) as caught:
        _create(*args)

    assert str(caught.value) == message
    assert ApiToken.objects.count() == 0


def test_a_second_token_with_the_same_name_is_refused(network):
    _create("--name", "core-banking", "--unit", "GZ")

    with pytest.raises(CommandError) as caught:
        _create("--name", "core-banking", "--unit", "SZ")

    assert str(caught.value) == "a token named 'core-banking' already exists; revoke it or choose another name"
    assert ApiToken.objects.get().unit.code == "GZ"


# -- the admin ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, network):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_admin_shows_a_new_tokens_key_once_and_stores_its_hash(admin_client, network):
    response = admin_client.post(
        "/admin/staff/apitoken/add/",
        {"name": "crm-export", "unit": network["GZ"].pk, "scopes": ["read", "ingest"]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    token = ApiToken.objects.get()
    (message,) = [str(m) for m in response.context["messages"] if "shown only this once" in str(m)]
    key = message.rsplit(": ", 1)[-1]
    assert token.key_hash == hash_key(key)
    assert token.scopes == "read,ingest"
    assert token.created_by.username == "root"


def test_the_admin_revokes_the_selected_tokens(admin_client, network):
    _create("--name", "a", "--unit", "GZ")
    _create("--name", "b", "--unit", "SZ")

    admin_client.post(
        "/admin/staff/apitoken/",
        {"action": "revoke", "_selected_action": [ApiToken.objects.get(name="a").pk]},
    )

    assert {token.name: token.is_active for token in ApiToken.objects.all()} == {"a": False, "b": True}
