"""Checks of the identity numbers a customer record carries: the 18-character resident identity number
(居民身份证号码, GB 11643) of a person, or the unified social credit code (统一社会信用代码, GB 32100) of a
company or a self-employed business.

An identity number is personal data (DOMAIN.md §6): what these functions say about a bad one never
repeats it, nor any part of it, so the message can go to a log, a terminal or an admin page.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext, gettext_lazy

ID_NUMBER_LENGTH = 18

# GB 11643: the 18th character is a check over the first 17 digits, weights 2^(17−i) mod 11.
_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK = "10X98765432"
# GB 32100: 31 characters (no I, O, Z, S, V), weights 3^i mod 31; the 18th character is the check.
USCC_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {character: value for value, character in enumerate(USCC_CHARACTERS)}

EXPECTED = gettext_lazy(
    "18 characters: a resident identity number (17 digits, then a digit or X) or a unified social credit code"
)


def resident_check_digit(first17: str) -> str:
    """The check character of a resident identity number whose first 17 digits are `first17`."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECK[total % 11]


def uscc_check_character(first17: str) -> str:
    """The check character of a unified social credit code whose first 17 characters are `first17`."""
    total = sum(_USCC_VALUE[character] * weight for character, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARACTERS[(31 - total % 31) % 31]


def normalize_id_number(number: str) -> str:
    """Stripped and in capitals (a lower-case x as the check digit is common in typed data)."""
    return (number or "").strip().upper()


def id_number_problem(number: str, *, today: datetime.date | None = None) -> str | None:
    """What is wrong with a (normalized) identity number, or None. Never quotes the number."""
    if len(number) != ID_NUMBER_LENGTH:
        return gettext("has %(length)s characters; expected %(expected)s") % {
            "length": len(number),
            "expected": EXPECTED,
        }
    first17, last = number[:17], number[17]
    # No region code starts with 9, and a business's credit code does (9 = registered with market
    # regulation): that tells the two apart, also when a credit code happens to be all digits.
    # isdecimal, not isdigit: a superscript "²" is a digit that int() refuses (a ValueError, a 500).
    if number[0] != "9" and first17.isdecimal() and (last.isdecimal() or last == "X"):
        return _resident_problem(number, today or datetime.date.today())
    if all(character in _USCC_VALUE for character in number):
        if uscc_check_character(first17) != last:
            return gettext(
                "is not valid: the check character (the 18th) of the social credit code does not match the others"
            )
        return None
    return gettext("is not an identity number: expected %(expected)s") % {"expected": EXPECTED}


def _resident_problem(number: str, today: datetime.date) -> str | None:
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return gettext("is not valid: characters 7–14 are not a date of birth (YYYYMMDD)")
    if born.year < 1900 or born > today:
        return gettext("is not valid: the date of birth in it (characters 7–14) is not a plausible one")
    if resident_check_digit(number[:17]) != number[17]:
        return gettext(
            "is not valid: the check digit (the 18th character) does not match the first 17; check for a typo"
        )
    return None
