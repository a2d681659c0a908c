"""The landing page per role, the login page and the header (bankops/views.py, templates/bankops/home.html,
templates/base.html); the overview itself is tested in tests/kpi/test_overview_views.py."""

from __future__ import annotations

import pytest

from tests.factories import TEST_PASSWORD
from tests.kpi.overview_data import rolled_up_network


@pytest.fixture
def rolled_up(network):
    """2026-11-24 published: the scorecards of tests/kpi/overview_data.py (figures worked out there)."""
    return rolled_up_network(network)


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


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


def test_before_the_first_rollup_the_unit_manager_is_greeted_on_an_overview_of_her_sub_branch(english, unit_manager):
    english.force_login(unit_manager)

    response = english.get("/")

    page = _page(response)
    assert "Good morning, 陈志强" in page
    assert "You can see Tianhe Sub-branch and everything under it." in page
    assert "Nothing has been rolled up yet." in page
    assert [row.unit.code for row in response.context["heatmap"].rows] == ["GZ0101", "GZ0102"]


def test_before_the_first_rollup_hq_is_greeted_on_the_network_overview(english, hq_admin):
    english.force_login(hq_admin)

    response = english.get("/")

    assert "You can see the whole network." in _page(response)
    assert [row.unit.code for row in response.context["heatmap"].rows] == ["GZ", "SZ"]


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


# -- where each role lands once a day is rolled up -----------------------------------------------------


def test_the_outlet_head_lands_on_her_outlets_scorecard(client, outlet_head, rolled_up):
    client.force_login(outlet_head)

    response = client.get("/")

    assert (response.status_code, response.url) == (302, "/scorecard/")


def test_the_teller_lands_on_her_own_scorecard(client, teller, rolled_up):
    client.force_login(teller)

    response = client.get("/")

    assert (response.status_code, response.url) == (302, "/scorecard/")


# -- the header and the language switch ----------------------------------------------------------------


def test_the_header_offers_a_skip_link_and_the_overview_in_english(english, unit_manager, rolled_up):
    english.force_login(unit_manager)

    page = _page(english.get("/overview/"))

    assert '<a class="skip-link" href="#main">Skip to the content</a>' in page
    assert '<main id="main" tabindex="-1">' in page
    assert '<a href="/overview/" aria-current="page">Overview</a>' in page
    assert '<a href="/overview/" aria-current="page">Overview</a>' in _page(english.get("/"))
    for english_word in (">Scorecard</a>", ">Bulletin</a>", "Sign out", "Status by unit and key metric"):
        assert english_word in page, english_word
    assert "onchange=" not in page  # the language switch has a button, no inline script


def test_the_header_has_no_overview_link_for_an_outlet_head(english, outlet_head):
    english.force_login(outlet_head)

    page = _page(english.get("/"))

    assert 'href="/overview/"' not in page
    assert ">Scorecard</a>" in page


def test_the_language_chosen_sticks_across_signing_out_and_in(client, unit_manager, rolled_up):
    credentials = {"username": "chen.zhiqiang", "password": TEST_PASSWORD}
    client.post("/accounts/login/", credentials)
    assert "退出登录" in _page(client.get("/"))

    english = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    page = _page(english)
    assert '<html lang="en">' in page
    assert "Sign out" in page and "Status by unit and key metric" in page and "Mobile banking sign-ups" in page

    client.post("/accounts/logout/")
    assert "Sign in" in _page(client.get("/accounts/login/"))
    page = _page(client.post("/accounts/login/", {**credentials, "next": "/"}, follow=True))
    assert "Good morning, 陈志强" in page and "Tianhe Road Outlet" in page

    chinese = _page(client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, follow=True))
    assert '<html lang="zh-hans">' in chinese
    assert "早上好，陈志强" in chinese and "退出登录" in chinese and "天河路网点" in chinese


@pytest.mark.django_db
def test_every_page_names_the_sites_icon_and_favicon_ico_leads_to_it(client):
    login = client.get("/accounts/login/").content.decode()

    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in login
    answer = client.get("/favicon.ico")
    assert (answer.status_code, answer.url) == (301, "/static/img/favicon.svg")
