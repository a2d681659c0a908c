"""lib/masking.py: DOMAIN.md §6's masks."""

from __future__ import annotations

import pytest

from lib.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张小三", "张*三"), ("欧阳娜娜", "欧**娜"), ("王芳", "王*"), ("李", "*"), ("", ""), (" 张小三 ", "张*三")],
)
def test_a_name_keeps_its_first_and_last_characters(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("110101199003071234", "110101********1234"),
        ("44010619900101123X", "440106********123X"),
        ("110101900307123", "110101*****7123"),
        ("1234567890", "**********"),
    ],
)
def test_an_identity_number_keeps_its_region_and_last_four(number, masked):
    assert mask_id_number(number) == masked


def test_a_phone_number_keeps_its_prefix_and_last_four():
    assert mask_phone("13812345678") == "138****5678"
