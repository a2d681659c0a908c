"""The error pages: 403 and 404 in the site's layout and in Chinese, DEBUG on or off (templates/403.html,
404.html; bankops.middleware.FriendlyNotFoundMiddleware), 400 and 500 plain; the API keeps its JSON."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    """Both ways the site runs: the demo with DEBUG on (`make run`), production with it off."""
    settings.DEBUG = request.param
    return request.param


def _page(response) -> str:
    return response.content.decode()


def test_a_unit_outside_the_managers_scope_answers_the_friendly_404_in_the_sites_layout(client, unit_manager, debug):
    client.force_login(unit_manager)

    response = client.get("/units/SZ0101/scorecard/")

    assert response.status_code == 404
    page = _page(response)
    assert "<h1>页面不存在</h1>" in page
    assert "此页面不存在，或其中的机构、人员或记录不在您的查看范围内。" in page
    assert '<a href="/">返回首页</a>' in page
    assert '<nav class="topnav"' in page  # the header and menu of every page
    assert "陈志强" in page
    assert "URLconf" not in page  # no list of the project's URL patterns


def test_an_outlet_head_opening_another_outlets_staff_member_gets_the_friendly_404(client, outlet_head, network, debug):
    client.force_login(outlet_head)

    response = client.get("/staff/S9999/scorecard/")

    assert response.status_code == 404
    assert "<h1>页面不存在</h1>" in _page(response)


def test_an_address_that_matches_no_page_is_the_friendly_404_in_production(client, unit_manager, settings):
    settings.DEBUG = False
    client.force_login(unit_manager)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "<h1>页面不存在</h1>" in _page(response)


def test_with_debug_on_an_address_that_matches_no_page_keeps_djangos_list_of_urls_for_the_developer(
    client, unit_manager, settings
):
    """No view ran, so nothing of the reader's scope is at stake: a mistyped address in development."""
    settings.DEBUG = True
    client.force_login(unit_manager)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "URLconf" in _page(response)


def test_a_refused_page_answers_the_friendly_403_in_the_sites_layout(client, teller, debug):
    client.force_login(teller)

    response = client.get("/contests/new/")

    assert response.status_code == 403
    page = _page(response)
    assert "<h1>无权访问</h1>" in page
    assert "您的角色无权打开此页面或执行此操作。如确有需要，请联系总行。" in page
    assert '<a href="/">返回首页</a>' in page
    assert "黄丽娟" in page
    assert "Forbidden" not in page


def test_the_error_pages_read_in_english_for_a_browser_that_asks_for_english(client, unit_manager):
    client.force_login(unit_manager)

    page = _page(client.get("/units/SZ0101/scorecard/", HTTP_ACCEPT_LANGUAGE="en"))

    assert "<h1>Page not found</h1>" in page
    assert '<a href="/">Back to the home page</a>' in page


def test_a_bad_request_answers_the_plain_400_page_in_chinese(client, db):
    response = client.get("/", {"unit": "\x00"})

    assert response.status_code == 400
    assert "<h1>请求有误</h1>" in _page(response)
    assert '<a href="/">返回首页</a>' in _page(response)


def test_the_500_page_needs_neither_the_request_nor_the_database():
    with translation.override("zh-hans"):
        page = render_to_string("500.html")

    assert "<h1>出错了</h1>" in page
    assert "系统暂时无法显示此页面，错误已记录，请稍后再试。" in page
    assert '<a href="/">返回首页</a>' in page


def test_the_api_keeps_its_json_404_with_debug_on(token_client, network, settings):
    settings.DEBUG = True

    response = token_client(network["GZ01"]).get("/api/v1/scorecard/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["message"].startswith("no endpoint at /api/v1/scorecard/")


def test_a_unit_outside_the_tokens_scope_keeps_the_apis_json_404_with_debug_on(token_client, network, settings):
    settings.DEBUG = True

    response = token_client(network["GZ01"]).get("/api/v1/scorecards/", {"unit": "SZ0101"})

    assert response["Content-Type"] == "application/json"
    assert "errors" in response.json()
