"""Credit sharing rules (分润): the one rounding rule of a split, and the share a standing rule (with an
outlet's adjustment) gives a sale, with the figures worked out by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kpi.models import CreditSplitAdjustment, CreditSplitAdjustmentChange, CreditSplitRule
from kpi.services.credit import credit_split_adjust, share_for, split_exactly
from staff.access import Scope, scope_for_user
from tests.factories import AssignmentFactory, StaffMemberFactory, post
from tests.kpi.factories import metric


@pytest.fixture(autouse=True)
def english():
    """The refusals are read in English, the words they are written in (zh-Hans is the default)."""
    with translation.override("en"):
        yield


D = datetime.date
SALE_DAY = D(2026, 11, 10)


def rule(code="wealth_sales", owner="wealth_manager", partner="teller", share="30", low="20", high="40", **kwargs):
    return CreditSplitRule.objects.create(
        metric=metric(code),
        owner_post=post(owner),
        partner_post=post(partner),
        share=Decimal(share),
        min_share=Decimal(low),
        max_share=Decimal(high),
        effective_from=kwargs.pop("effective_from", D(2026, 1, 1)),
        **kwargs,
    )


class TestSplitExactly:
    def test_a_70_30_split_of_10000_01_gives_the_partner_3000_003(self):
        # 10000.01 × 30 / 100 = 3000.003, already at a fact's four places: partner 3000.0030;
        # the owner keeps 10000.01 − 3000.003 = 7000.007.
        assert split_exactly(Decimal("10000.01"), Decimal(30)) == (Decimal("7000.007"), Decimal("3000.003"))

    def test_the_partners_part_rounds_half_up_at_the_fourth_place(self):
        # 10000.0001 × 30 % = 3000.00003 → 3000.0000 (the 3 in the fifth place rounds down);
        # the owner keeps 10000.0001 − 3000 = 7000.0001.
        assert split_exactly(Decimal("10000.0001"), Decimal(30)) == (Decimal("7000.0001"), Decimal("3000.0000"))
        # 0.0005 × 30 % = 0.00015 → 0.0002 (half up); owner 0.0003.
        assert split_exactly(Decimal("0.0005"), Decimal(30)) == (Decimal("0.0003"), Decimal("0.0002"))

    def test_a_third_of_100_gives_parts_that_add_up_to_100(self):
        # 100 × 33.3333 % = 33.3333 for the partner, 66.6667 for the owner: 100 exactly.
        owner, partner = split_exactly(Decimal(100), Decimal("33.3333"))
        assert (owner, partner) == (Decimal("66.6667"), Decimal("33.3333"))
        assert owner + partner == Decimal(100)
        # 1 × 33.3333 % = 0.333333 → 0.3333; owner 0.6667.
        assert split_exactly(Decimal(1), Decimal("33.3333")) == (Decimal("0.6667"), Decimal("0.3333"))

    def test_a_negative_value_splits_the_same_way_mirrored(self):
        # A reversed sale of −10000.01 at 30 %: partner −3000.003, owner −7000.007, so the sale and its
        # reversal cancel for each of them. −0.0005 × 30 % = −0.00015 → −0.0002 (half away from zero).
        assert split_exactly(Decimal("-10000.01"), Decimal(30)) == (Decimal("-7000.007"), Decimal("-3000.003"))
        assert split_exactly(Decimal("-0.0005"), Decimal(30)) == (Decimal("-0.0003"), Decimal("-0.0002"))

    @pytest.mark.parametrize(
        "value, share",
        [("99999999999999.9999", "33.3333"), ("0.0001", "0.0001"), ("-12345.6789", "66.6667"), ("0", "50")],
    )
    def test_the_parts_always_add_up_to_the_value(self, value, share):
        owner, partner = split_exactly(Decimal(value), Decimal(share))
        assert owner + partner == Decimal(value)
        assert partner == partner.quantize(Decimal("0.0001"))


@pytest.mark.django_db
class TestShareFor:
    @pytest.fixture
    def people(self, network):
        """At GZ0101: 王 (WANG) a wealth manager, 李 (LI) a teller who refers customers to him, 赵 (ZHAO)
        a lobby manager; 孙 (SUN) a teller at GZ0102."""
        staff = {}
        for code, post_code, unit in [
            ("WANG", "wealth_manager", "GZ0101"),
            ("LI", "teller", "GZ0101"),
            ("ZHAO", "lobby_manager", "GZ0101"),
            ("SUN", "teller", "GZ0102"),
        ]:
            staff[code] = StaffMemberFactory(code=code)
            AssignmentFactory(staff=staff[code], post=post_code, unit=network[unit], start=D(2026, 1, 1))
        return staff

    def ask(self, network, people, owner="WANG", partner="LI", on=SALE_DAY, unit="GZ0101", code="wealth_sales"):
        return share_for(metric=metric(code), owner=people[owner], partner=people[partner], unit=network[unit], on=on)

    def test_the_standing_rule_of_the_two_posts_gives_the_share(self, network, people):
        rule()
        assert self.ask(network, people) == Decimal(30)

    def test_no_rule_for_the_pair_of_posts_or_the_metric_gives_none(self, network, people):
        rule()
        assert self.ask(network, people, partner="ZHAO") is None  # wealth manager + lobby manager: no rule
        assert self.ask(network, people, owner="LI", partner="WANG") is None  # the rule has a direction
        assert self.ask(network, people, code="insurance_premium") is None
        assert self.ask(network, people, owner="WANG", partner="WANG") is None

    def test_a_partner_not_at_the_outlet_that_day_gives_none(self, network, people):
        rule()
        assert self.ask(network, people, partner="SUN") is None
        assert self.ask(network, people, on=D(2025, 12, 31)) is None  # before anyone's assignment

    def test_the_rule_in_force_on_the_day_is_the_one_used(self, network, people):
        rule(effective_to=D(2026, 6, 30))
        rule(share="35", low="30", high="40", effective_from=D(2026, 7, 1))
        rule(share="25", effective_from=D(2026, 12, 1), active=False)
        assert self.ask(network, people, on=D(2026, 6, 30)) == Decimal(30)
        assert self.ask(network, people, on=D(2026, 7, 1)) == Decimal(35)
        assert self.ask(network, people, on=D(2026, 12, 5)) == Decimal(35)  # the inactive rule counts for nothing

    def test_a_person_who_changed_post_is_matched_by_the_post_held_that_day(self, network, people):
        # 赵 was a lobby manager until 2026-10-31 and a teller from 2026-11-01: a referral in October
        # finds no rule (wealth manager + lobby manager), one in November the teller's 30 %.
        rule()
        people["ZHAO"].assignments.update(end=D(2026, 10, 31))
        AssignmentFactory(staff=people["ZHAO"], post="teller", unit=network["GZ0101"], start=D(2026, 11, 1))
        assert self.ask(network, people, partner="ZHAO", on=D(2026, 10, 31)) is None
        assert self.ask(network, people, partner="ZHAO", on=D(2026, 11, 1)) == Decimal(30)

    def test_the_outlets_adjustment_wins_over_the_rule_and_only_at_that_outlet(self, network, people):
        standing = rule()
        AssignmentFactory(staff=people["WANG"], post="wealth_manager", unit=network["GZ0102"], start=D(2026, 1, 1))
        CreditSplitAdjustment.objects.create(outlet=network["GZ0101"], rule=standing, share=Decimal("35.5"))
        assert self.ask(network, people) == Decimal("35.5")
        assert self.ask(network, people, partner="SUN", unit="GZ0102") == Decimal(30)

    def test_an_adjustment_outside_limits_hq_narrowed_later_is_held_at_the_limit(self, network, people):
        standing = rule()
        CreditSplitAdjustment.objects.create(outlet=network["GZ0101"], rule=standing, share=Decimal(40))
        CreditSplitRule.objects.filter(pk=standing.pk).update(max_share=Decimal(35))
        assert self.ask(network, people) == Decimal(35)


@pytest.mark.django_db
class TestRuleValidation:
    def test_shares_must_be_in_order_between_0_and_100(self):
        wrong = CreditSplitRule(
            metric=metric("wealth_sales"),
            owner_post=post("wealth_manager"),
            partner_post=post("teller"),
            share=Decimal(30),
            min_share=Decimal(35),
            max_share=Decimal(40),
            effective_from=D(2026, 1, 1),
        )
        with pytest.raises(ValidationError) as refused:
            wrong.full_clean()
        assert list(refused.value.message_dict) == ["share"]

    def test_only_a_staff_flow_has_rules(self):
        wrong = CreditSplitRule(
            metric=metric("deposit_balance"),
            owner_post=post("wealth_manager"),
            partner_post=post("teller"),
            share=Decimal(30),
            min_share=Decimal(20),
            max_share=Decimal(40),
            effective_from=D(2026, 1, 1),
        )
        with pytest.raises(ValidationError) as refused:
            wrong.clean()
        assert list(refused.value.message_dict) == ["metric"]

    def test_two_active_rules_of_the_same_posts_may_not_overlap(self):
        rule(effective_to=D(2026, 6, 30))
        overlapping = CreditSplitRule(
            metric=metric("wealth_sales"),
            owner_post=post("wealth_manager"),
            partner_post=post("teller"),
            share=Decimal(30),
            min_share=Decimal(20),
            max_share=Decimal(40),
            effective_from=D(2026, 6, 1),
        )
        with pytest.raises(ValidationError, match="Another active rule for the same metric and posts"):
            overlapping.clean()
        overlapping.effective_from = D(2026, 7, 1)
        overlapping.clean()


@pytest.mark.django_db
class TestAdjustment:
    HQ = Scope(everything=True, read_only=False, personal_data=True, role="hq_admin")

    def test_an_outlet_head_moves_the_share_within_limits_and_the_change_is_audited(self, network, outlet_head):
        standing = rule()
        scope = scope_for_user(outlet_head)
        adjustment = credit_split_adjust(
            scope=scope,
            outlet=network["GZ0101"],
            rule=standing,
            share=Decimal("35"),
            reason="理财旺季",
            changed_by=outlet_head,
        )
        assert (adjustment.share, adjustment.changed_by) == (Decimal(35), outlet_head)
        change = CreditSplitAdjustmentChange.objects.get()
        assert (change.outlet, change.rule, change.old_share, change.new_share, change.reason, change.changed_by) == (
            network["GZ0101"],
            standing,
            None,
            Decimal(35),
            "理财旺季",
            outlet_head,
        )
        # Then 40 (the highest HQ allows), then back to HQ's 30: the adjustment goes, the audit keeps all.
        credit_split_adjust(scope=scope, outlet=network["GZ0101"], rule=standing, share=Decimal(40), reason="再调")
        assert (
            credit_split_adjust(
                scope=scope, outlet=network["GZ0101"], rule=standing, share=Decimal(30), reason="恢复总行标准"
            )
            is None
        )
        assert not CreditSplitAdjustment.objects.exists()
        assert list(
            CreditSplitAdjustmentChange.objects.order_by("pk").values_list("old_share", "new_share", "reason")
        ) == [(None, Decimal(35), "理财旺季"), (Decimal(35), Decimal(40), "再调"), (Decimal(40), None, "恢复总行标准")]

    def test_the_same_share_again_writes_nothing(self, network):
        standing = rule()
        credit_split_adjust(scope=self.HQ, outlet=network["GZ0101"], rule=standing, share=Decimal(25), reason="a")
        credit_split_adjust(scope=self.HQ, outlet=network["GZ0101"], rule=standing, share=Decimal(25), reason="b")
        credit_split_adjust(scope=self.HQ, outlet=network["GZ0102"], rule=standing, share=Decimal(30), reason="c")
        assert CreditSplitAdjustmentChange.objects.count() == 1

    @pytest.mark.parametrize(
        "share, reason, problem",
        [
            ("41", "旺季", {"share": ["41% is outside the limits HQ set for this rule: between 20% and 40%."]}),
            (
                "19.9999",
                "旺季",
                {"share": ["19.9999% is outside the limits HQ set for this rule: between 20% and 40%."]},
            ),
            ("30.12345", "旺季", {"share": ["30.12345 has more than 4 decimals."]}),
            ("NaN", "旺季", {"share": ["Give the partner's share in percent, between 20 and 40."]}),
            ("35", "   ", {"reason": ["Say why the share changes (for example: 网点营销方案 2026-11)."]}),
        ],
    )
    def test_a_share_outside_limits_or_without_a_reason_is_refused_and_nothing_is_written(
        self, network, share, reason, problem
    ):
        standing = rule()
        with pytest.raises(ValidationError) as refused:
            credit_split_adjust(
                scope=self.HQ, outlet=network["GZ0101"], rule=standing, share=Decimal(share), reason=reason
            )
        assert refused.value.message_dict == problem
        assert not CreditSplitAdjustment.objects.exists()
        assert not CreditSplitAdjustmentChange.objects.exists()

    def test_only_an_outlet_is_adjusted(self, network):
        with pytest.raises(ValidationError, match="GZ01 is not an outlet"):
            credit_split_adjust(scope=self.HQ, outlet=network["GZ01"], rule=rule(), share=Decimal(35), reason="x")

    def test_someone_who_may_not_adjust_the_outlet_is_refused(self, network, outlet_head, auditor):
        standing = rule()
        for user, outlet in ((outlet_head, "GZ0102"), (auditor, "GZ0101")):
            with pytest.raises(PermissionDenied):
                credit_split_adjust(
                    scope=scope_for_user(user), outlet=network[outlet], rule=standing, share=Decimal(35), reason="x"
                )
        assert not CreditSplitAdjustmentChange.objects.exists()

    def test_the_adjusted_share_is_what_share_for_answers_at_that_outlet(self, network):
        owner, partner = StaffMemberFactory(code="WANG"), StaffMemberFactory(code="LI")
        AssignmentFactory(staff=owner, post="wealth_manager", unit=network["GZ0101"], start=D(2026, 1, 1))
        AssignmentFactory(staff=partner, post="teller", unit=network["GZ0101"], start=D(2026, 1, 1))
        standing = rule()
        credit_split_adjust(scope=self.HQ, outlet=network["GZ0101"], rule=standing, share=Decimal("37.5"), reason="x")
        asked = {"metric": metric("wealth_sales"), "owner": owner, "partner": partner, "on": SALE_DAY}
        assert share_for(unit=network["GZ0101"], **asked) == Decimal("37.5")


@pytest.mark.django_db
class TestRuleAdmin:
    @pytest.fixture
    def admin_client(self, client, hq_admin):
        hq_admin.is_staff = hq_admin.is_superuser = True
        hq_admin.save()
        client.force_login(hq_admin)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    def form(self, **changes) -> dict:
        return {
            "metric": metric("wealth_sales").pk,
            "owner_post": post("wealth_manager").pk,
            "partner_post": post("teller").pk,
            "share": "30",
            "min_share": "20",
            "max_share": "40",
            "effective_from": "2026-01-01",
            "active": "on",
        } | changes

    def test_hq_adds_a_rule_and_its_form_shows_the_shares_plainly(self, admin_client):
        assert admin_client.post("/admin/kpi/creditsplitrule/add/", self.form()).status_code == 302
        standing = CreditSplitRule.objects.get()
        assert (standing.share, standing.min_share, standing.max_share) == (Decimal(30), Decimal(20), Decimal(40))
        page = admin_client.get(f"/admin/kpi/creditsplitrule/{standing.pk}/change/").content.decode()
        assert 'name="share" value="30"' in page
        assert "20% – 40%" in admin_client.get("/admin/kpi/creditsplitrule/").content.decode()

    def test_shares_out_of_order_are_refused_under_share(self, admin_client):
        response = admin_client.post("/admin/kpi/creditsplitrule/add/", self.form(min_share="35"))
        assert response.status_code == 200
        assert list(response.context["adminform"].form.errors) == ["share"]
        assert not CreditSplitRule.objects.exists()

    def test_the_adjustments_and_their_audit_are_read_only(self, admin_client, network):
        standing = rule()
        credit_split_adjust(
            scope=TestAdjustment.HQ, outlet=network["GZ0101"], rule=standing, share=Decimal(35), reason="旺季"
        )
        assert admin_client.get("/admin/kpi/creditsplitadjustment/").status_code == 200
        assert admin_client.get("/admin/kpi/creditsplitadjustmentchange/").status_code == 200
        assert admin_client.get("/admin/kpi/creditsplitadjustment/add/").status_code == 403
