"""The Content-Security-Policy (django-csp) and the pages that live within it: no inline script, no inline
event handler; data reaches the scripts as json_script blocks, which a browser never runs."""

from __future__ import annotations

import re

import pytest

from tests.kpi.ranking_data import ranked, shared_ranking  # noqa: F401  (fixtures: scored outlets, rolled up once)

# With the rolled-up network of ranking_data: the overview's heatmap data, the scorecard's trends and the
# bulletin's Print button are in the pages.
PAGES = [
    "/overview/",
    "/units/GZ01/overview/",
    "/units/GZ0101/scorecard/?date=2026-11-15",
    "/units/GZ0101/metrics/customers_served/?date=2026-11-15",
    "/bulletin/?date=2026-11-15",
    "/alerts/",
    "/accounts/login/",
]


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in (part.strip() for part in header.split(";"))
        if directive
    }


@pytest.mark.parametrize("url", PAGES)
def test_every_page_carries_the_policy(client, hq_admin, ranked, url):  # noqa: F811
    client.force_login(hq_admin)

    policy = _policy(client.get(url))

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_the_api_and_its_docs_carry_it_too(client):
    assert "script-src 'self'" in client.get("/api/v1/docs/")["Content-Security-Policy"]
    assert "script-src 'self'" in client.get("/api/v1/scorecards/")["Content-Security-Policy"]


@pytest.mark.parametrize("url", PAGES)
def test_no_page_has_an_inline_script_or_event_handler(client, hq_admin, ranked, url):  # noqa: F811
    client.force_login(hq_admin)

    html = client.get(url).content.decode()

    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", html)


def test_the_bulletins_print_button_is_wired_by_the_static_script(client, hq_admin, ranked):  # noqa: F811
    client.force_login(hq_admin)

    html = client.get("/bulletin/", {"date": "2026-11-15"}).content.decode()

    assert '<button type="button" data-print>' in html  # was onclick="window.print()": blocked by the policy
    assert '<script src="/static/js/charts.js" defer></script>' in html
