"""The staff import (staff/services.py): one row per assignment, all or nothing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from lib.csvimport import CsvRow, ImportRejected, ImportResult, Problem, read_csv
from staff.models import Assignment, StaffMember
from staff.services import STAFF_COLUMNS, staff_import

BOM = b"\xef\xbb\xbf"  # what Excel writes at the start of "CSV UTF-8"
HEADER = "code,name,post,unit,start,end\n"

# 黄丽娟 is a teller at two outlets (from January at GZ0101, from March also at GZ0102);
# 郑凯 was lobby manager at the Taiping town outlet until the end of June 2026.
GOOD_FILE = (
    HEADER + "S1001,黄丽娟,teller,GZ0101,2026-01-01,\n"
    "S1001,黄丽娟,teller,GZ0102,2026-03-01,\n"
    "S2001,郑凯,lobby_manager,GZ0201,2025-07-15,2026-06-30\n"
)


def _rows(text: str) -> list[CsvRow]:
    """Rows as the admin upload and the command read them: bytes, with the BOM Excel adds."""
    return read_csv(BOM + text.encode("utf-8"), columns=STAFF_COLUMNS)


def _problems(text: str) -> list[Problem]:
    with pytest.raises(ImportRejected) as caught:
        staff_import(rows=_rows(text))
    return caught.value.problems


def _assignments() -> list[tuple]:
    return list(
        Assignment.objects.order_by("staff__code", "unit__code", "start").values_list(
            "staff__code", "staff__name", "post__code", "unit__code", "start", "end"
        )
    )


def test_a_good_file_with_a_bom_creates_the_staff_and_their_assignments(network):
    result = staff_import(rows=_rows(GOOD_FILE))

    assert result == ImportResult(created=3, updated=0, unchanged=0)
    assert dict(StaffMember.objects.values_list("code", "name")) == {"S1001": "黄丽娟", "S2001": "郑凯"}
    assert _assignments() == [
        ("S1001", "黄丽娟", "teller", "GZ0101", datetime.date(2026, 1, 1), None),
        ("S1001", "黄丽娟", "teller", "GZ0102", datetime.date(2026, 3, 1), None),
        ("S2001", "郑凯", "lobby_manager", "GZ0201", datetime.date(2025, 7, 15), datetime.date(2026, 6, 30)),
    ]


def test_the_bom_does_not_end_up_in_the_first_column_name(network):
    rows = _rows(GOOD_FILE)

    assert rows[0]["code"] == "S1001"
    assert rows[0].line == 2


def test_a_teller_serving_two_outlets_is_at_both_once_the_second_assignment_starts(network):
    staff_import(rows=_rows(GOOD_FILE))

    def outlets_of_huang_on(day: datetime.date) -> set[str]:
        return set(Assignment.objects.on(day).filter(staff__code="S1001").values_list("unit__code", flat=True))

    assert outlets_of_huang_on(datetime.date(2025, 12, 31)) == set()
    assert outlets_of_huang_on(datetime.date(2026, 2, 28)) == {"GZ0101"}
    assert outlets_of_huang_on(datetime.date(2026, 3, 1)) == {"GZ0101", "GZ0102"}


def test_an_assignment_is_in_force_on_its_last_day_and_not_the_day_after(network):
    staff_import(rows=_rows(GOOD_FILE))
    zheng = Assignment.objects.filter(staff__code="S2001")

    assert zheng.on(datetime.date(2025, 7, 14)).count() == 0
    assert zheng.on(datetime.date(2025, 7, 15)).count() == 1
    assert zheng.on(datetime.date(2026, 6, 30)).count() == 1
    assert zheng.on(datetime.date(2026, 7, 1)).count() == 0


def test_importing_the_same_file_again_changes_nothing(network):
    staff_import(rows=_rows(GOOD_FILE))
    before = _assignments()

    result = staff_import(rows=_rows(GOOD_FILE))

    assert result == ImportResult(created=0, updated=0, unchanged=3)
    assert _assignments() == before
    assert StaffMember.objects.count() == 2


def test_a_new_end_date_updates_the_assignment_and_counts_as_updated(network):
    staff_import(rows=_rows(GOOD_FILE))
    # 黄丽娟 leaves GZ0101 at the end of February.
    text = GOOD_FILE.replace(
        "S1001,黄丽娟,teller,GZ0101,2026-01-01,", "S1001,黄丽娟,teller,GZ0101,2026-01-01,2026-02-28"
    )

    result = staff_import(rows=_rows(text))

    assert result == ImportResult(created=0, updated=1, unchanged=2)
    assert Assignment.objects.get(staff__code="S1001", unit__code="GZ0101").end == datetime.date(2026, 2, 28)
    on_march_2 = Assignment.objects.on(datetime.date(2026, 3, 2)).filter(staff__code="S1001")
    assert set(on_march_2.values_list("unit__code", flat=True)) == {"GZ0102"}


def test_a_corrected_name_counts_every_row_of_that_person_as_updated(network):
    staff_import(rows=_rows(GOOD_FILE))

    result = staff_import(rows=_rows(GOOD_FILE.replace("黄丽娟", "黄丽娟娟")))

    assert result == ImportResult(created=0, updated=2, unchanged=1)
    assert StaffMember.objects.get(code="S1001").name == "黄丽娟娟"


def test_every_bad_row_is_reported_with_its_line_column_and_message_and_nothing_is_written(network):
    text = (
        HEADER  # line 1
        + "S1001,黄丽娟,teller,GZ0101,2026-01-01,\n"  # 2: fine
        "S1002,何静,cashier,GZ0101,2026-01-01,\n"  # 3: unknown post
        "S1003,罗刚,teller,GZ9999,2026-01-01,\n"  # 4: unknown unit
        "S1004,梁敏,teller,GZ0101,01/01/2026,\n"  # 5: bad date (day first; 2026/01/01 is read)
        "S1005,谢芳,teller,GZ0101,2026-03-01,2026-02-28\n"  # 6: end before start
        "S1001,黄丽丽,teller,GZ0102,2026-01-01,\n"  # 7: same code, another name
        "S1001,黄丽娟,teller,GZ0101,2026-01-01,\n"  # 8: line 2 again
    )

    problems = _problems(text)

    posts = (
        "outlet_head, retail_supervisor, wealth_manager, customer_manager, "
        "market_manager, lobby_manager, teller, service_specialist"
    )
    assert problems == [
        Problem(3, "post", f"'cashier' is not one of {posts}"),
        Problem(4, "unit", "unit 'GZ9999' is not known; import the units first"),
        Problem(5, "start", "'01/01/2026' is not a date as YYYY-MM-DD"),
        Problem(6, "end", "2026-02-28 is before the start date 2026-03-01"),
        Problem(7, "name", "'黄丽丽' differs from '黄丽娟' for S1001 on line 2"),
        Problem(8, "start", "the same assignment is already on line 2"),
    ]
    assert StaffMember.objects.count() == 0
    assert Assignment.objects.count() == 0


def test_an_impossible_calendar_day_is_a_bad_date(network):
    problems = _problems(HEADER + "S1001,黄丽娟,teller,GZ0101,2026-02-30,\n")

    assert problems == [Problem(2, "start", "'2026-02-30' is not a date as YYYY-MM-DD")]


def test_missing_values_are_each_reported(network):
    problems = _problems(HEADER + ",,,,,\nS1001,黄丽娟,teller,GZ0101,2026-01-01,\n" + "S1002,,,,,\n")

    # Line 2 is blank (skipped); line 4 misses everything but the code.
    assert [(problem.line, problem.field) for problem in problems] == [
        (4, "name"),
        (4, "post"),
        (4, "start"),
        (4, "unit"),
    ]


def test_one_bad_row_keeps_an_end_date_change_in_the_same_file_from_being_written(network):
    staff_import(rows=_rows(GOOD_FILE))
    before = _assignments()
    text = (
        GOOD_FILE.replace("S1001,黄丽娟,teller,GZ0101,2026-01-01,", "S1001,黄丽娟,teller,GZ0101,2026-01-01,2026-02-28")
        + "S3001,冯伟,wealth_manager,SZ9999,2026-01-01,\n"
    )

    problems = _problems(text)

    assert problems == [Problem(5, "unit", "unit 'SZ9999' is not known; import the units first")]
    assert _assignments() == before


@pytest.fixture(autouse=True)
def _english_problems():
    """The problems asserted here are the English source texts (every test starts in Chinese; an import
    in Chinese: tests/bankops/test_i18n_complete.py)."""
    with translation.override("en"):
        yield
