"""kpi.bulletin_sections: the registry through which apps above kpi add to the bulletin and the push."""

from __future__ import annotations

import datetime

from kpi import bulletin_sections as registry
from kpi.bulletin_sections import BulletinSection, bulletin_section_register, bulletin_sections


def test_a_failing_section_is_left_out_and_the_others_shown(monkeypatch):
    monkeypatch.setattr(registry, "_sections", {})

    def broken(**kwargs):
        raise RuntimeError("boom")

    bulletin_section_register("broken", broken)
    bulletin_section_register("fine", lambda **kwargs: [BulletinSection(key="k", title="t", subtitle="s")])

    assert [section.key for section in bulletin_sections(scope=None, day=datetime.date(2026, 11, 15))] == ["k"]


def test_no_section_without_a_day(monkeypatch):
    monkeypatch.setattr(registry, "_sections", {"fine": lambda **kwargs: [BulletinSection("k", "t", "s")]})

    assert bulletin_sections(scope=None, day=None) == []
