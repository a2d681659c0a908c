"""GET /api/v1/metrics/ and /api/v1/metrics/{code}/ (kpi/api/metrics.py): the metric catalog.

The catalog is the 31 metrics of DOMAIN.md §8 installed by kpi/migrations/0002_standard_catalog.py, with
sort_order 10, 20, … in the order of that table, then the 19 the apps declare in migrations of their own
(tests.kpi.test_metrics.APP_METRICS: outreach 11, checklists 5, customers 3), with sort_order from 900 on:
50 in all. Where the apps' metrics tie on sort_order among themselves, the tests take them as a set.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from kpi.models import Level, Metric
from staff.services import api_token_create
from tests.kpi.factories import MetricFactory
from tests.kpi.test_metrics import APP_CODES, APP_METRICS, CATALOG

STANDARD_CODES = [code for code, *_rest in CATALOG]
ALL = len(STANDARD_CODES) + len(APP_CODES)  # 31 + 19 = 50

URL = "/api/v1/metrics/"


def _token_client(unit, *, scopes: str = "read") -> APIClient:
    _token, key = api_token_create(name=f"{unit.code} {scopes}", unit=unit, scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [metric["code"] for metric in response.json()["results"]]


def _standard_then_apps(codes: list[str]) -> tuple[list[str], set[str]]:
    """kpi's codes in the order listed, then the apps' codes (all after them in catalog order) as a set."""
    standard = [code for code in codes if code in STANDARD_CODES]
    assert codes[: len(standard)] == standard, codes
    return standard, set(codes[len(standard) :])


@pytest.fixture
def outlet_reader(network) -> APIClient:
    """The Tianhe Road outlet's integration: the smallest scope a token can have."""
    return _token_client(network["GZ0101"])


def test_an_outlet_token_reads_the_whole_catalog_in_catalog_order(outlet_reader):
    codes = _codes(outlet_reader.get(URL))

    assert len(codes) == ALL == 50
    # kpi's 31 in the order of DOMAIN.md §8, from deposit_balance to premium_customers_growth, then the apps'.
    assert _standard_then_apps(codes) == (STANDARD_CODES, set(APP_CODES))
    assert codes[:4] == ["deposit_balance", "deposit_balance_personal", "deposit_balance_corporate", "deposit_growth"]
    assert codes[29:31] == ["premium_customers", "premium_customers_growth"]


def test_a_ratio_names_its_numerator_and_denominator(outlet_reader):
    response = outlet_reader.get(f"{URL}npl_ratio/")

    assert response.status_code == 200
    assert response.json() == {
        "code": "npl_ratio",
        "name": "Non-performing loan ratio",
        "name_zh": "不良贷款率",
        "name_en": "Non-performing loan ratio",
        "description": "",
        "category": "loans",
        "unit": "%",
        "aggregation": "ratio",
        "direction": "lower",
        "level": "outlet",
        "base": None,
        "numerator": "npl_balance",
        "denominator": "loan_balance",
        "time_basis": "calendar",
        "is_active": True,
        "sort_order": 90,
    }


def test_a_net_change_names_its_base(outlet_reader):
    growth = outlet_reader.get(f"{URL}deposit_growth/").json()

    assert (growth["aggregation"], growth["base"], growth["numerator"], growth["denominator"]) == (
        "change",
        "deposit_balance",
        None,
        None,
    )


def test_the_name_is_chinese_when_the_request_asks_for_it(outlet_reader):
    metric = outlet_reader.get(f"{URL}avg_wait_minutes/", HTTP_ACCEPT_LANGUAGE="zh-Hans").json()

    assert (metric["name"], metric["unit"]) == ("平均等待时间", "分钟")


def test_an_unknown_code_is_a_404_in_the_error_format(outlet_reader):
    response = outlet_reader.get(f"{URL}deposits/")

    assert response.status_code == 404
    assert response.json() == {"errors": [{"field": "", "message": "No such metric.", "row": None}]}


@pytest.mark.parametrize("persona", ["teller", "outsider", "auditor"])
def test_any_signed_in_user_reads_the_catalog(db, persona, request):
    client = APIClient()
    client.force_login(request.getfixturevalue(persona))

    assert len(_codes(client.get(URL))) == ALL


def test_an_anonymous_request_is_refused(network):
    response = APIClient().get(URL)

    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == ""


def test_a_token_without_the_read_scope_is_refused(network):
    assert _token_client(network["GZ0101"], scopes="ingest").get(URL).status_code == 403


# -- filters -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected", "from_the_apps"),
    [
        (
            {"aggregation": "ratio"},
            ["npl_ratio", "avg_wait_minutes", "satisfaction_rate", "lobby_referral_rate", "counter_referral_rate"],
            {
                "outreach_coverage",
                "outreach_contact_success",
                "outreach_conversion",
                "outreach_visits_per_person",
                "patrol_pass_rate",
                "referral_conversion_rate",
            },
        ),
        ({"category": "loans"}, ["loan_balance", "loan_disbursed", "npl_balance", "npl_ratio"], set()),
        (
            {"category": "service", "aggregation": "ratio"},
            ["avg_wait_minutes", "satisfaction_rate"],
            {"patrol_pass_rate"},
        ),
        ({"aggregation": "average"}, ["deposit_daily_avg"], set()),
        (
            {"level": "both"},
            [
                "mobile_banking_signups",
                "lobby_referrals",
                "counter_referrals",
                "customer_visits",
                "other_bank_deposits_won",
                "insurance_premium",
                "wealth_sales",
                "premium_customers",
                "premium_customers_growth",
            ],
            set(APP_METRICS["outreach"]) | {"referrals_made", "referral_deals"},
        ),
        ({"level": "staff"}, [], set()),
        ({"is_active": "false"}, [], set()),
    ],
)
def test_the_filters_narrow_the_catalog(outlet_reader, query, expected, from_the_apps):
    assert _standard_then_apps(_codes(outlet_reader.get(URL, query))) == (expected, from_the_apps)


def test_retired_and_staff_only_metrics_are_found_by_their_filters(outlet_reader):
    Metric.objects.filter(code="complaints").update(is_active=False)
    MetricFactory(code="teller_transactions", level=Level.STAFF, sort_order=5)

    assert _codes(outlet_reader.get(URL, {"is_active": "false"})) == ["complaints"]
    assert _codes(outlet_reader.get(URL, {"level": "staff"})) == ["teller_transactions"]
    active = _codes(outlet_reader.get(URL, {"is_active": "true"}))
    assert len(active) == ALL and "complaints" not in active and active[0] == "teller_transactions"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"aggregation": "mean"}, "aggregation"),
        ({"category": "risk"}, "category"),
        ({"level": "branch"}, "level"),
        ({"is_active": "yes"}, "is_active"),
        ({"ordering": "name_zh"}, "ordering"),
        ({"ordering": "--code"}, "ordering"),  # one minus is descending; two were stripped and reached the ORM
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(outlet_reader, query, field):
    response = outlet_reader.get(URL, query)

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]


# -- ordering and pages ----------------------------------------------------------------------------------------


def test_ordering_by_category_breaks_ties_by_code(outlet_reader):
    codes = _codes(outlet_reader.get(URL, {"ordering": "category"}))

    # channels < compliance < customers < deposits …; the four channel metrics by code, the two compliance
    # ones (checklists' inspection_vetoes, kpi's risk_events) by code, then outreach's first customer metric.
    assert codes[:7] == [
        "mobile_banking_signups",
        "new_merchants",
        "online_banking_signups",
        "sms_banking_signups",
        "inspection_vetoes",
        "risk_events",
        "outreach_assigned",
    ]


def test_ordering_by_sort_order_descending(outlet_reader):
    codes = _codes(outlet_reader.get(URL, {"ordering": "-sort_order"}))

    # The apps' metrics (sort_order 900 on) come first, then kpi's 31 from the last of DOMAIN.md §8 back.
    assert set(codes[: len(APP_CODES)]) == set(APP_CODES)
    assert codes[len(APP_CODES) :] == STANDARD_CODES[::-1]
    assert codes[len(APP_CODES) : len(APP_CODES) + 2] == ["premium_customers_growth", "premium_customers"]


def test_pages_of_a_tied_ordering_list_every_metric_once(outlet_reader):
    seen, response = [], outlet_reader.get(URL, {"ordering": "category", "page_size": 4})
    while True:
        seen += _codes(response)
        if not response.json()["next"]:
            break
        response = outlet_reader.get(response.json()["next"])

    assert seen == _codes(outlet_reader.get(URL, {"ordering": "category"}))
    assert len(set(seen)) == ALL


def test_the_list_costs_the_same_queries_for_2_metrics_as_for_12(outlet_reader, django_assert_num_queries):
    outlet_reader.get(URL)  # the token's first use records last_used_at; later ones within a minute do not

    # token, the page (base, numerator and denominator joined): 2 whatever the page holds.
    with django_assert_num_queries(2):
        assert len(_codes(outlet_reader.get(URL, {"page_size": 2}))) == 2
    with django_assert_num_queries(2):
        # deposit_growth, deposit_daily_avg (base) and npl_ratio (numerator, denominator) are among these 12.
        page = outlet_reader.get(URL, {"page_size": 12}).json()["results"]
    assert len(page) == 12
    assert page[8]["numerator"] == "npl_balance"
