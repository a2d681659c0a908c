"""Links between apps side by side (lib/links.py): the kinds their owners register, and the announcement of
objects closed, sent once the owner's transaction commits."""

from __future__ import annotations

import pytest
from django.db import transaction

from alerts.models import Alert, ImprovementPlan
from kpi.models import Target
from lib.links import link_kind, link_kind_of, objects_closed, objects_closed_announce

pytestmark = pytest.mark.django_db


def test_each_owner_registered_its_kinds_and_a_model_finds_its_kind():
    assert link_kind("alert").model is Alert
    assert link_kind("improvement_plan").model is ImprovementPlan
    assert link_kind("target").model is Target
    assert link_kind_of(Alert).code == "alert"
    assert link_kind("ticket") is None


def test_objects_closed_is_sent_after_the_commit_once_with_the_ids_sorted_and_a_failing_listener_is_contained(
    django_capture_on_commit_callbacks,
):
    heard = []

    def listener(sender, *, pks, **kwargs):
        heard.append((sender, pks))

    def failing(sender, **kwargs):
        raise RuntimeError("a listener that fails")

    objects_closed.connect(listener, dispatch_uid="test.listener")
    objects_closed.connect(failing, dispatch_uid="test.failing")
    try:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            objects_closed_announce(Alert, [3, 1, 3])
            objects_closed_announce(Alert, [])
            assert heard == []  # not before the commit
    finally:
        objects_closed.disconnect(dispatch_uid="test.listener")
        objects_closed.disconnect(dispatch_uid="test.failing")

    assert heard == [(Alert, [1, 3])]
