"""The metric catalog (DOMAIN.md §3, §8): what the data migration installs and what Metric.clean refuses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kpi.models import Aggregation, Metric

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Metric.clean's messages are read in English, whatever catalog is compiled (zh-hans is the default)."""
    with translation.override("en"):
        yield


# DOMAIN.md §8, copied by hand: code, unit, kind, better, and what a derived metric is made of.
CATALOG = [
    ("deposit_balance", "万元", "last", "higher", None),
    ("deposit_balance_personal", "万元", "last", "higher", None),
    ("deposit_balance_corporate", "万元", "last", "higher", None),
    ("deposit_growth", "万元", "change", "higher", "deposit_balance"),
    ("deposit_daily_avg", "万元", "average", "higher", "deposit_balance"),
    ("loan_balance", "万元", "last", "higher", None),
    ("loan_disbursed", "万元", "sum", "higher", None),
    ("npl_balance", "万元", "last", "lower", None),
    ("npl_ratio", "%", "ratio", "lower", ("npl_balance", "loan_balance")),
    ("mobile_banking_signups", "户", "sum", "higher", None),
    ("sms_banking_signups", "户", "sum", "higher", None),
    ("online_banking_signups", "户", "sum", "higher", None),
    ("new_merchants", "户", "sum", "higher", None),
    ("customers_served", "人", "sum", "higher", None),
    ("wait_minutes_total", "分钟", "sum", "lower", None),
    ("avg_wait_minutes", "分钟", "ratio", "lower", ("wait_minutes_total", "customers_served")),
    ("satisfaction_responses", "件", "sum", "higher", None),
    ("satisfaction_positive", "件", "sum", "higher", None),
    ("satisfaction_rate", "%", "ratio", "higher", ("satisfaction_positive", "satisfaction_responses")),
    ("lobby_referrals", "人", "sum", "higher", None),
    ("lobby_referral_rate", "%", "ratio", "higher", ("lobby_referrals", "customers_served")),
    ("counter_referrals", "人", "sum", "higher", None),
    ("counter_referral_rate", "%", "ratio", "higher", ("counter_referrals", "customers_served")),
    ("customer_visits", "户", "sum", "higher", None),
    ("other_bank_deposits_won", "万元", "sum", "higher", None),
    ("insurance_premium", "万元", "sum", "higher", None),
    ("wealth_sales", "万元", "sum", "higher", None),
    ("complaints", "件", "sum", "lower", None),
    ("risk_events", "件", "sum", "lower", None),
    ("premium_customers", "户", "last", "higher", None),
    ("premium_customers_growth", "户", "change", "higher", "premium_customers"),
]

# "staff too" in DOMAIN.md §8. The migration also measures premium customers per staff member (each
# customer has a relationship manager, DOMAIN.md §6), which the table does not say.
STAFF_TOO = {
    "mobile_banking_signups",
    "lobby_referrals",
    "counter_referrals",
    "customer_visits",
    "other_bank_deposits_won",
    "insurance_premium",
    "wealth_sales",
}


# The metrics other apps declare in kpi's catalog, each in a data migration of its own (not in kpi 0002):
# outreach/migrations/0002_outreach_metrics.py, checklists/migrations/0002_patrol_and_inspection_metrics.py
# and customers/migrations/0008_referral_metrics.py.
APP_METRICS = {
    "outreach": [  # 7 flows and counts, 4 rates; all measured per staff member too ("both")
        "outreach_assigned",
        "outreach_contacted",
        "outreach_converted",
        "outreach_calls",
        "outreach_calls_reached",
        "outreach_visits",
        "outreach_staff",
        "outreach_coverage",
        "outreach_contact_success",
        "outreach_conversion",
        "outreach_visits_per_person",
    ],
    "checklists": [  # the patrol's 3 sums and its pass rate, the inspections' vetoes; outlets only
        "patrol_items_checked",
        "patrol_items_passed",
        "patrols_missed",
        "patrol_pass_rate",
        "inspection_vetoes",
    ],
    "customers": [  # referrals: 2 sums for outlets and staff ("both"), the conversion rate for outlets
        "referrals_made",
        "referral_deals",
        "referral_conversion_rate",
    ],
}
APP_CODES = [code for codes in APP_METRICS.values() for code in codes]
# The apps' metrics measured per staff member too (level "both").
APP_STAFF_TOO = set(APP_METRICS["outreach"]) | {"referrals_made", "referral_deals"}


def _parts(metric: Metric):
    if metric.aggregation == Aggregation.RATIO:
        return (metric.numerator.code, metric.denominator.code)
    if metric.base_id:
        return metric.base.code
    return None


def test_the_catalog_migration_installs_the_31_standard_codes():
    assert len(CATALOG) == 31
    installed = set(Metric.objects.values_list("code", flat=True))
    assert {code for code, *_rest in CATALOG} <= installed


def test_the_rest_of_the_catalog_is_declared_by_the_apps_that_feed_it():
    assert {app: len(codes) for app, codes in APP_METRICS.items()} == {"outreach": 11, "checklists": 5, "customers": 3}
    assert len(set(APP_CODES)) == 19 and not set(APP_CODES) & {code for code, *_rest in CATALOG}
    # 31 standard + 19 from the apps = 50, and nothing else.
    assert sorted(Metric.objects.values_list("code", flat=True)) == sorted(
        [code for code, *_rest in CATALOG] + APP_CODES
    )


@pytest.mark.parametrize(("code", "unit", "kind", "better", "parts"), CATALOG, ids=[row[0] for row in CATALOG])
def test_each_standard_metric_has_the_unit_kind_direction_and_parts_of_the_domain_table(
    code, unit, kind, better, parts
):
    metric = Metric.objects.select_related("base", "numerator", "denominator").get(code=code)

    assert (metric.unit, metric.aggregation, metric.direction, _parts(metric)) == (unit, kind, better, parts)


def test_the_npl_ratio_is_the_npl_balance_over_the_loan_balance():
    npl_ratio = Metric.objects.get(code="npl_ratio")

    assert npl_ratio.numerator.code == "npl_balance"
    assert npl_ratio.denominator.code == "loan_balance"
    assert npl_ratio.components() == [npl_ratio.numerator, npl_ratio.denominator]


def test_deposit_growth_is_the_net_change_of_the_deposit_balance():
    growth = Metric.objects.get(code="deposit_growth")

    assert growth.aggregation == Aggregation.CHANGE
    assert growth.base.code == "deposit_balance"
    assert growth.components() == [growth.base]
    assert growth.is_cumulative
    assert not growth.takes_facts


def test_the_metrics_staff_are_measured_on_are_those_marked_staff_too():
    staff_codes = set(Metric.objects.filter(level__in=["staff", "both"]).values_list("code", flat=True))

    assert staff_codes == STAFF_TOO | {"premium_customers", "premium_customers_growth"} | APP_STAFF_TOO


def test_every_catalog_metric_passes_its_own_validation():
    for metric in Metric.objects.all():
        metric.full_clean()


# -- Metric.clean ------------------------------------------------------------------------------------


def _metric(**fields) -> Metric:
    return Metric(code="test_metric", name_zh="测试", name_en="Test", unit="件", **fields)


def test_a_ratio_without_a_denominator_is_refused():
    ratio = _metric(aggregation="ratio", numerator=Metric.objects.get(code="complaints"))

    with pytest.raises(ValidationError) as caught:
        ratio.clean()

    assert caught.value.message_dict == {"denominator": ["A ratio names its denominator metric."]}


def test_a_ratio_of_ratios_is_refused():
    ratio = _metric(
        aggregation="ratio",
        numerator=Metric.objects.get(code="satisfaction_rate"),
        denominator=Metric.objects.get(code="customers_served"),
    )

    with pytest.raises(ValidationError) as caught:
        ratio.clean()

    assert caught.value.message_dict == {"numerator": ["A ratio's parts must not be ratios themselves."]}


def test_a_daily_average_of_a_flow_is_refused():
    average = _metric(aggregation="average", base=Metric.objects.get(code="loan_disbursed"))

    with pytest.raises(ValidationError) as caught:
        average.clean()

    assert caught.value.message_dict == {"base": ["The base metric must be a stock (aggregation 'last')."]}


def test_a_net_change_without_a_base_is_refused():
    with pytest.raises(ValidationError) as caught:
        _metric(aggregation="change").clean()

    assert caught.value.message_dict == {"base": ["A daily average or a net change names its base metric."]}


def test_a_sum_metric_with_a_base_is_refused():
    flow = _metric(aggregation="sum", base=Metric.objects.get(code="deposit_balance"))

    with pytest.raises(ValidationError) as caught:
        flow.clean()

    assert caught.value.message_dict == {"base": ["Only a daily average or a net change has a base metric."]}


def test_a_sum_metric_with_a_numerator_is_refused():
    flow = _metric(aggregation="sum", numerator=Metric.objects.get(code="complaints"))

    with pytest.raises(ValidationError) as caught:
        flow.clean()

    assert caught.value.message_dict == {"numerator": ["Only a ratio has a numerator and a denominator."]}


def test_a_daily_average_of_a_stock_is_accepted():
    _metric(aggregation="average", base=Metric.objects.get(code="loan_balance")).clean()
