"""The customers and customer_snapshots imports (customers/services/imports.py): good files, every kind of
problem with its line and column, all or nothing, and no personal data in any problem."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from branches.models import UnitStatus
from customers.models import Customer, Group, Snapshot
from customers.services.imports import CUSTOMER_COLUMNS, SNAPSHOT_COLUMNS, customers_import, snapshots_import
from lib.admin_import import csv_importers
from lib.csvimport import ImportRejected, read_csv
from tests.customers.factories import CustomerFactory, SnapshotFactory
from tests.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db

D = datetime.date
CUSTOMER_HEADER = ",".join(CUSTOMER_COLUMNS)
SNAPSHOT_HEADER = ",".join(SNAPSHOT_COLUMNS)
# Valid by GB 11643, worked out by hand: for 44010619900307123 the weighted sum is 242 = 22 × 11, so the
# check digit is "10X98765432"[0] = 1. 11010519491231002X is the standard's own example.
WANG = "440106199003071231"
LI = "11010519491231002X"
CHEN = "440106196504120026"
# A unified social credit code (GB 32100's example), for a long-tail corporate customer.
COMPANY = "91350100M000100Y43"


def rows(text: str, columns=CUSTOMER_COLUMNS):
    return read_csv(text.encode(), columns=columns)


def problems_of(rejected: ImportRejected) -> list[tuple[int | None, str]]:
    return [(problem.line, problem.field) for problem in rejected.problems]


@pytest.fixture
def manager(network):
    return StaffMemberFactory(code="S2001", name="刘建华")


def test_a_good_customers_file_creates_them_with_groups_manager_and_identity_number(network, manager):
    result = customers_import(
        rows=rows(
            f"{CUSTOMER_HEADER}\n"
            f"C001,王晓明,{WANG},GZ0101,S2001,young|merchant\n"
            f"C002,李桂英,{LI.lower()},GZ0101,,silver\n"
            f"C003,广州鑫源商贸有限公司,{COMPANY},GZ0201,S2001,long_tail_corporate\n"
        )
    )

    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    wang = Customer.objects.get(code="C001")
    assert (wang.name, wang.id_number, wang.home_outlet.code, wang.relationship_manager) == (
        "王晓明",
        WANG,
        "GZ0101",
        manager,
    )
    assert wang.groups == Group.YOUNG | Group.MERCHANT == 5
    li = Customer.objects.get(code="C002")
    # A lower-case x check digit is stored in capitals; no manager is no manager.
    assert (li.id_number, li.relationship_manager, li.groups) == (LI, None, Group.SILVER)
    assert Customer.objects.get(code="C003").group_codes == ["long_tail_corporate"]


def test_importing_customers_again_updates_what_changed_and_an_empty_cell_clears(network, manager):
    customers_import(
        rows=rows(f"{CUSTOMER_HEADER}\nC001,王晓明,{WANG},GZ0101,S2001,young\nC002,李桂英,,GZ0101,S2001,silver\n")
    )

    result = customers_import(
        rows=rows(f"{CUSTOMER_HEADER}\nC001,王晓明,{WANG},GZ0102,,\nC002,李桂英,,GZ0101,S2001,silver\n")
    )

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    moved = Customer.objects.get(code="C001")
    assert (moved.home_outlet.code, moved.relationship_manager, moved.groups) == ("GZ0102", None, 0)


def test_every_problem_of_a_customers_file_is_reported_with_its_line_and_column(network, manager):
    network["GZ0102"].status = UnitStatus.CLOSED
    network["GZ0102"].save()
    text = (
        f"{CUSTOMER_HEADER}\n"
        f"C001,王晓明,{WANG},GZ0101,S2001,young\n"  # line 2: good
        f"C 002,李桂英,{LI},GZ0101,,\n"  # 3: a code with a space
        f"C003,,{WANG},GZ0101,,\n"  # 4: no name
        f"C004,{'欧' * 61},,GZ0101,,\n"  # 5: a name of 61 characters
        "C005,陈静,4401061990030712,GZ0101,,\n"  # 6: 16 characters
        "C006,陈静,440106199003071232,GZ0101,,\n"  # 7: wrong check digit
        "C007,陈静,440106199002301234,GZ0101,,\n"  # 8: 30 February
        "C008,陈静,,GZ01,,\n"  # 9: a sub-branch
        "C009,陈静,,GZ0102,,\n"  # 10: a closed outlet
        "C010,陈静,,XX99,,\n"  # 11: an unknown unit
        "C011,陈静,,,,\n"  # 12: no outlet
        "C012,陈静,,GZ0101,S9999,\n"  # 13: an unknown manager
        "C013,陈静,,GZ0101,,young;silver\n"  # 14: the wrong separator
        "C014,陈静,,GZ0101,,rich\n"  # 15: an unknown group
        f"C001,王晓明,{WANG},GZ0101,S2001,young\n"  # 16: C001 again
    )

    with pytest.raises(ImportRejected) as rejected:
        customers_import(rows=rows(text))

    assert problems_of(rejected.value) == [
        (3, "customer"),
        (4, "name"),
        (5, "name"),
        (6, "id_number"),
        (7, "id_number"),
        (8, "id_number"),
        (9, "home_outlet"),
        (10, "home_outlet"),
        (11, "home_outlet"),
        (12, "home_outlet"),
        (13, "relationship_manager"),
        (14, "groups"),
        (15, "groups"),
        (16, "customer"),
    ]
    messages = {problem.line: problem.message for problem in rejected.value.problems}
    assert messages[5] == "is 61 characters long; at most 60"
    assert messages[6].startswith("has 16 characters; expected 18 characters")
    assert "check digit" in messages[7]
    assert "date of birth" in messages[8]
    assert messages[9] == "'GZ01' is a sub-branch, not an outlet; a customer belongs to an outlet"
    assert "closed" in messages[10]
    assert messages[14].endswith("separate groups with '|'")
    assert messages[16] == "customer 'C001' is already on line 2"
    # All or nothing: the good line 2 was not written either.
    assert not Customer.objects.exists()


def test_no_problem_message_repeats_a_name_or_an_identity_number(network):
    names = ["王晓明", "欧阳娜娜" * 16]
    numbers = [
        "440106199003071232",  # wrong check digit
        "4401061990030712",  # too short
        "440106199002301234",  # 30 February
        "ABCDEFGHIJKLMNOPQR",  # not a number at all
        "91350100M000100Y44",  # a credit code with the wrong check character
    ]
    text = "\n".join(
        [
            CUSTOMER_HEADER,
            f"C001,{names[1]},{numbers[0]},GZ0101,,",
            *(f"C00{index + 2},{names[0]},{number},GZ0101,," for index, number in enumerate(numbers[1:])),
        ]
    )

    with pytest.raises(ImportRejected) as rejected:
        customers_import(rows=rows(text))

    assert len(rejected.value.problems) == 6
    for problem in rejected.value.problems:
        printed = str(problem)
        assert not any(name in printed or name[:2] in printed for name in names)
        # Not the number, nor its region code, birth date or last digits.
        assert not any(number in printed or number[:6] in printed or number[-4:] in printed for number in numbers)


# -- snapshots ---------------------------------------------------------------------------------------


@pytest.fixture
def customers(network):
    return {code: CustomerFactory(code=code, home_outlet=network["GZ0101"]) for code in ("C001", "C002", "C003")}


def snapshot_rows(text: str):
    return rows(f"{SNAPSHOT_HEADER}\n{text}", columns=SNAPSHOT_COLUMNS)


def stored(code: str, month: datetime.date) -> tuple:
    return Snapshot.objects.filter(customer__code=code, month=month).values_list(
        "deposits", "wealth", "funds", "insurance", "bonds", "aum_avg_daily"
    )[0]


def test_a_good_snapshots_file_creates_them_with_empty_components_as_zero(customers):
    result = snapshot_rows(
        "C001,2026-10,30000.50,20000,,5000,,54000.25\n"
        'C002,2026-10,"1,250,000.00",0,0,0,0,1200000\n'
        "C001,2026-09,28000,,,,,28500\n"
    )

    imported = snapshots_import(rows=result)

    assert (imported.created, imported.updated, imported.unchanged) == (3, 0, 0)
    assert stored("C001", D(2026, 10, 1)) == (
        Decimal("30000.50"),
        Decimal("20000"),
        Decimal("0"),
        Decimal("5000"),
        Decimal("0"),
        Decimal("54000.25"),
    )
    # Thousands separators as a spreadsheet writes them.
    assert stored("C002", D(2026, 10, 1))[0] == Decimal("1250000")
    assert Snapshot.objects.get(customer__code="C001", month=D(2026, 9, 1)).aum == Decimal("28000")


def test_importing_a_month_again_replaces_the_changed_snapshots_and_leaves_the_others(customers):
    SnapshotFactory(customer=customers["C001"], month=D(2026, 10, 1), aum_avg_daily=Decimal("54000.25"))
    SnapshotFactory(customer=customers["C002"], month=D(2026, 10, 1), aum_avg_daily=Decimal("9000"))
    SnapshotFactory(customer=customers["C003"], month=D(2026, 9, 1), aum_avg_daily=Decimal("100"))

    result = snapshots_import(
        rows=snapshot_rows(
            "C001,2026-10,54000.25,0,0,0,0,54000.25\n"  # the same
            "C002,2026-10,12000,0,0,0,0,11000\n"  # changed
            "C003,2026-10,700,0,0,0,0,650\n"  # new
        )
    )

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert stored("C002", D(2026, 10, 1))[5] == Decimal("11000")
    assert stored("C002", D(2026, 10, 1))[0] == Decimal("12000")
    # September is not in the file and stays.
    assert stored("C003", D(2026, 9, 1))[5] == Decimal("100")
    assert Snapshot.objects.count() == 4


def test_every_problem_of_a_snapshots_file_is_reported_with_its_line_and_column(customers, settings):
    text = (
        "C001,2026-10,100,0,0,0,0,100\n"  # line 2: good
        "C999,2026-10,100,0,0,0,0,100\n"  # 3: unknown customer
        ",2026-10,100,0,0,0,0,100\n"  # 4: no customer
        "C002,2026/10,100,0,0,0,0,100\n"  # 5: not YYYY-MM
        "C002,2026-13,100,0,0,0,0,100\n"  # 6: month 13
        "C002,2099-01,100,0,0,0,0,100\n"  # 7: a month that has not begun
        "C002,,100,0,0,0,0,100\n"  # 8: no month
        "C003,2026-10,-1,0,0,0,0,100\n"  # 9: a negative deposit
        "C003,2026-09,100,0.001,0,0,0,100\n"  # 10: three decimals
        "C003,2026-08,100,0,lots,0,0,100\n"  # 11: not a number
        "C003,2026-07,100,0,0,0,0,\n"  # 12: no average
        "C003,2026-06,100,0,0,0,0,1e20\n"  # 13: too large
        "C001,2026-10,100,0,0,0,0,100\n"  # 14: C001 in 2026-10 again
    )

    with pytest.raises(ImportRejected) as rejected:
        snapshots_import(rows=snapshot_rows(text))

    assert problems_of(rejected.value) == [
        (3, "customer"),
        (4, "customer"),
        (5, "month"),
        (6, "month"),
        (7, "month"),
        (8, "month"),
        (9, "deposits"),
        (10, "wealth"),
        (11, "funds"),
        (12, "aum_avg_daily"),
        (13, "aum_avg_daily"),
        (14, "month"),
    ]
    messages = {problem.line: problem.message for problem in rejected.value.problems}
    assert messages[3] == "customer 'C999' is not known; import the customers first"
    assert messages[5] == "'2026/10' is not a month (expected YYYY-MM, such as 2026-11)"
    assert messages[7].startswith("2099-01 has not begun yet")
    assert messages[10] == "'0.001' has more than 2 decimal places (amounts are in 元 and fen)"
    assert messages[14] == "customer 'C001' already has 2026-10 on line 2"
    assert not Snapshot.objects.exists()


def test_the_snapshot_import_reads_and_writes_in_bulk_whatever_the_number_of_rows(
    customers, network, django_assert_max_num_queries
):
    many = [CustomerFactory(code=f"K{n:04d}", home_outlet=network["GZ0102"]) for n in range(300)]
    small = snapshot_rows("".join(f"{c.code},2026-10,1,0,0,0,0,1\n" for c in many[:3]))
    large = snapshot_rows("".join(f"{c.code},2026-09,1,0,0,0,0,1\n" for c in many))

    # Customers, then in the transaction: existing snapshots, the insert (savepoints around).
    with django_assert_max_num_queries(6):
        snapshots_import(rows=small)
    with django_assert_max_num_queries(6):
        assert snapshots_import(rows=large).created == 300


def test_import_csv_takes_both_kinds_and_reports_problems_without_personal_data(network, tmp_path):
    customers_file = tmp_path / "customers.csv"
    customers_file.write_text(f"{CUSTOMER_HEADER}\nC001,王晓明,{WANG},GZ0101,,young\n", encoding="utf-8")
    snapshots_file = tmp_path / "snapshots.csv"
    snapshots_file.write_text(f"{SNAPSHOT_HEADER}\nC001,2026-10,52000,0,0,0,0,51000\n", encoding="utf-8")
    out = io.StringIO()

    call_command("import_csv", "customers", str(customers_file), stdout=out)
    call_command("import_csv", "customer_snapshots", str(snapshots_file), stdout=out)

    assert "customers: 1 created, 0 updated, 0 unchanged" in out.getvalue()
    assert "customer_snapshots: 1 created, 0 updated, 0 unchanged" in out.getvalue()
    assert stored("C001", D(2026, 10, 1))[5] == Decimal("51000")

    bad = tmp_path / "bad.csv"
    bad.write_text(f"{CUSTOMER_HEADER}\nC002,李桂英,440106199003071232,GZ0101,,\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_csv", "customers", str(bad), stdout=out, stderr=err)
    assert "line 2, column 'id_number'" in err.getvalue()
    assert "李桂英" not in err.getvalue() and "440106199003071232" not in err.getvalue()


def test_both_kinds_are_registered_with_their_columns():
    assert csv_importers()["customers"].columns == (
        "customer",
        "name",
        "id_number",
        "home_outlet",
        "relationship_manager",
        "groups",
    )
    assert csv_importers()["customer_snapshots"].columns == (
        "customer",
        "month",
        "deposits",
        "wealth",
        "funds",
        "insurance",
        "bonds",
        "aum_avg_daily",
    )


@pytest.fixture(autouse=True)
def _english_problems():
    """The problems asserted here are the English source texts (every test starts in Chinese; an import
    in Chinese: tests/bankops/test_i18n_complete.py)."""
    with translation.override("en"):
        yield
