"""Credit sharing (分润, DOMAIN.md §5): a staff fact split between its staff member and a partner, and the
rollup crediting each their part, exactly, with the figures worked out by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kpi.models import Aggregation, CreditSplit, Fact, Level, RollupDay, Scorecard, ScorecardLine
from kpi.services import rollup
from kpi.services.credit import credit_split_remove, credit_split_set
from tests.factories import AssignmentFactory, StaffMemberFactory, UserFactory
from tests.kpi.factories import MetricFactory, RollupDayFactory, metric

D = datetime.date
pytestmark = pytest.mark.django_db
SALE_DAY = D(2026, 11, 10)


@pytest.fixture
def people(network):
    """At GZ0101: 王 (WANG) a wealth manager, 李 (LI) a lobby manager who refers customers to him;
    孙 (SUN) works at GZ0102."""
    staff = {}
    for code, post, unit in [
        ("WANG", "wealth_manager", "GZ0101"),
        ("LI", "lobby_manager", "GZ0101"),
        ("SUN", "wealth_manager", "GZ0102"),
    ]:
        staff[code] = StaffMemberFactory(code=code)
        AssignmentFactory(staff=staff[code], post=post, unit=network[unit], start=D(2026, 1, 1))
    return staff


def sale(network, staff, value, day=SALE_DAY, code="wealth_sales", unit="GZ0101") -> Fact:
    return Fact.objects.create(
        date=day, unit=network[unit], staff=staff, metric=metric(code), value=Decimal(str(value))
    )


def month_actual(staff, day, code="wealth_sales") -> Decimal | None:
    cards = Scorecard.objects.published().filter(date=day, period="month", staff=staff)
    found = ScorecardLine.objects.filter(scorecard__in=cards, metric__code=code).first()
    return None if found is None else found.actual


class TestValidation:
    def test_an_outlets_own_fact_is_nobodys_to_share(self, network, people):
        fact = sale(network, None, 1000)
        with pytest.raises(ValidationError) as refused:
            credit_split_set(fact=fact, partner=people["LI"], share=Decimal(30))
        assert "only a staff member's fact can be shared" in refused.value.message_dict["fact"][0]

    def test_a_fact_is_not_shared_with_its_own_staff_member(self, network, people):
        fact = sale(network, people["WANG"], 1000)
        with pytest.raises(ValidationError) as refused:
            credit_split_set(fact=fact, partner=people["WANG"], share=Decimal(30))
        assert "the fact's own staff member" in refused.value.message_dict["partner"][0]

    def test_the_partner_works_at_the_facts_outlet_on_its_date(self, network, people):
        fact = sale(network, people["WANG"], 1000)
        with pytest.raises(ValidationError) as refused:
            credit_split_set(fact=fact, partner=people["SUN"], share=Decimal(30))
        assert refused.value.message_dict["partner"] == [
            "SUN is not assigned to GZ0101 on 2026-11-10; a sale is shared with a colleague at the same outlet"
        ]
        # 李 joined on 2026-01-01: a sale of 2025 cannot be shared with him.
        old = sale(network, people["WANG"], 1000, day=D(2025, 12, 31))
        with pytest.raises(ValidationError, match="LI is not assigned to GZ0101 on 2025-12-31"):
            credit_split_set(fact=old, partner=people["LI"], share=Decimal(30))

    @pytest.mark.parametrize("share", ["0", "100", "-5", "100.5", "33.33333"])
    def test_the_share_is_a_percentage_between_0_and_100_with_four_decimals(self, network, people, share):
        fact = sale(network, people["WANG"], 1000)
        with pytest.raises(ValidationError) as refused:
            credit_split_set(fact=fact, partner=people["LI"], share=Decimal(share))
        assert set(refused.value.message_dict) == {"share"}

    def test_only_a_staff_metric_that_is_a_flow_is_shared(self, network, people):
        outlet_only = sale(network, people["WANG"], 10, code="customers_served")
        with pytest.raises(ValidationError, match="'customers_served' is not measured per staff member"):
            credit_split_set(fact=outlet_only, partner=people["LI"], share=Decimal(30))
        book = MetricFactory(code="wealth_book", aggregation=Aggregation.LAST, level=Level.STAFF)
        balance = Fact.objects.create(
            date=D(2026, 11, 10), unit=network["GZ0101"], staff=people["WANG"], metric=book, value=500
        )
        with pytest.raises(ValidationError, match="'wealth_book' is a last; only a flow"):
            credit_split_set(fact=balance, partner=people["LI"], share=Decimal(30))
        assert not CreditSplit.objects.exists()


class TestSettingAndStale:
    def test_a_split_marks_the_rollup_stale_from_the_facts_date(self, network, people, hq_admin):
        before = RollupDayFactory(date=D(2026, 11, 9))
        on, after = RollupDayFactory(date=D(2026, 11, 10)), RollupDayFactory(date=D(2026, 11, 20))
        fact = sale(network, people["WANG"], 1000)

        split = credit_split_set(fact=fact, partner=people["LI"], share=Decimal(30), created_by=hq_admin)

        assert (split.partner, split.share, split.created_by) == (people["LI"], Decimal(30), hq_admin)
        for day in (before, on, after):
            day.refresh_from_db()
        assert before.stale_since is None
        assert on.stale_since is not None and after.stale_since is not None

    def test_changing_the_share_updates_the_split_and_the_same_again_changes_nothing(self, network, people):
        fact = sale(network, people["WANG"], 1000)
        credit_split_set(fact=fact, partner=people["LI"], share=Decimal(30))
        credit_split_set(fact=fact, partner=people["LI"], share=Decimal(40))
        assert CreditSplit.objects.get().share == Decimal(40)

        RollupDayFactory(date=D(2026, 11, 10))
        credit_split_set(fact=fact, partner=people["LI"], share=Decimal(40))
        assert RollupDay.objects.get(date=D(2026, 11, 10)).stale_since is None

    def test_removing_a_split_marks_stale_and_says_whether_there_was_one(self, network, people):
        fact = sale(network, people["WANG"], 1000)
        credit_split_set(fact=fact, partner=people["LI"], share=Decimal(30))
        RollupDayFactory(date=D(2026, 11, 10))
        assert credit_split_remove(fact=fact) is True
        assert RollupDay.objects.get(date=D(2026, 11, 10)).stale_since is not None
        assert credit_split_remove(fact=fact) is False


class TestRollup:
    def test_a_shared_sale_is_credited_to_both_in_their_month_scorecards(self, network, people):
        # 王 sold 1000 万元 of wealth products, 30 % shared with 李: 700 and 300.
        fact = sale(network, people["WANG"], 1000)
        credit_split_set(fact=fact, partner=people["LI"], share=Decimal(30))
        rollup.rollup_range(first=D(2026, 11, 10), last=D(2026, 11, 10))
        assert month_actual(people["WANG"], D(2026, 11, 10)) == Decimal(700)
        assert month_actual(people["LI"], D(2026, 11, 10)) == Decimal(300)

    def test_the_two_parts_add_up_to_the_fact_in_ten_thousandths(self, network, people):
        # 1 × 33.33 % = 0.3333 for the partner; the owner keeps 1 − 0.3333 = 0.6667.
        fact = sale(network, people["WANG"], 1)
        credit_split_set(fact=fact, partner=people["LI"], share=Decimal("33.33"))
        rollup.rollup_range(first=D(2026, 11, 10), last=D(2026, 11, 10))
        assert month_actual(people["WANG"], D(2026, 11, 10)) == Decimal("0.6667")
        assert month_actual(people["LI"], D(2026, 11, 10)) == Decimal("0.3333")

    def test_the_partners_share_rounds_half_up_and_the_owner_keeps_the_rest(self, network, people):
        # 0.0001 × 50 % = 0.00005 → 0.0001 for the partner, 0 for the owner. A reversal of −0.0001 the
        # next day rounds the same way (half away from zero): both months come back to 0.
        first = sale(network, people["WANG"], "0.0001")
        reversal = sale(network, people["WANG"], "-0.0001", day=D(2026, 11, 11))
        credit_split_set(fact=first, partner=people["LI"], share=Decimal(50))
        credit_split_set(fact=reversal, partner=people["LI"], share=Decimal(50))
        rollup.rollup_range(first=D(2026, 11, 10), last=D(2026, 11, 11))
        assert month_actual(people["LI"], D(2026, 11, 10)) == Decimal("0.0001")
        assert month_actual(people["WANG"], D(2026, 11, 10)) == Decimal(0)
        assert month_actual(people["LI"], D(2026, 11, 11)) == Decimal(0)
        assert month_actual(people["WANG"], D(2026, 11, 11)) == Decimal(0)

    def test_a_partners_own_sale_and_a_share_on_the_same_day_add_up(self, network, people):
        # Day 10 is rolled up from scratch, day 11 from day 10's running totals: both read splits.
        credit_split_set(fact=sale(network, people["WANG"], 1000), partner=people["LI"], share=Decimal(30))
        sale(network, people["LI"], 50)
        credit_split_set(
            fact=sale(network, people["WANG"], 100, day=D(2026, 11, 11)), partner=people["LI"], share=Decimal(50)
        )
        rollup.rollup_range(first=D(2026, 11, 10), last=D(2026, 11, 11))
        # 李 on day 10: 50 of his own + 300; 王 700. Day 11 adds 50 each: 李 400, 王 750.
        assert month_actual(people["LI"], D(2026, 11, 10)) == Decimal(350)
        assert month_actual(people["WANG"], D(2026, 11, 10)) == Decimal(700)
        assert month_actual(people["LI"], D(2026, 11, 11)) == Decimal(400)
        assert month_actual(people["WANG"], D(2026, 11, 11)) == Decimal(750)
        assert RollupDay.objects.get(date=D(2026, 11, 11)).published_run.chained

    def test_the_outlets_own_value_is_not_touched(self, network, people):
        sale(network, None, 5000)
        credit_split_set(fact=sale(network, people["WANG"], 1000), partner=people["LI"], share=Decimal(30))
        rollup.rollup_range(first=D(2026, 11, 10), last=D(2026, 11, 10))
        cards = Scorecard.objects.published().filter(date=D(2026, 11, 10), period="month", unit=network["GZ0101"])
        assert ScorecardLine.objects.get(scorecard__in=cards, metric__code="wealth_sales").actual == Decimal(5000)

    def test_removing_the_split_gives_the_whole_sale_back(self, network, people):
        fact = sale(network, people["WANG"], 1000)
        credit_split_set(fact=fact, partner=people["LI"], share=Decimal(30))
        rollup.rollup_range(first=D(2026, 11, 10), last=D(2026, 11, 10))
        credit_split_remove(fact=fact)
        assert rollup.pending_days() == [D(2026, 11, 10)]
        rollup.rollup_pending()
        assert month_actual(people["WANG"], D(2026, 11, 10)) == Decimal(1000)
        assert month_actual(people["LI"], D(2026, 11, 10)) is None


class TestPages:
    def test_a_share_of_a_count_is_written_with_its_decimals_on_both_scorecards(
        self, network, people, hq_admin, client
    ):
        # 王 signed 3 customers up for mobile banking, 30 % shared with 李: 李 is credited 3 × 30 % = 0.9 and
        # 王 keeps 2.1; written whole they would read "1" and "2" and add up to 3 only by luck.
        fact = sale(network, people["WANG"], 3, code="mobile_banking_signups")
        credit_split_set(fact=fact, partner=people["LI"], share=Decimal(30))
        rollup.rollup_range(first=D(2026, 11, 10), last=D(2026, 11, 10))
        client.force_login(hq_admin)

        for code, written in (("LI", "0.9"), ("WANG", "2.1")):
            page = client.get(f"/staff/{code}/scorecard/?date=2026-11-10&period=month").content.decode()
            assert f'<td class="num">{written}</td>' in page, code  # the table
            assert f'<strong class="num">{written}</strong>' in page, code  # the phone's card


class TestAdmin:
    @pytest.fixture
    def admin_client(self, client, db):
        user = UserFactory(username="zhang.guodong", first_name="张国栋", is_staff=True, is_superuser=True)
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        client.user = user
        return client

    def test_a_split_added_in_the_admin_goes_through_the_service(self, admin_client, network, people):
        fact = sale(network, people["WANG"], 1000)
        RollupDayFactory(date=D(2026, 11, 10))
        response = admin_client.post(
            "/admin/kpi/creditsplit/add/", {"fact": fact.pk, "partner": people["LI"].pk, "share": "30"}
        )
        assert response.status_code == 302
        split = CreditSplit.objects.get()
        assert (split.partner, split.share, split.created_by) == (people["LI"], Decimal(30), admin_client.user)
        assert RollupDay.objects.get(date=D(2026, 11, 10)).stale_since is not None

    def test_the_admin_form_says_what_is_wrong(self, admin_client, network, people):
        fact = sale(network, people["WANG"], 1000)
        response = admin_client.post(
            "/admin/kpi/creditsplit/add/", {"fact": fact.pk, "partner": people["SUN"].pk, "share": "30"}
        )
        assert response.status_code == 200
        assert response.context["adminform"].form.errors == {
            "partner": [
                "SUN is not assigned to GZ0101 on 2026-11-10; a sale is shared with a colleague at the same outlet"
            ]
        }
        assert not CreditSplit.objects.exists()

    def test_deleting_in_the_admin_removes_through_the_service(self, admin_client, network, people):
        fact = sale(network, people["WANG"], 1000)
        split = credit_split_set(fact=fact, partner=people["LI"], share=Decimal(30))
        RollupDayFactory(date=D(2026, 11, 10))
        response = admin_client.post(f"/admin/kpi/creditsplit/{split.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert not CreditSplit.objects.exists()
        assert RollupDay.objects.get(date=D(2026, 11, 10)).stale_since is not None

    def test_the_list_opens(self, admin_client, network, people):
        credit_split_set(fact=sale(network, people["WANG"], 1000), partner=people["LI"], share=Decimal(30))
        assert admin_client.get("/admin/kpi/creditsplit/").status_code == 200
