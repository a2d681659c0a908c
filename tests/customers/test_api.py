"""GET /api/v1/customer-tiers/, /tier-migrations/, /customers/ and /customers/{code}/ (customers/api.py) on
the six customers of tests/customers/conftest.py tiered for October and November 2026. The counts are
those worked out in tests/customers/test_selectors.py."""

from __future__ import annotations

import base64
import datetime
from urllib.parse import parse_qs, urlparse

import pytest
from rest_framework.test import APIClient

from customers.models import Customer, Group
from tests.customers.clients import api_error, ok, token_client_of
from tests.factories import AssignmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def _codes(response) -> list[str]:
    return [customer["code"] for customer in ok(response)["results"]]


@pytest.fixture
def gz01(network, tiered) -> APIClient:
    return token_client_of(network["GZ01"])


@pytest.fixture
def gz01_personal(network, tiered) -> APIClient:
    """GZ01's token with the `personal` scope: customer numbers whole, the list by code."""
    return token_client_of(network["GZ01"], "read,personal")


# -- tier counts -----------------------------------------------------------------------------------------


def test_the_tier_counts_of_an_outlet_this_month_and_last(network, gz01):
    answer = ok(gz01.get("/api/v1/customer-tiers/?unit=GZ0101&month=2026-11"))

    assert (answer["unit"], answer["month"], answer["previous_month"], answer["tiered"]) == (
        "GZ0101",
        "2026-11",
        "2026-10",
        True,
    )
    assert [
        (tier["code"], tier["customers_before"], tier["customers"], tier["change"]) for tier in answer["tiers"]
    ] == [
        ("star1", 1, 0, -1),
        ("star2", 1, 1, 0),
        ("star3", 0, 2, 2),
        ("star4", 1, 0, -1),
        ("star5", 0, 1, 1),
        ("private", 1, 0, -1),
    ]
    assert answer["tiers"][2] == {
        "code": "star3",
        "name": "3-star",
        "name_zh": "三星客户",
        "name_en": "3-star",
        "rank": 3,
        "premium": True,
        "min_aum": "50000.00",
        "customers": 2,
        "customers_before": 0,
        "change": 2,
    }
    assert answer["premium"] == {"customers": 3, "customers_before": 2, "change": 1}
    assert answer["total"] == {"customers": 4, "customers_before": 4, "change": 0}


def test_the_month_defaults_to_the_latest_tiered(gz01):
    answer = ok(gz01.get("/api/v1/customer-tiers/?unit=GZ01"))

    assert answer["month"] == "2026-11"
    assert answer["total"] == {"customers": 5, "customers_before": 5, "change": 0}


def test_a_relationship_managers_tier_counts(gz01):
    answer = ok(gz01.get("/api/v1/customer-tiers/?unit=GZ01&manager=S1001"))

    assert answer["manager"] == "S1001"
    assert {tier["code"]: tier["customers_before"] for tier in answer["tiers"]}["star1"] == 1  # C3, not C6


def test_a_month_not_tiered_yet_answers_zeros(gz01):
    answer = ok(gz01.get("/api/v1/customer-tiers/?unit=GZ0101&month=2026-12"))

    assert answer["tiered"] is False
    assert answer["total"] == {"customers": 0, "customers_before": 4, "change": -4}


def test_the_tier_counts_carry_an_etag(gz01):
    first = gz01.get("/api/v1/customer-tiers/?unit=GZ0101")

    again = gz01.get("/api/v1/customer-tiers/?unit=GZ0101", HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("unit=GZ0101&month=2026-13", "month", "'2026-13' is not a month (expected YYYY-MM, such as 2026-11)"),
        ("unit=GZ0101&month=1999-01", "month", "no tier scheme is in force in 1999-01; HQ must add one in the admin"),
        ("month=2026-11", "unit", "This field is required."),
    ],
)
def test_a_bad_query_is_answered_with_what_was_wrong(gz01, query, field, message):
    error = api_error(gz01.get(f"/api/v1/customer-tiers/?{query}"), 400)

    assert (error["field"], error["message"]) == (field, message)


@pytest.mark.parametrize("query", ["unit=SZ0101", "unit=GZ", "unit=NOPE", "unit=GZ01&manager=S9999"])
def test_a_unit_or_manager_outside_the_token_is_not_found(gz01, query):
    assert gz01.get(f"/api/v1/customer-tiers/?{query}").status_code == 404
    assert gz01.get(f"/api/v1/tier-migrations/?{query}").status_code == 404


# -- migrations ------------------------------------------------------------------------------------------


def test_the_migration_rows_of_a_sub_branch(gz01):
    answer = ok(gz01.get("/api/v1/tier-migrations/?unit=GZ01&month=2026-11"))

    assert answer["rows"] == [
        {"from_tier": "star1", "to_tier": "star1", "from_rank": 1, "to_rank": 1, "movement": "same", "customers": 1},
        {"from_tier": "star1", "to_tier": "star2", "from_rank": 1, "to_rank": 2, "movement": "up", "customers": 1},
        {"from_tier": "star2", "to_tier": "star3", "from_rank": 2, "to_rank": 3, "movement": "up", "customers": 1},
        {"from_tier": "star4", "to_tier": "star3", "from_rank": 4, "to_rank": 3, "movement": "down", "customers": 1},
        {"from_tier": "private", "to_tier": None, "from_rank": 6, "to_rank": None, "movement": "lost", "customers": 1},
        {"from_tier": None, "to_tier": "star5", "from_rank": None, "to_rank": 5, "movement": "new", "customers": 1},
    ]
    assert answer["totals"] == {"up": 2, "down": 1, "same": 1, "new": 1, "lost": 1}


def test_the_migrations_of_one_relationship_manager(gz01):
    answer = ok(gz01.get("/api/v1/tier-migrations/?unit=GZ01&month=2026-11&manager=S1001"))

    assert answer["manager"] == "S1001"
    assert answer["totals"] == {"up": 2, "down": 1, "same": 0, "new": 1, "lost": 1}


def test_the_first_month_has_only_new_customers(gz01):
    answer = ok(gz01.get("/api/v1/tier-migrations/?unit=GZ0101&month=2026-10"))

    assert answer["totals"] == {"up": 0, "down": 0, "same": 0, "new": 4, "lost": 0}


def test_another_branchs_token_sees_no_migrations_of_guangzhou(network, tiered):
    shenzhen = token_client_of(network["SZ"])

    assert shenzhen.get("/api/v1/tier-migrations/?unit=GZ01").status_code == 404
    assert ok(shenzhen.get("/api/v1/tier-migrations/?unit=SZ"))["rows"] == []


# -- customers -------------------------------------------------------------------------------------------


def test_a_token_without_the_personal_scope_sees_masked_customers(gz01):
    answer = ok(gz01.get("/api/v1/customers/"))

    # The customer numbers are masked too (C1 is 4 characters or fewer: starred whole), as the outreach,
    # referral, ledger and gift answers mask them, so no list joins a masked number back to its whole.
    assert [customer["code"] for customer in answer["results"]] == ["**"] * 6
    assert answer["results"][0] == {
        "code": "**",
        "name": "张*三",
        "id_number": "440106********1234",
        "masked": True,
        "home_outlet": "GZ0101",
        "manager": "S1001",
        "groups": [],
        "month": "2026-11",
        "tier": "star3",
    }
    assert answer["results"][1]["name"] == "欧**娜"


def test_a_masked_readers_cursor_carries_no_customer_number(gz01):
    # By code, the `next` link's cursor would be the last row's code in base64 ("p=C2"): by id instead.
    first = ok(gz01.get("/api/v1/customers/?page_size=2"))
    cursor = parse_qs(urlparse(first["next"]).query)["cursor"][0]
    position = parse_qs(base64.b64decode(cursor).decode())["p"][0]

    assert position == str(Customer.objects.order_by("pk")[1].pk)
    second = ok(gz01.get(first["next"]))
    assert len(second["results"]) == 2 and second["next"]  # customers 3 and 4 of the 6, in id order


def test_a_masked_reader_asks_for_a_customer_by_the_whole_number_and_reads_it_masked(gz01):
    assert ok(gz01.get("/api/v1/customers/C1/"))["code"] == "**"


def test_a_token_with_the_personal_scope_sees_names_and_identity_numbers(network, tiered):
    client = token_client_of(network["GZ0101"], "read,personal")

    first = ok(client.get("/api/v1/customers/C1/"))

    assert (first["name"], first["id_number"], first["masked"]) == ("张小三", "440106199001011234", False)


def test_a_signed_in_hq_administrator_sees_names(hq_admin, tiered):
    client = APIClient()
    client.force_login(hq_admin)

    assert ok(client.get("/api/v1/customers/C2/"))["name"] == "欧阳娜娜"


def test_customers_outside_the_tokens_subtree_are_not_found(network, tiered):
    gz0102 = token_client_of(network["GZ0102"], "read,personal")
    shenzhen = token_client_of(network["SZ01"], "read,personal")

    assert _codes(gz0102.get("/api/v1/customers/")) == ["C6"]
    assert gz0102.get("/api/v1/customers/C1/").status_code == 404
    assert _codes(shenzhen.get("/api/v1/customers/")) == []
    assert shenzhen.get("/api/v1/customers/C6/").status_code == 404
    assert shenzhen.get("/api/v1/customers/NOPE/").status_code == 404


def test_a_customer_without_a_snapshot_that_month_has_no_tier(gz01):
    lost = ok(gz01.get("/api/v1/customers/C4/"))
    earlier = ok(gz01.get("/api/v1/customers/C4/?month=2026-10"))

    assert (lost["month"], lost["tier"]) == ("2026-11", None)
    assert (earlier["month"], earlier["tier"]) == ("2026-10", "private")


@pytest.mark.parametrize(
    "query, codes",
    [
        ("tier=star3", ["C1", "C2"]),
        ("tier=star3&month=2026-10", []),
        ("tier=star4&month=2026-10", ["C2"]),
        ("tier=star1", ["C6"]),
        ("outlet=GZ0102", ["C6"]),
        ("under=GZ01", ["C1", "C2", "C3", "C4", "C5", "C6"]),
        ("manager=S1001", ["C1", "C2", "C3", "C4", "C5"]),
        ("group=merchant", ["C3"]),
        ("group=young", ["C1", "C3"]),
        ("group=silver", []),
        ("manager=S1001&tier=star2&group=merchant", ["C3"]),
    ],
)
def test_customers_are_filtered_by_outlet_manager_tier_and_group(tiered, gz01_personal, query, codes):
    tiered["C1"].groups = Group.YOUNG
    tiered["C1"].save()
    tiered["C3"].groups = Group.YOUNG | Group.MERCHANT
    tiered["C3"].save()

    assert _codes(gz01_personal.get(f"/api/v1/customers/?{query}")) == codes


def test_groups_are_listed_by_code(tiered, gz01):
    tiered["C3"].groups = Group.YOUNG | Group.MERCHANT
    tiered["C3"].save()

    assert ok(gz01.get("/api/v1/customers/C3/"))["groups"] == ["young", "merchant"]


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("tier=gold", "tier", "“gold” is not a tier; use one of private, star1, star2, star3, star4, star5"),
        ("month=11-2026", "month", "'11-2026' is not a month (expected YYYY-MM, such as 2026-11)"),
        ("page_size=0", "page_size", "“0” is not a page size; ask for a whole number from 1 to 1000"),
    ],
)
def test_a_bad_filter_is_answered_with_what_was_wrong(gz01, query, field, message):
    error = api_error(gz01.get(f"/api/v1/customers/?{query}"), 400)

    assert (error["field"], error["message"]) == (field, message)


def test_an_unknown_group_is_refused(gz01):
    assert api_error(gz01.get("/api/v1/customers/?group=vip"), 400)["field"] == "group"


@pytest.mark.parametrize("query", ["outlet=SZ0101", "under=SZ", "manager=S2003"])
def test_a_filter_outside_the_token_is_not_found(network, gz01, query):
    outside = StaffMemberFactory(code="S2003", name="张伟")
    AssignmentFactory(staff=outside, post="teller", unit=network["SZ0101"], start=datetime.date(2026, 1, 1))

    assert gz01.get(f"/api/v1/customers/?{query}").status_code == 404


def test_customers_come_a_page_at_a_time_by_code(gz01_personal):
    first = ok(gz01_personal.get("/api/v1/customers/?page_size=4"))
    second = ok(gz01_personal.get(first["next"]))

    assert [customer["code"] for customer in first["results"]] == ["C1", "C2", "C3", "C4"]
    assert [customer["code"] for customer in second["results"]] == ["C5", "C6"]
    assert second["next"] is None


def test_a_token_needs_the_read_scope(network, tiered):
    ingest_only = token_client_of(network["GZ01"], "ingest")

    assert ingest_only.get("/api/v1/customers/").status_code == 403
    assert ingest_only.get("/api/v1/customer-tiers/?unit=GZ01").status_code == 403


def test_the_list_issues_as_many_queries_for_a_page_of_two_as_of_six(gz01, django_assert_num_queries):
    gz01.get("/api/v1/customers/")  # the token's first use is recorded, once a minute at most

    # the token, the latest tiered month, the page of customers with their outlets, managers and tiers
    with django_assert_num_queries(3):
        small = gz01.get("/api/v1/customers/?page_size=2")
    with django_assert_num_queries(3):
        large = gz01.get("/api/v1/customers/?page_size=6")

    assert (len(small.json()["results"]), len(large.json()["results"])) == (2, 6)
