"""The outreach pages: territories with owners and counts, the 客户信息表, referrals; masking in pages and
exports; a refused form writes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from customers.models import Prospect, Referral, Territory
from tests.factories import AssignmentFactory, StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db
ID_CHEN = "440106199001010013"


@pytest.fixture(autouse=True)
def english(client):
    """English for the code (override) and for the pages: the client asks for it, as a browser would."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def outreach(network, teller):
    """A market of GZ0101 owned by the teller, a prospect 陈大文 in it, and a wealth manager 王 (S3001)."""
    territory = Territory.objects.create(
        kind="market", name="天河农贸市场", outlet=network["GZ0101"], owner=teller.staff_member
    )
    Prospect.objects.create(
        outlet=network["GZ0101"], territory=territory, name="陈大文", phone="13812345678", id_number=ID_CHEN,
        interest="wealth", captured_by=teller.staff_member, captured_on=datetime.date(2026, 11, 20),
    )  # fmt: skip
    wang = StaffMemberFactory(code="S3001", name="王大明")
    AssignmentFactory(staff=wang, unit=network["GZ0101"], post="wealth_manager")
    return territory


def test_the_outlet_head_sees_territories_with_owners_and_counts(client, outlet_head, outreach):
    client.force_login(outlet_head)
    page = client.get("/units/GZ0101/territories/").content.decode()
    assert "天河农贸市场" in page and "黄丽娟" in page and "S1001" in page
    assert "Add a territory" in page


def test_an_owner_of_another_outlet_is_refused_on_the_page_and_nothing_is_written(
    client, outlet_head, network, outreach
):
    client.force_login(outlet_head)
    response = client.post("/units/GZ0101/territories/", {"kind": "village", "name": "东风村", "owner": ""})
    assert response.status_code == 400
    assert Territory.objects.count() == 1


def test_prospect_names_phones_and_identity_numbers_are_masked_for_a_reader_without_personal_data(
    client, network, outreach, monkeypatch
):
    # The pages mask through Scope: give the unit manager a scope without personal data.
    import dataclasses

    from customers import outreach_views
    from staff import access

    manager = UserFactory(username="masked.manager", role="unit_manager", unit=network["GZ01"])
    real = access.scope_for_user
    monkeypatch.setattr(
        outreach_views, "scope_for_user", lambda user: dataclasses.replace(real(user), personal_data=False)
    )
    client.force_login(manager)
    page = client.get("/units/GZ0101/prospects/").content.decode()
    export = client.get("/units/GZ0101/prospects/?format=csv").content.decode("utf-8-sig")
    for text in (page, export):
        assert "陈大文" not in text and "13812345678" not in text and ID_CHEN not in text
        assert "陈*文" in text and "138****5678" in text and "440106********0013" in text


def test_the_teller_takes_down_a_prospect_on_her_phone(client, teller, outreach):
    client.force_login(teller)
    response = client.post(
        "/units/GZ0101/prospects/",
        {"name": "刘小红", "phone": "13900001111", "interest": "insurance", "territory": str(outreach.pk)},
    )
    assert response.status_code == 302
    assert Prospect.objects.filter(name="刘小红", territory=outreach, captured_by=teller.staff_member).exists()


def test_a_bad_prospect_form_answers_400_and_writes_nothing(client, teller, outreach):
    client.force_login(teller)
    response = client.post("/units/GZ0101/prospects/", {"name": "刘小红", "id_number": "123", "interest": "wealth"})
    assert response.status_code == 400
    assert Prospect.objects.count() == 1


def test_the_teller_records_a_referral_and_the_wealth_manager_closes_it(client, teller, network, outreach):
    client.force_login(teller)
    wang = outreach.outlet.assignments.get(post__code="wealth_manager").staff
    today = timezone.localdate().isoformat()
    response = client.post(
        "/units/GZ0101/referrals/", {"action": "new", "receiver": str(wang.pk), "product": "wealth", "day": today}
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.referrer.code, referral.channel) == ("S1001", "counter")
    wang.user = UserFactory(username="wang", role="staff")
    wang.save()
    client.force_login(wang.user)
    client.post("/units/GZ0101/referrals/", {"action": "outcome", "referral": referral.pk, "status": "won"})
    referral.refresh_from_db()
    assert referral.status == "won"
    page = client.get("/units/GZ0101/referrals/").content.decode()
    assert "100.0%" in page  # 1 deal / 1 referral this month


def test_a_staff_login_cannot_open_another_outlets_pages(client, teller, network):
    client.force_login(teller)
    assert client.get("/units/GZ0102/territories/").status_code == 404
    assert client.get("/outreach/").status_code == 302


class TestTheApiAgreesWithThePages:
    """One answer to who may do: what the teller may write on her outlet's pages she may write through the
    API signed in (it answered 404 "No such unit.": a staff member's scope sees no unit)."""

    def test_the_teller_takes_down_a_prospect_through_the_api(self, client, teller, outreach):
        client.force_login(teller)
        body = {
            "outlet": "GZ0101",
            "name": "刘小红",
            "phone": "13900001111",
            "interest": "insurance",
            "place": "天河路口",
        }

        response = client.post("/api/v1/prospects/", body, content_type="application/json")

        assert response.status_code == 201, response.content
        assert Prospect.objects.filter(name="刘小红", captured_by=teller.staff_member, outlet__code="GZ0101").exists()

    def test_the_teller_refers_a_customer_through_the_api(self, client, teller, outreach):
        client.force_login(teller)
        body = {"outlet": "GZ0101", "receiver": "S3001", "product": "wealth"}

        response = client.post("/api/v1/referrals/", body, content_type="application/json")

        assert response.status_code == 201, response.content
        assert Referral.objects.get().referrer == teller.staff_member

    def test_an_outlet_she_does_not_work_at_is_still_not_found(self, client, teller, network, outreach):
        client.force_login(teller)
        body = {"outlet": "GZ0102", "name": "刘小红", "phone": "13900001111", "interest": "insurance"}

        assert client.post("/api/v1/prospects/", body, content_type="application/json").status_code == 404
        assert Prospect.objects.count() == 1
