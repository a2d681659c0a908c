"""Masking of personal data (个人信息脱敏) for readers who may not see it: the one home of the rules,
used by the API, the pages and the exports. A masked value keeps enough to tell people apart in a list
(the surname, the last digits) and nothing that identifies them outside it."""

from __future__ import annotations

MASK = "*"


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***; a Latin name keeps its first letter: Wang Li → W*******."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + MASK * max(len(name) - 1, 1)


def mask_id_number(number: str) -> str:
    """An identity number keeps its first 3 and last 4 characters: 440106199001011234 → 440***********1234.
    Anything of 7 characters or fewer is masked whole."""
    number = (number or "").strip()
    if len(number) <= 7:
        return MASK * len(number)
    return number[:3] + MASK * (len(number) - 7) + number[-4:]


def mask_phone(number: str) -> str:
    """13812345678 → 138****5678."""
    number = (number or "").strip()
    if len(number) <= 7:
        return MASK * len(number)
    return number[:3] + MASK * (len(number) - 7) + number[-4:]
