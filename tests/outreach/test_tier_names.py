"""A list customer's tier is frozen as a code (star3) when the list is built; the pages name it as the tier
scheme does (三星客户 in zh-Hans, 3-star in English), the export gives both, the API keeps the code.

降级客户回访 of GZ0101 over November 2026 (tests/outreach/conftest.py): C-DOWN2 and C-DOWN1, both 四星/五星 in
October and 三星 (star3) in November, to 王强 S1002. The default star scheme (customers migration 0002)
names star3 三星客户 / 3-star.
"""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse

from customers.models import Tier, TierScheme
from outreach.models import ListAssignment

pytestmark = pytest.mark.django_db


def down2(outreach_list) -> ListAssignment:
    return ListAssignment.objects.select_related("outreach_list__unit").get(
        outreach_list=outreach_list, customer__code="C-DOWN2"
    )


def chips(page: str) -> list[str]:
    """The text of the plain chips of a page (the tier's, on the list and the phone's list)."""
    return [part.split("</span>", 1)[0] for part in page.split('<span class="chip">')[1:]]


@pytest.mark.parametrize(("language", "name"), [("zh-hans", "三星客户"), ("en", "3-star")])
def test_the_list_page_the_phone_list_and_the_card_name_the_tier_not_its_code(
    client, outlet_head, manager_user, moved_down, language, name
):
    client.force_login(outlet_head)
    listed = client.get(reverse("outreach:list", args=[moved_down.pk]), HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(manager_user)
    work = client.get(reverse("outreach:work", args=[moved_down.pk]), HTTP_ACCEPT_LANGUAGE=language)
    card = client.get(reverse("outreach:card", args=[down2(moved_down).pk]), HTTP_ACCEPT_LANGUAGE=language)

    assert chips(listed.content.decode()) == [name, name]
    assert chips(work.content.decode()) == [name, name]
    assert f"<dd>{name}</dd>" in card.content.decode()
    for response in (listed, work, card):
        assert "star3" not in response.content.decode()


def test_a_tier_is_named_by_the_scheme_in_force_in_the_month_the_list_was_built_from(client, manager_user, moved_down):
    # HQ rewords the tiers from December 2026: a list built from November keeps November's names.
    december = TierScheme.objects.create(name="星级客户（2026-12）", effective_month=datetime.date(2026, 12, 1))
    Tier.objects.create(
        scheme=december, code="star3", name_zh="三星级客户", name_en="Three stars", rank=3, min_aum=50000
    )
    client.force_login(manager_user)

    card = client.get(reverse("outreach:card", args=[down2(moved_down).pk])).content.decode()

    assert "<dd>三星客户</dd>" in card


def test_the_export_gives_the_tier_by_its_code_and_its_name(client, outlet_head, moved_down):
    client.force_login(outlet_head)

    response = client.get(reverse("outreach:list", args=[moved_down.pk]), {"export": "csv"}, HTTP_ACCEPT_LANGUAGE="en")

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["Customer id"], row["Tier (code)"], row["Tier"]) for row in rows] == [
        ("C-DOWN2", "star3", "3-star"),
        ("C-DOWN1", "star3", "3-star"),
    ]
