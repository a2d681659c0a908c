"""The interface in Simplified Chinese by default and in English on request (locale/zh_Hans, LocaleMiddleware).

The compiled catalog (django.mo) is committed so that a machine without gettext shows Chinese; the last
tests make sure it says what the .po says, so a .po edited without `make messages` fails here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import TEST_PASSWORD

CATALOG = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@dataclass
class Entry:
    msgid: str
    msgstr: str
    context: str | None = None
    plural: bool = False
    fuzzy: bool = False


def read_catalog(path: Path) -> list[Entry]:
    """The entries of a .po file, minimally: enough for msgid, msgstr (msgstr[0] of a plural), msgctxt
    and the fuzzy flag. Obsolete entries (#~) are left out."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    fuzzy = False
    current = ""

    def flush() -> None:
        nonlocal fields, fuzzy
        if "msgid" in fields:
            entries.append(
                Entry(
                    msgid=fields["msgid"],
                    msgstr=fields.get("msgstr", fields.get("msgstr[0]", "")),
                    context=fields.get("msgctxt"),
                    plural="msgid_plural" in fields,
                    fuzzy=fuzzy,
                )
            )
        fields, fuzzy = {}, False

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            flush()
        elif line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[current] += ast.literal_eval(line)
        else:
            keyword, text = line.split(" ", 1)
            if keyword == "msgid" and "msgid" in fields:  # an entry not separated by a blank line
                flush()
            current = keyword
            fields[current] = ast.literal_eval(text)
    flush()
    return entries


@pytest.fixture
def catalog() -> list[Entry]:
    return read_catalog(CATALOG)


# -- pages -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_page_is_in_chinese_by_default(client):
    page = client.get("/accounts/login/").content.decode()

    assert '<html lang="zh-hans">' in page
    assert "<h1>登录</h1>" in page
    assert "Sign in" not in page


@pytest.mark.django_db
def test_the_login_page_is_in_english_for_a_browser_that_asks_for_english(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="en">' in page
    assert "<h1>Sign in</h1>" in page
    assert "登录" not in page


@pytest.mark.django_db
def test_a_wrong_password_is_explained_in_chinese(client, unit_manager):
    page = client.post("/accounts/login/", {"username": "chen.zhiqiang", "password": "wrong"}).content.decode()

    assert "用户名或密码错误，请重试。" in page


def test_the_home_page_greets_the_unit_manager_in_chinese(client, unit_manager):
    response = client.post(
        "/accounts/login/", {"username": "chen.zhiqiang", "password": TEST_PASSWORD, "next": "/"}, follow=True
    )

    page = response.content.decode()
    assert "早上好，陈志强" in page
    assert "您可以查看天河支行及其下属全部机构。" in page
    assert "退出登录" in page


def test_the_scorecard_page_speaks_the_banks_language_before_any_rollup(client, unit_manager):
    client.force_login(unit_manager)

    page = client.get("/scorecard/").content.decode()

    assert "尚未进行任何汇总。当日数据完成首次夜间汇总后，记分卡将在此显示。" in page
    for period in ("日", "周", "月", "季", "年"):
        assert f">{period}</a>" in page


def test_choosing_english_in_the_language_switch_keeps_the_pages_in_english(client, unit_manager):
    client.force_login(unit_manager)

    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)

    assert "Good morning, 陈志强" in switched.content.decode()
    scorecard = client.get("/scorecard/").content.decode()
    assert "Nothing has been rolled up yet." in scorecard
    assert "尚未进行任何汇总" not in scorecard


def test_choosing_chinese_again_brings_the_chinese_pages_back(client, unit_manager):
    client.force_login(unit_manager)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})

    assert "早上好，陈志强" in client.get("/").content.decode()


# -- the catalog -------------------------------------------------------------------------------------


def test_every_string_of_the_catalog_is_translated_and_none_is_fuzzy(catalog):
    header, *entries = catalog

    assert header.msgid == ""
    assert not header.fuzzy, "remove the '#, fuzzy' flag of the header: msgfmt would skip the whole header"
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr
    assert len(entries) > 400
    assert [entry.msgid for entry in entries if entry.fuzzy] == []
    assert [entry.msgid for entry in entries if not entry.msgstr] == []


def test_the_committed_mo_says_what_the_po_says(catalog):
    """Fails when the .po was edited (or regenerated) without compiling: run `make messages`."""
    entries = [entry for entry in catalog[1:] if entry.msgstr and not entry.plural and entry.context is None]

    with translation.override("zh-hans"):
        stale = {
            entry.msgid: translation.gettext(entry.msgid)
            for entry in entries
            if translation.gettext(entry.msgid) != entry.msgstr
        }

    assert len(entries) > 400
    assert stale == {}


def test_the_bank_terms_read_as_the_domain_names_them():
    with translation.override("zh-hans"):
        terms = {
            english: translation.gettext(english)
            for english in (
                "Attainment",
                "Time progress",
                "Pace-adjusted attainment",
                "Gap to pace",
                "Required per remaining day",
                "Daily bulletin",
                "Veto (一票否决)",
                "Outlet (网点)",
                "Urban (城区)",
                "Split (指标分解)",
                "credit split",
                "Benchmark outlet (标杆网点)",
            )
        }

    assert terms == {
        "Attainment": "完成率",
        "Time progress": "时间进度",
        "Pace-adjusted attainment": "进度完成率",
        "Gap to pace": "进度差额",
        "Required per remaining day": "剩余日均需完成",
        "Daily bulletin": "每日通报",
        "Veto (一票否决)": "一票否决",
        "Outlet (网点)": "网点",
        "Urban (城区)": "城区",
        "Split (指标分解)": "指标分解",
        "credit split": "分润",
        "Benchmark outlet (标杆网点)": "标杆网点",
    }
