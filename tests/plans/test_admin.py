"""HQ's admin of target plans (plans.admin): every plan with its proposals and acknowledgements, read-only
but for a draft's name and note; a unit manager with admin access sees their subtree's plans only."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from lib.periods import parse_period
from plans.models import Plan, PlanStatus, TargetAcknowledgement
from plans.services.cells import CellInput, plan_cells_save, plan_create
from tests.kpi.factories import metric

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(network, hq_scope):
    made = {}
    for code in ("GZ01", "GZ02"):
        plan = plan_create(
            scope=hq_scope, unit=network[code], period=parse_period("2027"), metrics=[metric("deposit_growth")]
        )
        plan_cells_save(
            scope=hq_scope,
            plan=plan,
            cells=[
                CellInput(
                    unit=network[code],
                    metric=metric("deposit_growth"),
                    period=parse_period("2027"),
                    value=Decimal(1200),
                )
            ],
        )
        made[code] = plan
    return made


def test_hq_reads_a_plan_with_its_proposals_and_renames_a_draft(hq_client, plans):
    plan = plans["GZ01"]
    page = hq_client.get(f"/admin/plans/plan/{plan.pk}/change/")
    assert page.status_code == 200 and "1200" in page.content.decode()
    # The inlines' management forms as the page drew them, then the two fields a draft may change.
    hidden = dict(
        re.findall(
            r'<input type="hidden" name="([^"]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"[^>]* value="(\d+)"',
            page.content.decode(),
        )
    )
    response = hq_client.post(
        f"/admin/plans/plan/{plan.pk}/change/", {**hidden, "name": "2027 年度存款计划", "note": "开门红"}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.name == "2027 年度存款计划"


def test_a_published_plan_is_read_only_in_the_admin(hq_client, plans):
    plan = plans["GZ01"]
    Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.PUBLISHED)
    TargetAcknowledgement.objects.create(plan=plan, unit=plan.unit)
    page = hq_client.get(f"/admin/plans/plan/{plan.pk}/change/")
    assert page.status_code == 200 and 'name="name"' not in page.content.decode()
    assert hq_client.post(f"/admin/plans/plan/{plan.pk}/delete/", {"post": "yes"}).status_code == 403
    assert hq_client.get("/admin/plans/targetacknowledgement/?status__exact=pending").status_code == 200


def test_a_unit_manager_in_the_admin_sees_only_the_plans_of_their_subtree(client, unit_manager, plans):
    unit_manager.is_staff = True
    unit_manager.save()
    unit_manager.user_permissions.add(Permission.objects.get(codename="view_plan"))
    client.force_login(unit_manager)
    listing = client.get("/admin/plans/plan/").content.decode()
    assert f"/admin/plans/plan/{plans['GZ01'].pk}/" in listing
    assert f"/admin/plans/plan/{plans['GZ02'].pk}/" not in listing
