"""A fact that names a partner (分润, kpi/services/facts.py with kpi/services/credit.py): the CSV import and
the ingest API take an optional `partner` per staff fact, share it by HQ's standing rule, refuse a pair no
rule covers (all or nothing), and the rollup credits each their exact part.

At 天河路网点 (GZ0101) since 2026-01-01: 王 (WANG) a wealth manager, 李 (LI) a teller who refers customers
to him, 赵 (ZHAO) a lobby manager. HQ's rule: 理财 (wealth_sales) 70/30 between the wealth manager and
the referring teller, adjustable from 20 to 40 %.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from kpi.models import CreditSplit, Fact, IngestBatch, MonthClose, RollupDay, Scorecard, ScorecardLine
from kpi.services import rollup
from kpi.services.credit import credit_split_adjust
from kpi.services.facts import FACT_COLUMNS, facts_ingest
from lib.csvimport import ImportRejected, Problem, read_csv
from staff.access import Scope
from staff.services import api_token_create
from tests.factories import AssignmentFactory, StaffMemberFactory
from tests.kpi.factories import RollupDayFactory
from tests.kpi.test_credit_rules import rule

D = datetime.date
SALE_DAY = D(2026, 11, 10)
HEADER = "date,unit,staff,metric,value,partner\n"
HQ = Scope(everything=True, read_only=False, personal_data=True, role="hq_admin")
pytestmark = pytest.mark.django_db


@pytest.fixture
def people(network):
    staff = {}
    for code, post_code in [("WANG", "wealth_manager"), ("LI", "teller"), ("ZHAO", "lobby_manager")]:
        staff[code] = StaffMemberFactory(code=code)
        AssignmentFactory(staff=staff[code], post=post_code, unit=network["GZ0101"], start=D(2026, 1, 1))
    return staff


@pytest.fixture
def standing(network):
    return rule()


def _ingest(text: str, **kwargs) -> IngestBatch:
    rows = read_csv(text.encode("utf-8"), columns=FACT_COLUMNS)
    return facts_ingest(rows=rows, source=IngestBatch.Source.CSV, **kwargs)


def _problems(text: str) -> list[Problem]:
    with pytest.raises(ImportRejected) as caught:
        _ingest(text)
    return caught.value.problems


def _splits() -> list[tuple]:
    return list(CreditSplit.objects.order_by("fact__date").values_list("fact__staff__code", "partner__code", "share"))


def _month_actual(staff, day=SALE_DAY, code="wealth_sales") -> Decimal | None:
    cards = Scorecard.objects.published().filter(date=day, period="month", staff=staff)
    found = ScorecardLine.objects.filter(scorecard__in=cards, metric__code=code).first()
    return None if found is None else found.actual


def test_a_fact_with_a_partner_is_shared_by_the_rule_and_the_rollup_credits_both_exactly(people, standing, network):
    batch = _ingest(
        HEADER + "2026-11-10,GZ0101,WANG,wealth_sales,10000.01,LI\n"
        "2026-11-10,GZ0101,,wealth_sales,25000,\n"  # the outlet's own figure: never split
    )

    assert (batch.created, batch.updated, batch.unchanged) == (2, 0, 0)
    assert _splits() == [("WANG", "LI", Decimal(30))]
    rollup.rollup_range(first=SALE_DAY, last=SALE_DAY)
    # 10000.01 × 30 % = 3000.003 for 李 (already at four places); 王 keeps 10000.01 − 3000.003 = 7000.007.
    assert _month_actual(people["LI"]) == Decimal("3000.003")
    assert _month_actual(people["WANG"]) == Decimal("7000.007")
    cards = Scorecard.objects.published().filter(date=SALE_DAY, period="month", unit=network["GZ0101"])
    assert ScorecardLine.objects.get(scorecard__in=cards, metric__code="wealth_sales").actual == Decimal(25000)


def test_the_outlets_adjustment_is_the_share_its_facts_get(people, standing, network):
    credit_split_adjust(scope=HQ, outlet=network["GZ0101"], rule=standing, share=Decimal("33.3333"), reason="试点")

    _ingest(HEADER + "2026-11-10,GZ0101,WANG,wealth_sales,100,LI\n")

    assert _splits() == [("WANG", "LI", Decimal("33.3333"))]
    rollup.rollup_range(first=SALE_DAY, last=SALE_DAY)
    # 100 × 33.3333 % = 33.3333 for 李, 66.6667 for 王: 100 exactly.
    assert _month_actual(people["LI"]) == Decimal("33.3333")
    assert _month_actual(people["WANG"]) == Decimal("66.6667")


def test_a_pair_no_rule_covers_is_refused_naming_the_line_and_nothing_is_written(people, standing):
    problems = _problems(
        HEADER + "2026-11-10,GZ0101,WANG,wealth_sales,500,LI\n"  # fine on its own
        "2026-11-10,GZ0101,WANG,insurance_premium,80,LI\n"  # no rule for insurance
        "2026-11-11,GZ0101,WANG,wealth_sales,60,ZHAO\n"  # no rule for a lobby manager
    )

    no_rule = (
        "no credit sharing rule applies to {}: HQ's rules (分润) pair the posts the two hold at the outlet that day, "
        "and none pairs theirs for this metric"
    )
    assert problems == [
        Problem(3, "partner", no_rule.format("'insurance_premium' sold by 'WANG' with 'LI' at GZ0101 on 2026-11-10")),
        Problem(4, "partner", no_rule.format("'wealth_sales' sold by 'WANG' with 'ZHAO' at GZ0101 on 2026-11-11")),
    ]
    assert not Fact.objects.exists() and not CreditSplit.objects.exists()


def test_what_a_rows_own_cells_break_is_said_under_partner(people, standing, network):
    StaffMemberFactory(code="SUN")
    problems = _problems(
        HEADER + "2026-11-10,GZ0101,,wealth_sales,500,LI\n"
        "2026-11-10,GZ0101,WANG,wealth_sales,500,WANG\n"
        "2026-11-11,GZ0101,WANG,wealth_sales,500,SUN\n"
        "2026-11-12,GZ0101,WANG,wealth_sales,500,NOBODY\n"
        "2026-11-10,GZ0101,WANG,deposit_balance,500,LI\n"
    )

    assert [(problem.line, problem.field, problem.message) for problem in problems] == [
        (2, "partner", "a partner shares a staff member's sale: give the staff member who made it in 'staff'"),
        (3, "partner", "'WANG' is the fact's own staff member; name the colleague who shares it"),
        (
            4,
            "partner",
            "staff member 'SUN' is not assigned to GZ0101 on 2026-11-11; a sale is shared with a colleague at the "
            "same outlet",
        ),
        (5, "partner", "staff member 'NOBODY' is not known"),
        (6, "partner", "'deposit_balance' is a balance; only a flow (sum: a sale, a sign-up) is shared"),
        (6, "staff", "'deposit_balance' is reported per outlet only; leave staff empty"),
    ]
    assert not Fact.objects.exists()


def test_sending_the_same_shared_fact_again_changes_nothing_even_after_an_adjustment(people, standing, network):
    line = HEADER + "2026-11-10,GZ0101,WANG,wealth_sales,500,LI\n"
    _ingest(line)
    RollupDayFactory(date=SALE_DAY)
    credit_split_adjust(scope=HQ, outlet=network["GZ0101"], rule=standing, share=Decimal(40), reason="旺季")

    again = _ingest(line)

    # The sale was shared at 30 %: a new share applies to sales shared from then on.
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert _splits() == [("WANG", "LI", Decimal(30))]
    assert RollupDay.objects.get(date=SALE_DAY).stale_since is None


def test_a_new_partner_on_a_stored_fact_is_an_update_that_marks_the_day_stale(people, standing, network):
    AssignmentFactory(staff=StaffMemberFactory(code="QIAN"), post="teller", unit=network["GZ0101"], start=D(2026, 1, 1))
    _ingest(HEADER + "2026-11-10,GZ0101,WANG,wealth_sales,500,\n")
    RollupDayFactory(date=SALE_DAY)

    first = _ingest(HEADER + "2026-11-10,GZ0101,WANG,wealth_sales,500,LI\n")
    second = _ingest(HEADER + "2026-11-10,GZ0101,WANG,wealth_sales,500,QIAN\n")

    assert (first.created, first.updated, first.unchanged) == (0, 1, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 1, 0)
    assert _splits() == [("WANG", "QIAN", Decimal(30))]
    assert RollupDay.objects.get(date=SALE_DAY).stale_since is not None


def test_a_file_without_the_partner_column_leaves_the_splits_as_they_are(people, standing):
    _ingest(HEADER + "2026-11-10,GZ0101,WANG,wealth_sales,500,LI\n")

    batch = _ingest("date,unit,staff,metric,value\n2026-11-10,GZ0101,WANG,wealth_sales,600\n")

    assert (batch.created, batch.updated, batch.unchanged) == (0, 1, 0)
    assert _splits() == [("WANG", "LI", Decimal(30))]


def test_a_new_split_in_a_closed_month_is_refused_like_a_late_fact(people, standing):
    _ingest(HEADER + "2026-10-20,GZ0101,WANG,wealth_sales,500,\n")
    MonthClose.objects.create(month=D(2026, 10, 1), is_closed=True)

    problems = _problems(HEADER + "2026-10-20,GZ0101,WANG,wealth_sales,500,LI\n")

    assert [(problem.line, problem.field) for problem in problems] == [(2, "date")]
    assert "month 2026-10 was closed (月结)" in problems[0].message
    assert not CreditSplit.objects.exists()


def test_a_person_who_changed_post_is_shared_by_the_post_held_on_the_facts_day(people, standing, network):
    # 赵 was a lobby manager until 31 October, a teller from 1 November: October's referral finds no
    # rule, November's the teller's 30 %.
    people["ZHAO"].assignments.update(end=D(2026, 10, 31))
    AssignmentFactory(staff=people["ZHAO"], post="teller", unit=network["GZ0101"], start=D(2026, 11, 1))

    assert [p.line for p in _problems(HEADER + "2026-10-31,GZ0101,WANG,wealth_sales,100,ZHAO\n")] == [2]
    _ingest(HEADER + "2026-11-01,GZ0101,WANG,wealth_sales,100,ZHAO\n")
    assert _splits() == [("WANG", "ZHAO", Decimal(30))]


class TestApi:
    URL = "/api/v1/facts/"

    @pytest.fixture(autouse=True)
    def _no_rollup(self):
        with mock.patch("kpi.services.facts.rollup_pending"):
            yield

    @pytest.fixture
    def client(self, network):
        _token, key = api_token_create(name="wealth-system", unit=network["GZ01"], scopes="read,ingest")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    def fact(self, **changes) -> dict:
        return {"date": "2026-11-10", "unit": "GZ0101", "staff": "WANG", "metric": "wealth_sales", "value": "500"} | (
            changes
        )

    def test_a_fact_pushed_with_a_partner_is_shared_and_listed_with_it(self, client, people, standing):
        response = client.post(self.URL, {"facts": [self.fact(partner="LI"), self.fact(staff="LI")]}, format="json")

        assert response.status_code == 201, response.json()
        assert _splits() == [("WANG", "LI", Decimal(30))]
        listed = {row["staff"]: row for row in client.get(self.URL).json()["results"]}
        assert (listed["WANG"]["partner"], listed["WANG"]["partner_share"]) == ("LI", "30.0000")
        assert (listed["LI"]["partner"], listed["LI"]["partner_share"]) == (None, None)

    def test_a_partner_no_rule_covers_is_a_400_naming_the_row_and_field(self, client, people, standing):
        response = client.post(
            self.URL, {"facts": [self.fact(partner=None), self.fact(date="2026-11-11", partner="ZHAO")]}, format="json"
        )

        assert response.status_code == 400
        assert [(error["row"], error["field"]) for error in response.json()["errors"]] == [(1, "partner")]
        assert not Fact.objects.exists()

    @pytest.mark.parametrize("partner", [7, True, ["LI"], {"code": "LI"}])
    def test_a_partner_that_is_not_a_string_is_a_400(self, client, people, standing, partner):
        response = client.post(self.URL, {"facts": [self.fact(partner=partner)]}, format="json")

        assert response.status_code == 400
        assert response.json()["errors"] == [{"row": 0, "field": "partner", "message": "must be a string"}]


@pytest.fixture(autouse=True)
def _english_problems():
    """The problems asserted here are the English source texts (every test starts in Chinese; an import
    in Chinese: tests/bankops/test_i18n_complete.py)."""
    with translation.override("en"):
        yield
