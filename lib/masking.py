"""Masking of personal data (个人信息脱敏) for readers who may not see it: the one home of the rules,
used by the API, the pages and the exports. A masked value keeps enough to tell people apart in a list
(the surname, the last digits) and nothing that identifies them outside it."""

from __future__ import annotations

MASK = "*"


def mask_name(name: str) -> str:
    """DOMAIN.md §6: the first and last characters stay, the middle is starred: 张小三 → 张*三,
    欧阳娜娜 → 欧**娜; a two-character name keeps its first: 张三 → 张*; one character → *."""
    name = (name or "").strip()
    if len(name) <= 1:
        return MASK * len(name)
    if len(name) == 2:
        return name[0] + MASK
    return name[0] + MASK * (len(name) - 2) + name[-1]


def mask_id_number(number: str) -> str:
    """DOMAIN.md §6: an identity number keeps its first 6 (the region) and last 4 characters:
    110101199003071234 → 110101********1234. Anything of 10 characters or fewer is starred whole."""
    number = (number or "").strip()
    if len(number) <= 10:
        return MASK * len(number)
    return number[:6] + MASK * (len(number) - 10) + number[-4:]


def mask_phone(number: str) -> str:
    """13812345678 → 138****5678."""
    number = (number or "").strip()
    if len(number) <= 7:
        return MASK * len(number)
    return number[:3] + MASK * (len(number) - 7) + number[-4:]


def mask_customer_code(code: str) -> str:
    """A customer number keeps its last 4 characters: C0001024 → ****1024; 4 characters or fewer are
    starred whole."""
    code = (code or "").strip()
    if len(code) <= 4:
        return MASK * len(code)
    return MASK * (len(code) - 4) + code[-4:]
