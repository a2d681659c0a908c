"""What the customers' page and API tests ask with: a page's text, a client holding a unit's token, a
200's JSON and an error's one entry (the API's error format)."""

from __future__ import annotations

from rest_framework.test import APIClient

from staff.services import api_token_create


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def token_client_of(unit, scopes: str = "read") -> APIClient:
    _token, key = api_token_create(name=f"{unit.code} {scopes}", unit=unit, scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def api_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    (error,) = response.json()["errors"]
    return error
