"""The landing page and the login page (bankops/views.py, templates/bankops/home.html)."""

from __future__ import annotations

import pytest

from tests.factories import TEST_PASSWORD


@pytest.fixture
def english(client):
    """Read the pages in English, so the assertions do not depend on the zh-Hans catalog."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.mark.django_db
def test_the_home_page_sends_an_anonymous_visitor_to_the_login_page(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/"


@pytest.mark.django_db
def test_the_login_page_renders_a_sign_in_form(english):
    response = english.get("/accounts/login/")

    assert response.status_code == 200
    assert "registration/login.html" in [template.name for template in response.templates]
    page = response.content.decode()
    assert 'name="username"' in page
    assert 'name="password"' in page


def test_signing_in_with_the_password_leads_to_the_home_page(english, unit_manager):
    response = english.post(
        "/accounts/login/", {"username": "chen.zhiqiang", "password": TEST_PASSWORD, "next": "/"}, follow=True
    )

    assert response.redirect_chain == [("/", 302)]
    assert "Good morning, 陈志强" in response.content.decode()


def test_the_home_page_greets_the_unit_manager_and_lists_the_sub_branch_and_its_outlets(english, unit_manager):
    english.force_login(unit_manager)

    response = english.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Good morning, 陈志强" in page
    assert "You can see Tianhe Sub-branch and everything under it." in page
    assert [unit.code for unit in response.context["units"]] == ["GZ01", "GZ0101", "GZ0102"]


def test_the_home_page_shows_the_hq_admin_the_head_office_and_the_branches(english, hq_admin):
    english.force_login(hq_admin)

    response = english.get("/")

    assert "You can see the whole network." in response.content.decode()
    assert [unit.code for unit in response.context["units"]] == ["HQ", "GZ", "SZ"]


def test_the_home_page_tells_the_teller_she_sees_her_own_scorecard(english, teller):
    english.force_login(teller)

    response = english.get("/")

    page = response.content.decode()
    assert "Good morning, 黄丽娟" in page
    assert "You can see your own scorecard." in page
    assert list(response.context["units"]) == []


def test_the_home_page_tells_the_outsider_to_ask_for_a_role(english, outsider):
    english.force_login(outsider)

    response = english.get("/")

    assert response.status_code == 200
    assert "Your login has no role yet" in response.content.decode()
    assert list(response.context["units"]) == []
