"""The two doors to the CSV importers: `manage.py import_csv` and the admin upload page."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from branches.models import OrgUnit
from staff.models import Assignment, Role, StaffMember
from tests.factories import UserFactory

UNITS_FILE = (
    "code,parent,name_zh,name_en,kind,area,format,status\n"
    "HQ,,总行,Head office,hq,,,\n"
    "GZ,HQ,广州分行,Guangzhou Branch,branch,,,\n"
    "GZ01,GZ,天河支行,Tianhe Sub-branch,sub_branch,,,\n"
    "GZ0101,GZ01,天河路网点,Tianhe Road Outlet,outlet,urban,full,\n"
)

# Line 3: a parent nobody knows; line 5: an outlet with no area.
BAD_UNITS_FILE = (
    "code,parent,name_zh,name_en,kind,area,format,status\n"
    "HQ,,总行,Head office,hq,,,\n"
    "GZ,HQX,广州分行,Guangzhou Branch,branch,,,\n"
    "GZ01,GZ,天河支行,Tianhe Sub-branch,sub_branch,,,\n"
    "GZ0101,GZ01,天河路网点,Tianhe Road Outlet,outlet,,full,\n"
)

STAFF_FILE = "code,name,post,unit,start,end\nS1001,黄丽娟,teller,GZ0101,2026-01-01,\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return path


def _import(kind: str, path: Path, *options: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_csv", kind, str(path), *options, stdout=out, stderr=err, no_color=True)
    return out.getvalue(), err.getvalue()


# -- the management command --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_imports_a_good_file_and_says_what_it_did(tmp_path):
    path = _write(tmp_path, "units.csv", UNITS_FILE)

    out, err = _import("units", path)

    assert out == f"{path}: units: 4 created, 0 updated, 0 unchanged\n"
    assert err == ""
    assert OrgUnit.objects.get(code="GZ0101").path == "/HQ/GZ/GZ01/GZ0101/"


@pytest.mark.django_db
def test_running_the_command_twice_on_the_same_file_changes_nothing(tmp_path):
    path = _write(tmp_path, "units.csv", UNITS_FILE)
    _import("units", path)

    out, _err = _import("units", path)

    assert "0 created, 0 updated, 4 unchanged" in out
    assert OrgUnit.objects.count() == 4


@pytest.mark.django_db
def test_a_bad_file_fails_lists_each_problem_with_line_and_column_and_writes_nothing(tmp_path):
    path = _write(tmp_path, "units.csv", BAD_UNITS_FILE)
    err = StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("import_csv", "units", str(path), stdout=StringIO(), stderr=err)

    assert str(caught.value) == f"{path}: 2 problem(s); nothing was imported"
    assert err.getvalue().splitlines() == [
        f"{path}: line 3, column 'parent': unit 'HQX' is neither in the file nor already known",
        f"{path}: line 5, column 'area': is required (one of urban, county, township)",
    ]
    assert OrgUnit.objects.count() == 0


@pytest.mark.django_db
def test_a_file_missing_a_column_fails_naming_the_column(tmp_path):
    path = _write(tmp_path, "units.csv", "code,parent,name_zh,kind,area,format,status\nHQ,,总行,hq,,,\n")
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_csv", "units", str(path), stdout=StringIO(), stderr=err)

    assert f"{path}: line 1, column 'name_en': the header has no 'name_en' column" in err.getvalue()


@pytest.mark.django_db
def test_a_file_chinese_excel_saved_as_gbk_is_read_by_detection(tmp_path):
    path = tmp_path / "units-gbk.csv"
    path.write_bytes(UNITS_FILE.encode("gbk"))

    out, _err = _import("units", path)

    assert out == f"{path}: units: 4 created, 0 updated, 0 unchanged\n"
    assert OrgUnit.objects.get(code="GZ0101").name_zh == "天河路网点"


@pytest.mark.django_db
def test_the_encoding_may_be_named_and_a_file_not_in_it_fails_naming_line_and_column(tmp_path):
    path = tmp_path / "units-gbk.csv"
    path.write_bytes(UNITS_FILE.encode("gb18030"))
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_csv", "units", str(path), "--encoding", "utf-8", stdout=StringIO(), stderr=err)
    out, _err = _import("units", path, "--encoding", "gb18030")

    # Every line but the header has Chinese names in name_zh (line 2: 总行).
    assert f"{path}: line 2, column 'name_zh': this cell is not UTF-8 text; choose the file's encoding" in (
        err.getvalue()
    )
    assert out == f"{path}: units: 4 created, 0 updated, 0 unchanged\n"


@pytest.mark.django_db
def test_a_file_neither_utf8_nor_gb18030_fails_naming_line_and_column(tmp_path):
    path = tmp_path / "units-broken.csv"
    path.write_bytes(UNITS_FILE.encode("utf-8").replace(b"Tianhe Road Outlet", b"Tianhe \xff\xff Outlet"))
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_csv", "units", str(path), stdout=StringIO(), stderr=err)

    assert err.getvalue().splitlines()[0] == (
        f"{path}: line 5, column 'name_en': this cell is neither UTF-8 nor GB18030 (GBK) text; save the file as "
        '"CSV UTF-8" or as "CSV (逗号分隔)"'
    )


def test_a_missing_file_fails_with_its_name(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_csv", "units", str(tmp_path / "nowhere.csv"), stdout=StringIO(), stderr=StringIO())


def test_the_command_imports_staff_too(tmp_path, network):
    path = _write(tmp_path, "staff.csv", STAFF_FILE)

    out, _err = _import("staff", path)

    assert out == f"{path}: staff: 1 created, 0 updated, 0 unchanged\n"
    assert Assignment.objects.get().unit.code == "GZ0101"


# -- the admin upload page ---------------------------------------------------------------------------

UNITS_IMPORT_URL = "/admin/branches/orgunit/import-csv/"
STAFF_IMPORT_URL = "/admin/staff/staffmember/import-csv/"


@pytest.fixture
def superuser_client(client, db):
    """An HQ superuser (张国栋) in the admin, reading it in English so the assertions do not depend on
    the zh-Hans catalog."""
    client.force_login(UserFactory(username="zhang.guodong", first_name="张国栋", is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _upload(text: str, name: str = "units.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\xef\xbb\xbf" + text.encode("utf-8"), content_type="text/csv")


def test_the_upload_page_shows_the_expected_columns(superuser_client):
    response = superuser_client.get(UNITS_IMPORT_URL)

    assert response.status_code == 200
    assert response.context["columns"] == "code,parent,name_zh,name_en,kind,area,format,status"


def test_uploading_a_good_file_imports_it_and_goes_back_to_the_list_with_the_counts(superuser_client):
    response = superuser_client.post(UNITS_IMPORT_URL, {"file": _upload(UNITS_FILE)}, follow=True)

    assert response.redirect_chain == [("/admin/branches/orgunit/", 302)]
    assert [str(message) for message in response.context["messages"]] == [
        "Imported: 4 created, 0 updated, 0 unchanged."
    ]
    assert OrgUnit.objects.count() == 4


def test_uploading_a_bad_file_shows_the_problems_table_and_writes_nothing(superuser_client):
    response = superuser_client.post(UNITS_IMPORT_URL, {"file": _upload(BAD_UNITS_FILE)})

    assert response.status_code == 200
    assert [(problem.line, problem.field) for problem in response.context["problems"]] == [
        (3, "parent"),
        (5, "area"),
    ]
    page = response.content.decode()
    assert "2 problems; nothing was imported." in page
    assert (
        "<tr><td>3</td><td>parent</td><td>unit &#x27;HQX&#x27; is neither in the file nor already known</td></tr>"
        in page
    )
    assert "<tr><td>5</td><td>area</td><td>is required (one of urban, county, township)</td></tr>" in page
    assert OrgUnit.objects.count() == 0


def test_uploading_a_staff_file_imports_it(superuser_client, network):
    response = superuser_client.post(STAFF_IMPORT_URL, {"file": _upload(STAFF_FILE, "staff.csv")})

    assert response.status_code == 302
    assert StaffMember.objects.get().name == "黄丽娟"


def test_uploading_a_file_chinese_excel_saved_imports_it_with_the_encoding_chosen_or_detected(superuser_client):
    gbk = UNITS_FILE.encode("gb18030")

    as_utf8 = superuser_client.post(
        UNITS_IMPORT_URL, {"file": SimpleUploadedFile("units.csv", gbk), "encoding": "utf-8"}
    )
    chosen = superuser_client.post(
        UNITS_IMPORT_URL, {"file": SimpleUploadedFile("units.csv", gbk), "encoding": "gb18030"}
    )
    detected = superuser_client.post(UNITS_IMPORT_URL, {"file": SimpleUploadedFile("units.csv", gbk)})

    assert [(problem.line, problem.field) for problem in as_utf8.context["problems"]] == [
        (2, "name_zh"),
        (3, "name_zh"),
        (4, "name_zh"),
        (5, "name_zh"),
    ]
    assert (chosen.status_code, detected.status_code) == (302, 302)
    assert OrgUnit.objects.get(code="GZ").name_zh == "广州分行"


def test_the_upload_page_is_refused_to_an_admin_user_who_may_only_view_units(client, db):
    viewer = UserFactory(first_name="孙丽", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_orgunit"))
    client.force_login(viewer)

    response = client.post(UNITS_IMPORT_URL, {"file": _upload(UNITS_FILE)})

    assert response.status_code == 403
    assert OrgUnit.objects.count() == 0


def _may_add_and_change_units(user):
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_orgunit", "add_orgunit", "change_orgunit"])
    )
    return user


def test_the_units_upload_is_refused_to_a_unit_manager_even_with_the_permissions_to_change_units(client, unit_manager):
    unit_manager.is_staff = True
    unit_manager.save()
    client.force_login(_may_add_and_change_units(unit_manager))

    response = client.post(UNITS_IMPORT_URL, {"file": _upload(UNITS_FILE)})

    assert response.status_code == 403


def test_the_units_upload_is_open_to_an_hq_administrator_who_is_not_a_superuser(client, db):
    # The org layer knows no roles: the mixin asks has_perm("access.may_import"), which
    # staff.access.AccessBackend answers from the role.
    hq_admin = _may_add_and_change_units(UserFactory(first_name="王芳", is_staff=True, role=Role.HQ_ADMIN))
    client.force_login(hq_admin)

    assert client.get(UNITS_IMPORT_URL).status_code == 200


def test_the_upload_page_sends_an_anonymous_visitor_to_the_admin_login(client, db):
    response = client.get(UNITS_IMPORT_URL)

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_uploading_a_file_with_a_nul_byte_shows_the_line_and_writes_nothing(superuser_client, like_postgresql):
    text = UNITS_FILE.replace("天河支行", "天河\x00支行")

    response = superuser_client.post(UNITS_IMPORT_URL, {"file": _upload(text)})

    assert response.status_code == 200  # the name reached the database: a 500 on PostgreSQL
    assert [(problem.line, problem.field, problem.message) for problem in response.context["problems"]] == [
        (4, "name_zh", "this cell holds a NUL character; remove it")
    ]
    assert OrgUnit.objects.count() == 0


@pytest.fixture(autouse=True)
def _english_problems():
    """The problems asserted here are the English source texts (every test starts in Chinese; an import
    in Chinese: tests/bankops/test_i18n_complete.py)."""
    with translation.override("en"):
        yield
