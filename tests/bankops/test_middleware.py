"""bankops/middleware.py: what every request goes through."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "url", ["/bulletin/?unit=GZ0101%00", "/plans/?period=%00", "/units/GZ0101/customers/?manager=S1%00"]
)
def test_a_nul_byte_in_a_pages_query_is_a_400_page(client, hq_admin, url, like_postgresql):
    client.force_login(hq_admin)

    response = client.get(url)

    # These reached a query: PostgreSQL refuses a NUL byte in one, a 500.
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_nul_byte_in_a_pages_path_is_a_400_page(client, hq_admin):
    client.force_login(hq_admin)

    assert client.get("/admin/kpi/metric/%00/change/").status_code == 400


def test_a_query_without_a_nul_byte_goes_through(client, hq_admin):
    client.force_login(hq_admin)

    assert client.get("/plans/", {"period": "2026-11"}).status_code == 200
