from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from branches.models import OrgUnit
from lib.admin_import import csv_importers
from lib.csvimport import (
    Checker,
    Column,
    Columns,
    CsvImporter,
    CsvRow,
    ImportRejected,
    ImportResult,
    boolean,
    choice,
    codes_lookup,
    date,
    decimal,
    known,
    read_csv,
    read_csv_columns,
    rows_as_columns,
)


def _read(check: Checker, column: Column, line: int, text: str):
    """One cell read through its column, as an import reads it."""
    (row,) = Columns(column).parse([CsvRow(line, {column.name: text})], check)
    return row[column.name]


def test_a_number_may_carry_thousands_separators_as_a_spreadsheet_writes_them():
    check = Checker()
    assert _read(check, Column("value", decimal), 2, "1,234.56") == Decimal("1234.56")
    assert _read(check, Column("value", decimal), 3, "-12,345") == Decimal("-12345")
    assert check.problems == []


def test_a_comma_anywhere_else_is_not_a_number():
    check = Checker()
    assert _read(check, Column("value", decimal), 2, "1,2,3") is None
    assert [str(problem) for problem in check.problems] == [
        "line 2, column 'value': '1,2,3' is not a number (expected digits such as 123.45)"
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", Decimal("0")),
        ("007", Decimal("7")),
        ("-5", Decimal("-5")),
        ("123.45", Decimal("123.45")),
        ("1,234", Decimal("1234")),
        ("1,234,567.5", Decimal("1234567.5")),
        ("-1,000.25", Decimal("-1000.25")),
        # Full-width, as a Chinese input method types them: read as their ASCII forms.
        ("１２", Decimal("12")),
        ("１２，３４５．６７", Decimal("12345.67")),
        ("－５", Decimal("-5")),
    ],
)
def test_a_number_is_ascii_or_full_width_digits_a_minus_thousands_commas_and_a_point(text, value):
    assert decimal(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "1E3",  # an exponent
        "1e-2",
        "NaN",
        "Infinity",
        "-inf",
        "+5",  # a plus
        ".5",  # no digit before the point
        "5.",  # none after it
        "1 234",  # a space inside
        "12,34",  # not a group of three
        "1234,567",  # a group after four digits
        "1,234,56",
        "١٢",  # Arabic-Indic digits
        "۱۲",  # Extended Arabic-Indic (Persian)
        "१२",  # Devanagari
        "1_000",
        "0x10",
        "--5",
        "−5",  # U+2212 minus sign
    ],
)
def test_anything_else_is_not_a_number(text):
    with pytest.raises(ValueError) as caught:
        decimal(text)

    assert str(caught.value) == f"'{text}' is not a number (expected digits such as 123.45)"


# -- reading a file: encodings, shape -------------------------------------------------------------------

# Two outlets as the Guangzhou branch's office writes them, Chinese names included.
UNITS_TEXT = "code,name\nGZ0101,天河路网点\nGZ0102,体育西网点\n"
UNITS_READ = [(2, {"code": "GZ0101", "name": "天河路网点"}), (3, {"code": "GZ0102", "name": "体育西网点"})]


def _read_units(raw: bytes, encoding: str = "auto") -> list[tuple[int, dict]]:
    return [(row.line, row.values) for row in read_csv(raw, columns=["code", "name"], encoding=encoding)]


def _rejected(raw: bytes, encoding: str = "auto") -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        read_csv(raw, columns=["code", "name"], encoding=encoding)
    return [str(problem) for problem in caught.value.problems]


def test_utf8_with_or_without_a_bom_and_gb18030_are_read_alike_by_detection():
    assert _read_units(UNITS_TEXT.encode("utf-8")) == UNITS_READ
    assert _read_units(b"\xef\xbb\xbf" + UNITS_TEXT.encode("utf-8")) == UNITS_READ
    # What Chinese Excel's "CSV (逗号分隔)" writes: GBK, which GB18030 contains.
    assert _read_units(UNITS_TEXT.encode("gbk")) == UNITS_READ
    assert _read_units(UNITS_TEXT.encode("gb18030")) == UNITS_READ


def test_a_named_encoding_reads_its_own_files_and_names_the_cells_it_cannot_read():
    assert _read_units(UNITS_TEXT.encode("gb18030"), "gb18030") == UNITS_READ
    assert _read_units(b"\xef\xbb\xbf" + UNITS_TEXT.encode("utf-8"), "utf-8") == UNITS_READ

    assert _rejected(UNITS_TEXT.encode("gb18030"), "utf-8") == [
        "line 2, column 'name': this cell is not UTF-8 text; choose the file's encoding (or auto)",
        "line 3, column 'name': this cell is not UTF-8 text; choose the file's encoding (or auto)",
    ]


def test_a_file_neither_encoding_reads_is_refused_naming_the_line_and_column_not_a_byte_offset():
    # 0xFF is no byte of either encoding.
    raw = "code,name\nGZ0101,天河路网点\n".encode("gbk") + b"GZ0102,\xff\xff\n"

    assert _rejected(raw) == [
        "line 3, column 'name': this cell is neither UTF-8 nor GB18030 (GBK) text; save the file as "
        '"CSV UTF-8" or as "CSV (逗号分隔)"'
    ]


def test_a_utf8_file_with_a_bad_byte_is_reported_not_read_as_gb18030_nonsense():
    # 体育 followed by the first two bytes of a three-byte character: not UTF-8, but GB18030 reads the
    # whole file without complaint, as 澶╂渤 and 浣撹偛锠. A file of more good non-ASCII characters than
    # bad bytes is UTF-8 gone wrong.
    raw = "code,name\nGZ0101,天河\nGZ0102,体育".encode() + b"\xe8\xa0\n"

    assert _rejected(raw) == [
        "line 3, column 'name': this cell is neither UTF-8 nor GB18030 (GBK) text; save the file as "
        '"CSV UTF-8" or as "CSV (逗号分隔)"'
    ]


def test_a_header_that_cannot_be_read_names_its_column_by_number():
    assert _rejected(b"code,\xff\xff\nGZ0101,x\n", "utf-8") == [
        "line 1: column 2 is not UTF-8 text; choose the file's encoding (or auto)"
    ]


def test_a_nul_character_in_a_cell_is_refused_naming_the_line_and_column():
    assert _rejected(b"code,name\nGZ01\x0001,x\n") == [
        "line 2, column 'code': this cell holds a NUL character; remove it"
    ]


def test_a_row_with_more_cells_than_the_header_has_columns_is_refused():
    # An amount written 12,34 without quotes: read as 12, its 34 would be dropped without a word.
    text = 'date,unit,value\n2026-11-24,GZ0101,12,34\n2026-11-24,GZ0102,"12,340"\n2026-11-24,GZ0103,7,,\n'

    with pytest.raises(ImportRejected) as caught:
        read_csv(text.encode(), columns=["date", "unit", "value"])

    assert [str(problem) for problem in caught.value.problems] == [
        "line 2: has 4 cells but the header has 3 columns (the extra: '34'); quote a value that holds a comma, "
        'such as "1,234"'
    ]


def test_a_short_row_reads_its_missing_cells_as_empty_not_as_columns_left_out():
    rows = read_csv(b"code,name,note\nGZ0101\n", columns=["code"])

    assert [(row.values, row.has("note")) for row in rows] == [({"code": "GZ0101", "name": "", "note": ""}, True)]


def test_empty_cells_after_the_last_column_are_nothing_to_lose():
    rows = read_csv(b"date,unit,value\n2026-11-24,GZ0103,7,,\n", columns=["date", "unit", "value"])

    assert [row.values for row in rows] == [{"date": "2026-11-24", "unit": "GZ0103", "value": "7"}]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-12-01", datetime.date(2026, 12, 1)),
        ("2026/12/01", datetime.date(2026, 12, 1)),
        ("2026/12/1", datetime.date(2026, 12, 1)),  # Chinese Excel's own short date
        ("2026/1/5", datetime.date(2026, 1, 5)),
    ],
)
def test_a_csv_date_is_yyyy_mm_dd_or_yyyy_slash_mm_slash_dd(text, day):
    assert date(text) == day


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-W01-1", "'2026-W01-1' is not a date as YYYY-MM-DD"),  # an ISO week date
        ("2026-1-5", "'2026-1-5' is not a date as YYYY-MM-DD"),
        ("20261201", "'20261201' is not a date as YYYY-MM-DD"),
        ("01/12/2026", "'01/12/2026' is not a date as YYYY-MM-DD"),
        ("2026/02/30", "'2026/02/30' is not a date as YYYY-MM-DD"),
        ("２０２６-１２-０１", "'２０２６-１２-０１' is not a date as YYYY-MM-DD"),
        ("0001-01-01", "'0001-01-01' is outside the supported range (1900-01-01 to 2100-12-31)"),
        ("9999/12/31", "'9999/12/31' is outside the supported range (1900-01-01 to 2100-12-31)"),
    ],
)
def test_any_other_csv_date_is_refused_saying_why(text, message):
    with pytest.raises(ValueError) as caught:
        date(text)

    assert str(caught.value) == message


# -- reading a cell -----------------------------------------------------------------------------------


def test_an_empty_required_cell_says_what_the_column_expects():
    check = Checker()
    _read(check, Column("born", date, required=True), 2, "")
    _read(check, Column("kind", choice(["cat", "dog"]), required=True), 3, "")
    _read(check, Column("owner", required="an owner code"), 4, "")
    _read(check, Column("name", required=True), 5, "")

    assert [str(problem) for problem in check.problems] == [
        "line 2, column 'born': is required (a date as YYYY-MM-DD)",
        "line 3, column 'kind': is required (one of cat, dog)",
        "line 4, column 'owner': is required (an owner code)",
        "line 5, column 'name': is required",
    ]


def test_an_empty_cell_that_is_not_required_reads_as_the_columns_default():
    check = Checker()

    assert _read(check, Column("status", choice(["active", "closed"]), default="active"), 2, "") == "active"
    assert _read(check, Column("vaccinated", boolean, default=False), 2, "") is False
    assert _read(check, Column("note"), 2, "") is None
    assert check.problems == []


def test_each_parser_says_what_is_wrong_with_a_cell():
    check = Checker()
    owners = {"P001": 41}

    assert _read(check, Column("vaccinated", boolean), 2, "是") is True
    assert _read(check, Column("owner", known(owners, "owner '{}' is not known")), 2, "P001") == 41
    for column, value in (
        (Column("born", date), "2020-02-30"),
        (Column("kind", choice(["cat", "dog"])), "cow"),
        (Column("vaccinated", boolean), "maybe"),
        (Column("owner", known(owners, "owner '{}' is not known")), "P002"),
    ):
        assert _read(check, column, 3, value) is None

    assert [problem.message for problem in check.problems] == [
        "'2020-02-30' is not a date as YYYY-MM-DD",
        "'cow' is not one of cat, dog",
        "'maybe' is not yes/no (1/0, true/false)",
        "owner 'P002' is not known",
    ]


# -- a small importer in the shape of the six -----------------------------------------------------------

PET_COLUMNS = Columns(
    Column("name", required=True),
    Column("kind", choice(["cat", "dog"]), required=True),
    Column("born", date),
    Column("weight", decimal, required=True),
    Column("owner"),  # an owner code among those of the run
    Column("note", optional=True),
)
OWNERS = {"P001": 41, "P002": 42}


def pets_import(*, rows: list[CsvRow], stored: list, owners: dict[str, int] = OWNERS) -> ImportResult:
    check = Checker()
    parsed = []
    for row in PET_COLUMNS.parse(rows, check, owner=known(owners, "owner '{}' is not known")):
        if row["kind"] == "dog" and row["weight"] is not None and row["weight"] < 1:
            row.problem("weight", f"{row['weight']} kg is too little for a dog (at least 1)")
        if row["kind"] == "dog":
            row.require("owner")
        if row.ok and (first := check.repeated(row["name"], row.line)) is not None:
            row.problem("name", f"'{row['name']}' is already on line {first}")
        if row.ok:
            parsed.append(dict(row))
    check.raise_if_any()
    stored.extend(parsed)
    return ImportResult(created=len(parsed))


def _pets(text: str) -> list[CsvRow]:
    return read_csv(text.encode(), columns=PET_COLUMNS)


def test_the_columns_are_the_names_the_header_must_hold_optional_ones_left_out():
    assert PET_COLUMNS == ("name", "kind", "born", "weight", "owner")
    assert [column.name for column in PET_COLUMNS.declared][-1] == "note"


def test_a_good_file_is_read_through_its_columns_and_written():
    stored = []

    result = pets_import(
        rows=_pets("name,kind,born,weight,owner\nMimi,cat,2020-02-29,3.5,\nRex,dog,,1,P002\n"), stored=stored
    )

    assert str(result) == "2 created, 0 updated, 0 unchanged"
    assert stored == [
        {"name": "Mimi", "kind": "cat", "born": datetime.date(2020, 2, 29), "weight": Decimal("3.5"), "owner": None},
        {"name": "Rex", "kind": "dog", "born": None, "weight": Decimal("1"), "owner": 42},
    ]


def test_an_optional_column_the_header_holds_is_read_and_one_it_leaves_out_has_no_value():
    stored = []

    pets_import(rows=_pets("name,kind,weight,owner,born,note\nMimi,cat,3,,,shy\n"), stored=stored)
    pets_import(rows=_pets("name,kind,weight,owner,born\nTom,cat,4,,\n"), stored=stored)

    assert [(pet["name"], pet.get("note", "(none)")) for pet in stored] == [("Mimi", "shy"), ("Tom", "(none)")]


def test_every_problem_of_every_row_comes_with_its_line_and_column_and_nothing_is_written():
    stored = []
    rows = _pets(
        "name,kind,born,weight,owner\n"
        "Mimi,cat,2020-02-30,3.5,\n"  # line 2: 30 February
        ",dog,,0.5,P009\n"  # line 3: no name, too light for a dog, an unknown owner
        "Rex,dog,,12,\n"  # line 4: a dog needs an owner
        "Tom,cat,,4,\n"  # line 5: good
        "Tom,cow,,x,\n"  # line 6: not a kind, not a number (so the name is not checked again)
        "Tom,cat,,5,\n"  # line 7: Tom again
    )

    with pytest.raises(ImportRejected) as rejected:
        pets_import(rows=rows, stored=stored)

    assert [str(problem) for problem in rejected.value.problems] == [
        "line 2, column 'born': '2020-02-30' is not a date as YYYY-MM-DD",
        "line 3, column 'name': is required",
        "line 3, column 'owner': owner 'P009' is not known",
        "line 3, column 'weight': 0.5 kg is too little for a dog (at least 1)",
        "line 4, column 'owner': is required",
        "line 6, column 'kind': 'cow' is not one of cat, dog",
        "line 6, column 'weight': 'x' is not a number (expected digits such as 123.45)",
        "line 7, column 'name': 'Tom' is already on line 5",
    ]
    assert stored == []


def test_a_row_has_no_value_for_an_optional_column_the_file_left_out_and_no_column_it_never_declared():
    (row,) = PET_COLUMNS.parse(_pets("name,kind,born,weight,owner\nMimi,cat,,3,\n"), Checker())

    assert (row["note"], row.text("note"), "note" in row) == (None, "", False)
    with pytest.raises(KeyError):
        row["colour"]


def test_a_parser_given_for_a_column_that_does_not_exist_is_a_mistake():
    with pytest.raises(TypeError, match="no column named owners"):
        list(PET_COLUMNS.parse([], Checker(), owners=known(OWNERS, "")))


def test_an_importer_reads_the_file_for_its_columns_and_passes_who_sent_it():
    calls = []

    def run(*, rows, sent_by=None):
        calls.append(([row.values["name"] for row in rows], sent_by))
        return ImportResult(created=len(rows))

    importer = CsvImporter("pets", PET_COLUMNS, run, user_kwarg="sent_by")

    assert str(importer(b"name,kind,born,weight,owner\nMimi,cat,,3,\n", user="li.na")) == (
        "1 created, 0 updated, 0 unchanged"
    )
    assert calls == [(["Mimi"], "li.na")]
    with pytest.raises(ImportRejected) as rejected:
        importer(b"name,kind\nMimi,cat\n")
    assert [problem.field for problem in rejected.value.problems] == ["born", "weight", "owner"]


def test_the_command_knows_the_kinds_the_admin_offers_an_upload_for():
    assert sorted(csv_importers()) == [
        "calendar",
        "customer_snapshots",
        "customers",
        "facts",
        "staff",
        "targets",
        "units",
    ]


# -- reference data in bulk -----------------------------------------------------------------------------


def test_codes_are_looked_up_a_chunk_at_a_time_skipping_empty_and_repeated_ones(network, django_assert_num_queries):
    codes = ["GZ0101", "GZ0102", "", "GZ0201", "SZ0101", "NOPE", "GZ0101"]

    # 5 distinct codes (the empty one skipped, GZ0101 once), 2 a query: 3 queries.
    with django_assert_num_queries(3):
        found = codes_lookup(OrgUnit, codes, chunk=2)

    assert found == {code: network[code].pk for code in ("GZ0101", "GZ0102", "GZ0201", "SZ0101")}


def test_a_lookup_may_return_more_fields_and_keep_to_a_queryset(network):
    outlets = OrgUnit.objects.filter(kind="outlet")

    assert codes_lookup(outlets, ["GZ01", "GZ0101"], "kind", "area") == {"GZ0101": ("outlet", "urban")}
    assert codes_lookup(OrgUnit, ["SZ"], "name_en", field="code") == {"SZ": ("Shenzhen Branch",)}


def test_no_codes_take_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert codes_lookup(OrgUnit, ["", ""]) == {}


# -- read_csv_columns: read_csv's rows, column-wise ----------------------------------------------------


def _as_rows(frame) -> list[tuple[int, dict]]:
    return [(record.pop("line"), record) for record in frame.to_dict("records")]


@pytest.mark.parametrize(
    "raw",
    [
        b"code,name\nA1, one \nB2,two\n",  # plain: cells as written
        b"\xef\xbb\xbfcode , name\r\nA1,one\r\nB2,two",  # a BOM, CRLF, no last newline, spaces in the header
        b"code,name\nA1,one\n\nB2,two\n",  # a blank line: B2 stays on line 4
        b"code,name\nA1,one\n,\nB2,two\n",  # a row of empty cells, left out
        b"code,name\nA1\nB2,two\n",  # a short row
        b"code,name\nA1,one,\n",  # an empty cell after the last column
        b'code,name\n"A1","o,ne"\n',  # quotes
        b'code,name\nA1,"one\ntwo"\nB2,two\n',  # a line break inside a cell
        "code,name\nA1,一\n".encode("gb18030"),  # GB18030
        b"code,code,name\nA1,A2,one\n",  # a column named twice: the last one counts
    ],
)
def test_a_file_read_by_columns_has_read_csvs_rows_and_lines(raw):
    by_rows = [(row.line, row.values) for row in read_csv(raw, columns=["code"])]

    assert _as_rows(read_csv_columns(raw, columns=["code"])) == by_rows


def test_a_plain_file_by_columns_keeps_each_cell_as_written_with_its_file_line():
    frame = read_csv_columns(b"code,name\nA1, one \nB2,\n", columns=["code"])

    assert _as_rows(frame) == [(2, {"code": "A1", "name": " one "}), (3, {"code": "B2", "name": ""})]


@pytest.mark.parametrize(
    "raw",
    [
        b"name\nA1\n",  # no code column
        b"code,name\nA1,one,extra\n",  # a row wider than the header
        b"code,name\nA1,o\x00ne\n",  # a NUL
        b"code,name\nA1,\xff\xfe\xfd\n",  # bytes neither UTF-8 nor GB18030
    ],
)
def test_a_file_read_by_columns_is_refused_as_read_csv_refuses_it(raw):
    with pytest.raises(ImportRejected) as by_rows:
        read_csv(raw, columns=["code"])
    with pytest.raises(ImportRejected) as by_columns:
        read_csv_columns(raw, columns=["code"])

    assert by_columns.value.problems == by_rows.value.problems


def test_rows_as_columns_lays_out_rows_with_none_where_a_row_lacks_a_name():
    frame = rows_as_columns([CsvRow(2, {"code": "A1", "name": "one"}), CsvRow(5, {"code": "B2"})])

    assert frame["line"].tolist() == [2, 5]
    assert frame["code"].tolist() == ["A1", "B2"]
    assert frame["name"].tolist() == ["one", None]


@pytest.fixture(autouse=True)
def _english_problems():
    """The problems asserted here are the English source texts (every test starts in Chinese; an import
    in Chinese: tests/bankops/test_i18n_complete.py)."""
    with translation.override("en"):
        yield
