from __future__ import annotations

from staff.models import User


def test_a_chinese_name_reads_family_name_first():
    assert User(first_name="雪梅", last_name="刘").get_full_name() == "刘雪梅"


def test_a_latin_name_keeps_django_order():
    assert User(first_name="Mei", last_name="Liu").get_full_name() == "Mei Liu"
