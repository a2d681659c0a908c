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


@pytest.mark.parametrize("year", ["99999999999999999999", "9999", "0", "２０２６"])
def test_a_date_hierarchy_year_beyond_a_date_sends_the_admin_back_to_its_list_not_a_500(client, hq_admin, year):
    _admin_login(client, hq_admin)

    response = client.get("/admin/plans/plan/", {"created_at__year": year})

    assert (response.status_code, response.url) == (302, "/admin/plans/plan/?e=1")
    assert client.get("/admin/plans/plan/", {"created_at__year": "2026"}).status_code == 200


def test_an_object_number_beyond_any_id_in_an_admin_path_is_a_404(client, hq_admin):
    _admin_login(client, hq_admin)

    assert client.get("/admin/outreach/donotcontact/99999999999999999999/change/").status_code == 404
    assert client.get("/admin/kpi/metric/123456/change/").status_code in (302, 404)  # Django's: not found


def _admin_login(client, user) -> None:
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
