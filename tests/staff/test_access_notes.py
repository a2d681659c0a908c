"""Whose notes a reader reads (staff.access.Scope.notice_units) and who may write one (may_annotate, in the
persona × permission table of test_access.py): a note on a unit speaks to its whole subtree, so a reader
reads the notes of the units it sees and of every unit above them (issue 14)."""

from __future__ import annotations

import pytest

from staff.access import _paths_above, scope_for_token, scope_for_user
from staff.services import api_token_create

pytestmark = pytest.mark.django_db


def _codes(scope) -> list[str]:
    return sorted(scope.notice_units().values_list("code", flat=True))


def test_hq_and_the_auditor_read_the_notes_of_every_unit(hq_admin, auditor, network):
    assert _codes(scope_for_user(hq_admin)) == sorted(network)
    assert _codes(scope_for_user(auditor)) == sorted(network)


def test_the_unit_manager_reads_the_notes_of_the_subtree_and_of_the_units_above_it(unit_manager):
    assert _codes(scope_for_user(unit_manager)) == ["GZ", "GZ01", "GZ0101", "GZ0102", "HQ"]


def test_the_outlet_head_reads_her_outlets_notes_and_those_above_not_a_neighbours(outlet_head):
    assert _codes(scope_for_user(outlet_head)) == ["GZ", "GZ01", "GZ0101", "HQ"]


def test_the_teller_reads_the_notes_of_her_outlet_and_above(teller):
    assert _codes(scope_for_user(teller)) == ["GZ", "GZ01", "GZ0101", "HQ"]


def test_the_outsider_reads_no_note(outsider):
    assert _codes(scope_for_user(outsider)) == []


def test_a_token_reads_like_its_unit(network):
    token, _key = api_token_create(name="gz02", unit=network["GZ02"], scopes="read")

    assert _codes(scope_for_token(token)) == ["GZ", "GZ02", "GZ0201", "HQ"]


def test_the_paths_above_a_unit_are_read_off_its_path():
    assert _paths_above("/HQ/GZ/GZ01/GZ0101/") == ["/HQ/", "/HQ/GZ/", "/HQ/GZ/GZ01/"]
    assert _paths_above("/HQ/") == []
