from __future__ import annotations

from decimal import Decimal

from lib.csvimport import Checker, ImportRejected, read_csv


def test_a_number_may_carry_thousands_separators_as_a_spreadsheet_writes_them():
    check = Checker()
    assert check.decimal(2, "value", "1,234.56") == Decimal("1234.56")
    assert check.decimal(3, "value", "-12,345") == Decimal("-12345")
    assert check.problems == []


def test_a_comma_anywhere_else_is_not_a_number():
    check = Checker()
    assert check.decimal(2, "value", "1,2,3") is None
    assert [str(problem) for problem in check.problems] == [
        "line 2, column 'value': '1,2,3' is not a number (expected digits such as 123.45)"
    ]


def test_a_file_that_is_not_utf8_is_refused_with_what_to_do():
    try:
        read_csv("code,name\n张三,1\n".encode("gbk"), columns=["code"])
    except ImportRejected as rejected:
        assert "not UTF-8" in rejected.problems[0].message
    else:
        raise AssertionError("a GBK file was read as UTF-8")
