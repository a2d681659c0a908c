"""Benchmark outlets (标杆网点) and their replicas (标杆复制网点): kpi.selectors.contests.benchmark_comparison and the
/benchmarks/<code>/ page. Figures go through the real rollup.

天河路网点 GZ0101 is the benchmark. 珠江新城网点 GZ0102 replicates it from 15 June 2026, so its "before" is
May (the month scorecard of 31 May); 太平镇网点 GZ0201 from 10 March, so February (28 February).
The latest rolled-up day is 15 November: "after" is November to date.

                     GZ0102 May   GZ0102 Nov   GZ0201 Feb   GZ0201 Nov   GZ0101 Nov
  customers served        300          500          120          260          800
  deposit balance    4,000.00     4,600.00     1,500.00     1,900.00     6,000.00   (万元, a stock)
  deposit daily avg    129.03     4,040.00        53.57     1,526.67       400.00

The daily averages carry the balance forward over the month's calendar days: May 4,000 on the 31st
alone → 4,000 / 31 = 129.0323; November 14 days of May's 4,000 then 4,600 → 60,600 / 15 = 4,040;
February 1,500 / 28 = 53.5714; 14 × 1,500 + 1,900 = 22,900 / 15 = 1,526.6667; the benchmark has no
balance before the 15th → 6,000 / 15 = 400.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from branches.models import Transformation
from kpi.models import LineKind
from kpi.selectors import contests as contests_reads
from staff.access import scope_for_user
from staff.models import Role
from tests.factories import UserFactory
from tests.kpi.contest_data import MID_NOVEMBER, D, fact, outlets_under, roll, template

MAY_END, FEBRUARY_END = D(2026, 5, 31), D(2026, 2, 28)


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _replicate(outlet, benchmark, transformed_on):
    outlet.benchmark = benchmark
    outlet.transformation = Transformation.TRANSFORMED
    outlet.transformed_on = transformed_on
    outlet.save()


@pytest.fixture
def replicated(network):
    """GZ0101 is the benchmark; GZ0102 replicates it from 15 June, GZ0201 from 10 March. No figures yet."""
    gz0101 = network["GZ0101"]
    gz0101.is_benchmark = True
    gz0101.save()
    _replicate(network["GZ0102"], gz0101, D(2026, 6, 15))
    _replicate(network["GZ0201"], gz0101, D(2026, 3, 10))
    return gz0101


@pytest.fixture
def benchmark(network, replicated):
    """The figures of the table above, rolled up on 28 February, 31 May and 15 November (each from the
    start of the year: a few seconds, so only the tests that read figures take this fixture)."""
    gz0102, gz0201 = network["GZ0102"], network["GZ0201"]
    fact(gz0201, "customers_served", 120, day=FEBRUARY_END)
    fact(gz0201, "deposit_balance", 1500, day=FEBRUARY_END)
    roll(FEBRUARY_END)
    fact(gz0102, "customers_served", 300, day=MAY_END)
    fact(gz0102, "deposit_balance", 4000, day=MAY_END)
    roll(MAY_END)
    for outlet, served, deposits in ((replicated, 800, 6000), (gz0102, 500, 4600), (gz0201, 260, 1900)):
        fact(outlet, "customers_served", served)
        fact(outlet, "deposit_balance", deposits)
    roll(MID_NOVEMBER)
    return replicated


@pytest.fixture
def benchmark_rolled_up(replicated):
    """Only the benchmark's own customers served on 15 November (a quick rollup): the page has a day."""
    fact(replicated, "customers_served", 800)
    roll(MID_NOVEMBER)
    return replicated


def _figures(replica):
    return [
        (
            row.metric.code,
            row.before.actual if row.before else None,
            row.after.actual if row.after else None,
            row.benchmark.actual if row.benchmark else None,
        )
        for row in replica.rows
    ]


def test_each_replica_has_its_month_before_transformation_and_its_latest_month(benchmark, hq_admin):
    comparison = contests_reads.benchmark_comparison(scope=scope_for_user(hq_admin), benchmark=benchmark)

    assert comparison.as_of == MID_NOVEMBER
    assert comparison.template is None  # no template scores the benchmark: its scorecard's metrics
    gz0102, gz0201 = comparison.replicas
    assert (gz0102.outlet.code, gz0102.before_date) == ("GZ0102", MAY_END)
    assert _figures(gz0102) == [
        ("deposit_balance", 4000, 4600, 6000),
        ("deposit_daily_avg", Decimal("129.0323"), 4040, 400),
        ("customers_served", 300, 500, 800),
    ]
    assert (gz0201.outlet.code, gz0201.before_date) == ("GZ0201", FEBRUARY_END)
    assert _figures(gz0201) == [
        ("deposit_balance", 1500, 1900, 6000),
        ("deposit_daily_avg", Decimal("53.5714"), Decimal("1526.6667"), 400),
        ("customers_served", 120, 260, 800),
    ]


def test_the_page_shows_before_after_and_the_benchmark_in_a_fixed_number_of_queries(
    english, benchmark, hq_admin, network, django_assert_max_num_queries
):
    english.force_login(hq_admin)
    with CaptureQueriesContext(connection) as two_replicas:
        page = english.get("/benchmarks/GZ0101/").content.decode()

    assert page.count("<article") == 2
    assert "Before (2026-05)" in page and "Before (2026-02)" in page and "After (2026-11)" in page
    assert "4,000.00" in page and "4,600.00" in page and "6,000.00" in page and "129.03" in page
    assert "Zhujiang New Town Outlet" in page and "Taiping Town Outlet" in page

    for outlet in outlets_under(network["GZ01"], "GZ0111", "GZ0112", "GZ0113"):
        _replicate(outlet, benchmark, D(2026, 4, 1))
    with django_assert_max_num_queries(len(two_replicas)):
        assert english.get("/benchmarks/GZ0101/").content.decode().count("<article") == 5


def test_the_metrics_are_the_lines_of_the_template_that_scores_the_benchmark(replicated, hq_admin):
    scoring = template(
        "T-TRANSFORMED",
        lines=[
            ("customers_served", LineKind.POINTS, {"points_per_unit": 1}),
            ("mobile_banking_signups", LineKind.POINTS, {"points_per_unit": 2}),
        ],
    )
    fact(replicated, "customers_served", 800)
    fact(replicated, "deposit_balance", 6000)  # on the scorecard, not on the template
    roll(MID_NOVEMBER)

    comparison = contests_reads.benchmark_comparison(scope=scope_for_user(hq_admin), benchmark=replicated)

    assert comparison.template == scoring
    assert [m.code for m in comparison.metrics] == ["customers_served", "mobile_banking_signups"]


def test_a_replica_without_a_transformation_date_has_no_before(network, benchmark_rolled_up, hq_admin):
    network["SZ0101"].benchmark = benchmark_rolled_up
    network["SZ0101"].save()

    comparison = contests_reads.benchmark_comparison(scope=scope_for_user(hq_admin), benchmark=benchmark_rolled_up)

    sz0101 = comparison.replicas[-1]
    assert (sz0101.outlet.code, sz0101.before_date) == ("SZ0101", None)
    assert [(row.metric.code, row.before, row.after) for row in sz0101.rows] == [("customers_served", None, None)]


def test_a_unit_manager_sees_only_the_replicas_in_their_subtree(english, benchmark_rolled_up, unit_manager):
    english.force_login(unit_manager)
    page = english.get("/benchmarks/GZ0101/").content.decode()
    assert "Zhujiang New Town Outlet" in page
    assert "Taiping Town Outlet" not in page  # GZ0201 is under 从化支行, outside 天河支行


@pytest.mark.parametrize("code", ["GZ0102", "NOPE"])
def test_an_outlet_that_is_not_a_benchmark_is_not_found(english, replicated, hq_admin, code):
    english.force_login(hq_admin)
    assert english.get(f"/benchmarks/{code}/").status_code == 404


def test_a_benchmark_that_no_outlet_of_ones_scope_copies_is_not_found(english, replicated, network):
    # 福田支行 (SZ01) holds no replica of GZ0101: the benchmark is outside its scope (DOMAIN.md §7).
    english.force_login(UserFactory(role=Role.UNIT_MANAGER, unit=network["SZ01"]))
    assert english.get("/benchmarks/GZ0101/").status_code == 404
    english.force_login(UserFactory(role=Role.OUTLET_HEAD, unit=network["GZ0102"]))
    network["GZ0102"].benchmark = None
    network["GZ0102"].save()
    assert english.get("/benchmarks/GZ0101/").status_code == 404


@pytest.mark.parametrize("role, unit", [(Role.UNIT_MANAGER, "GZ02"), (Role.OUTLET_HEAD, "GZ0201")])
def test_the_manager_of_a_replica_opens_the_benchmark_it_copies_from_another_sub_branch(
    english, benchmark_rolled_up, network, role, unit
):
    """Issue 14: 太平镇网点 (GZ0201, under 从化支行) copies 天河路网点 (GZ0101, under 天河支行). Its head and
    从化支行's manager read the comparison: their replica beside the benchmark's month, and nothing else of
    天河支行 (珠江新城网点 GZ0102, the other replica, stays out)."""
    english.force_login(UserFactory(role=role, unit=network[unit]))

    page = english.get("/benchmarks/GZ0101/").content.decode()

    assert "Taiping Town Outlet" in page
    assert "Zhujiang New Town Outlet" not in page
    assert "Tianhe Road Outlet" in page  # the benchmark's name, as the page's title
    # No link to the benchmark's own scorecard, which they may not open.
    assert "/units/GZ0101/scorecard/" not in page
    assert english.get("/benchmarks/GZ0101/", {"export": "csv"}).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/units/GZ0101/scorecard/",
        "/units/GZ0101/overview/",
        "/units/GZ0101/customers/",
        "/units/GZ0101/metrics/customers_served/",
        "/units/GZ01/scorecard/",
    ],
)
def test_copying_a_benchmark_opens_its_comparison_only_not_its_other_pages(english, benchmark_rolled_up, network, url):
    english.force_login(UserFactory(role=Role.UNIT_MANAGER, unit=network["GZ02"]))

    assert english.get(url).status_code == 404


def test_the_scorecard_of_a_benchmark_links_to_the_comparison(english, replicated, hq_admin):
    english.force_login(hq_admin)
    assert "/benchmarks/GZ0101/" in english.get("/units/GZ0101/scorecard/").content.decode()
    assert "/benchmarks/" not in english.get("/units/GZ0102/scorecard/").content.decode()


def test_the_comparison_exports_before_now_and_the_benchmark(english, benchmark, hq_admin):
    english.force_login(hq_admin)

    response = english.get(f"/benchmarks/{benchmark.code}/", {"export": "csv"})

    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "Replica outlet,Metric,Before: actual,Before: pace-adjusted attainment,Now: actual,"
        "Now: pace-adjusted attainment,Benchmark: actual,Benchmark: pace-adjusted attainment"
    )
    # As the selector's test works them out: GZ0102 before 4000, now 4600, the benchmark 6000.
    assert [[line.split(",")[index] for index in (0, 1, 2, 4, 6)] for line in lines[1:4]] == [
        ["GZ0102", "Deposit balance", "4000.0000", "4600.0000", "6000.0000"],
        ["GZ0102", "Deposit daily average", "129.0323", "4040.0000", "400.0000"],
        ["GZ0102", "Customers served", "300.0000", "500.0000", "800.0000"],
    ]
    assert len(lines) == 1 + 6


def test_the_page_shows_each_replicas_rollout_beside_its_figures(english, benchmark_rolled_up, network, hq_admin):
    from kpi.models import PracticeItem
    from kpi.services.rollout import rollout_item_mark, rollout_start
    from staff.access import scope_for_user

    for order, (name, weight) in enumerate([("晨夕会", 3), ("厅堂营销", 1)]):
        PracticeItem.objects.create(benchmark=benchmark_rolled_up, name=name, weight=weight, sort_order=order)
    scope = scope_for_user(hq_admin)
    project = rollout_start(scope=scope, outlet=network["GZ0102"], coach=None, started_on=D(2026, 7, 1))
    rollout_item_mark(
        scope=scope,
        user=hq_admin,
        item=project.items.get(name="晨夕会"),
        done=True,
        evidence="晨会记录",
        day=D(2026, 7, 2),
    )
    english.force_login(hq_admin)

    page = english.get("/benchmarks/GZ0101/").content.decode()

    # 珠江新城 in 导入 with 3 of 3 + 1 = 75.0 % ready; 太平镇 has no rollout: no line.
    assert page.count('class="rollout-progress"') == 1
    assert "Introduce (导入)" in page and "75.0%" in page and "/rollouts/GZ0102/" in page
