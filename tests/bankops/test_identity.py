"""Identity number checks (lib/identity.py): GB 11643 resident numbers, GB 32100 credit codes."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from lib.identity import id_number_problem, normalize_id_number, resident_check_digit, uscc_check_character

TODAY = datetime.date(2026, 11, 25)


def test_the_check_digit_is_the_weighted_sum_mod_11_looked_up_in_10X98765432():
    # 1·7 + 1·9 + 0·10 + 1·5 + 0·8 + 5·4 + 1·2 + 9·1 + 4·6 + 9·3 + 1·7 + 2·9 + 3·10 + 1·5 + 0·8 + 0·4 + 2·2
    # = 167 = 15 × 11 + 2 → "10X98765432"[2] = X (the standard's own example).
    assert resident_check_digit("11010519491231002") == "X"


def test_the_credit_code_check_is_31_minus_the_weighted_sum_mod_31():
    assert uscc_check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize("number", ["11010519491231002X", "440106199003071231", "91350100M000100Y43"])
def test_valid_numbers_pass(number):
    assert id_number_problem(number, today=TODAY) is None


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("1101051949123100", "has 16 characters"),
        ("110105194912310021", "check digit"),
        ("110105194902301234", "not a date of birth"),
        ("110105202712310016", "not a plausible one"),
        ("91350100M000100Y44", "check character"),
        ("11010519491231002-", "is not an identity number"),
        # A superscript is a digit to str.isdigit but not to int(): it answered 500 (a ValueError).
        ("²10105194912310021", "is not an identity number"),
    ],
)
def test_each_kind_of_bad_number_is_named_without_repeating_it(number, problem):
    message = id_number_problem(number, today=TODAY)

    assert problem in message
    assert number not in message and number[:6] not in message and number[-4:] not in message


def test_a_lower_case_x_and_spaces_around_are_normalized():
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"


@pytest.fixture(autouse=True)
def _english_problems():
    """The problems asserted here are the English source texts (every test starts in Chinese; a bad
    number told in Chinese: tests/bankops/test_i18n_complete.py's customers import)."""
    with translation.override("en"):
        yield
