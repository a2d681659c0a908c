"""Prospects (客户信息表): checked on the way in, and linked to the customer who opens an account with the
same identity number (set-based, in the customers import)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from customers.models import Customer, Prospect, ProspectStatus, Territory
from customers.services.imports import customers_import
from customers.services.prospects import prospect_create, prospects_convert
from lib.csvimport import CsvRow
from staff.access import scope_for_user

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 20)
# 17 digits and their GB 11643 check character (lib.identity.resident_check_digit): 3 and 7.
ID_CHEN = "440106199001010013"
ID_LIU = "440106198507070027"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def take_down(user, network, **fields):
    values = {"name": "陈大文", "interest": "wealth", "place": "天河农贸市场", **fields}
    return prospect_create(scope=scope_for_user(user), user=user, outlet=network["GZ0101"], today=TODAY, **values)


def test_a_prospect_is_matched_by_identity_number_when_the_customer_is_imported(teller, network):
    territory = Territory.objects.create(
        kind="market", name="天河农贸市场", outlet=network["GZ0101"], owner=teller.staff_member
    )
    chen = take_down(teller, network, id_number=ID_CHEN.lower(), territory=territory, place="")
    liu = take_down(teller, network, name="刘小红", id_number=ID_LIU)
    nobody = take_down(teller, network, name="周一")
    assert chen.id_number == ID_CHEN and chen.status == ProspectStatus.OPEN

    columns = {"customer": "C9001", "name": "陈大文", "id_number": ID_CHEN, "home_outlet": "GZ0101"}
    customers_import(rows=[CsvRow(line=2, values={**columns, "relationship_manager": "", "groups": ""})])

    chen.refresh_from_db(), liu.refresh_from_db(), nobody.refresh_from_db()
    customer = Customer.objects.get(code="C9001")
    assert (chen.status, chen.customer, chen.converted_on) == (ProspectStatus.CONVERTED, customer, chen.converted_on)
    assert chen.converted_on is not None
    assert customer.territory == territory  # the customer joins the prospect's territory
    assert (liu.status, liu.customer) == (ProspectStatus.OPEN, None)
    assert nobody.status == ProspectStatus.OPEN
    assert prospects_convert() == 0  # run twice: nothing more


def test_a_prospect_who_is_already_a_customer_is_linked_at_once(teller, network):
    Customer.objects.create(code="C9002", name="刘小红", id_number=ID_LIU, home_outlet=network["GZ0101"])
    prospect = take_down(teller, network, name="刘小红", id_number=ID_LIU)
    assert prospect.status == ProspectStatus.CONVERTED and prospect.customer.code == "C9002"


def test_bad_input_writes_nothing_and_never_repeats_the_identity_number(teller, network):
    with pytest.raises(ValidationError) as refused:
        take_down(teller, network, name="", phone="12345", id_number="440106199001010019", interest="gold", place="")
    problems = refused.value.message_dict
    assert set(problems) == {"name", "phone", "id_number", "interest", "place"}
    assert "440106199001010019" not in str(problems)
    assert not Prospect.objects.exists()


def test_someone_of_another_outlet_may_not_take_down_a_prospect_here(network, teller):
    from django.core.exceptions import PermissionDenied

    from tests.factories import AssignmentFactory, StaffMemberFactory, UserFactory

    other = UserFactory(username="elsewhere", role="staff")
    AssignmentFactory(staff=StaffMemberFactory(user=other), unit=network["GZ0102"])
    with pytest.raises(PermissionDenied):
        take_down(other, network)
