"""The English catalog: complete, compiled, and used when a visitor asks for English."""

from __future__ import annotations

import re
import shutil
from gettext import GNUTranslations
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import translation

from tests.fixtures import (  # noqa: F401  (fixtures used by name)
    beishan,
    clerk,
    clerk_client,
    reference_data,
    resident,
    resident_client,
)

SOURCE_DIR = Path(settings.BASE_DIR) / "src" / "onetrip"
LOCALE_DIR = SOURCE_DIR / "locale"
PO_FILE = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def _unquote(s: str) -> str:
    body = s.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), body)


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file as {flags, msgctxt, msgid, msgid_plural, msgstr: [..]} (header
    included)."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry: dict = {
            "flags": set(),
            "msgctxt": None,
            "msgid": None,
            "msgid_plural": None,
            "msgstr": [],
        }
        current = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#,"):
                entry["flags"] |= {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith("msgctxt "):
                entry["msgctxt"] = _unquote(line[8:])
                current = ("msgctxt", None)
            elif line.startswith("msgid_plural "):
                entry["msgid_plural"] = _unquote(line[13:])
                current = ("msgid_plural", None)
            elif line.startswith("msgid "):
                entry["msgid"] = _unquote(line[6:])
                current = ("msgid", None)
            elif line.startswith("msgstr"):
                entry["msgstr"].append(_unquote(line.partition(" ")[2]))
                current = ("msgstr", len(entry["msgstr"]) - 1)
            elif line.startswith('"') and current:
                field, index = current
                if field == "msgstr":
                    entry["msgstr"][index] += _unquote(line)
                else:
                    entry[field] += _unquote(line)
        if entry["msgid"] is not None:
            entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def catalog() -> list[dict]:
    entries = parse_po(PO_FILE)
    assert entries and entries[0]["msgid"] == "", "the catalog starts with its header"
    return entries


def test_catalog_sits_in_locale_paths():
    assert LOCALE_DIR in [Path(p) for p in settings.LOCALE_PATHS]
    assert PO_FILE.is_file() and MO_FILE.is_file()


def test_catalog_is_fully_translated(catalog):
    header, *messages = catalog
    assert "Language: en" in header["msgstr"][0]
    assert len(messages) > 100
    fuzzy = [e["msgid"] for e in catalog if "fuzzy" in e["flags"]]
    assert fuzzy == []
    empty = [e["msgid"] for e in messages if not all(s.strip() for s in e["msgstr"])]
    assert empty == []
    still_chinese = [e["msgid"] for e in messages if any(HAN.search(s) for s in e["msgstr"])]
    assert still_chinese == []


def test_catalog_keeps_placeholders(catalog):
    for e in catalog[1:]:
        wanted = sorted(PLACEHOLDER.findall(e["msgid"]))
        for msgstr in e["msgstr"]:
            assert sorted(PLACEHOLDER.findall(msgstr)) == wanted, e["msgid"]


def test_compiled_catalog_matches_po(catalog):
    """The committed .mo is what Django loads; it must be rebuilt whenever the .po changes."""
    with MO_FILE.open("rb") as fh:
        mo = GNUTranslations(fh)
    for e in catalog[1:]:
        ctx, msgid, plural = e["msgctxt"], e["msgid"], e["msgid_plural"]
        if plural is None:
            found = mo.gettext(msgid) if ctx is None else mo.pgettext(ctx, msgid)
        elif ctx is None:
            found = mo.ngettext(msgid, plural, 1)
        else:
            found = mo.npgettext(ctx, msgid, plural, 1)
        assert found == e["msgstr"][0], (ctx, msgid)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_catalog_covers_every_source_string(catalog, tmp_path, monkeypatch):
    """Re-extract the strings from a copy of the source: nothing marked for translation may
    be missing from the committed catalog (run makemessages and translate when this fails)."""
    tree = tmp_path / "onetrip"
    shutil.copytree(
        SOURCE_DIR, tree, ignore=shutil.ignore_patterns("locale", "__pycache__", "*.pyc")
    )
    monkeypatch.chdir(tree)
    with override_settings(LOCALE_PATHS=[tree / "locale"]):
        (tree / "locale").mkdir()
        call_command("makemessages", locale=["en"], no_obsolete=True, verbosity=0)
    extracted = {
        e["msgid"] for e in parse_po(tree / "locale" / "en" / "LC_MESSAGES" / "django.po")
    } - {""}
    translated = {e["msgid"] for e in catalog[1:]}
    assert sorted(extracted - translated) == []


def test_key_strings_translate():
    from onetrip.portal.declarations.models import DeclarationStatus, HousingType

    with translation.override("en"):
        assert translation.gettext("已登记") == "Registered"
        assert translation.gettext("已退回") == "Returned"
        assert translation.gettext("派出所已接收") == "Received by the police station"
        assert translation.gettext("民警工作台") == "Police workbench"
        assert translation.gettext("居住登记自主申报") == "Residence registration self-declaration"
        assert str(DeclarationStatus.RECEIVED.label) == "Received by the police station"
        assert str(HousingType.RENTED.label) == "Rented housing"
        assert translation.gettext("已登记，登记编号 %(number)s") % {"number": "R1"} == (
            "Registered, registration number R1"
        )
    with translation.override("zh-hans"):
        assert translation.gettext("已登记") == "已登记"


def _chinese_outside_language_names(html: str) -> list[str]:
    """Han text left on a page, ignoring the language switch, which names each language in
    itself (简体中文)."""
    html = re.sub(r"<option[^>]*>[^<]*</option>", "", html)
    return HAN.findall(html)


@pytest.mark.django_db(databases=["default", "police"])
@pytest.mark.parametrize("path", ["/", "/login/", "/progress/"])
def test_portal_public_pages_in_english(path):
    response = Client(HTTP_HOST="portal.testserver").get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "Hangzhou Residence Permit Service" in html
    assert "杭州市居住证服务平台" not in html
    assert _chinese_outside_language_names(html) == []


@pytest.mark.django_db(databases=["default", "police"])
def test_portal_home_in_english():
    response = Client(HTTP_HOST="portal.testserver").get("/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Residence registration self-declaration" in html
    assert "Check progress" in html
    assert "居住登记自主申报" not in html


@pytest.mark.django_db(databases=["default", "police"])
def test_portal_home_stays_chinese_by_default():
    response = Client(HTTP_HOST="portal.testserver").get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    html = response.content.decode()
    assert '<html lang="zh-Hans"' in html
    assert "杭州市居住证服务平台" in html
    assert "Hangzhou Residence Permit Service" not in html


@pytest.mark.django_db(databases=["default", "police"])
def test_language_switch_turns_portal_english():
    client = Client(HTTP_HOST="portal.testserver")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert "Hangzhou Residence Permit Service" in html


@pytest.mark.django_db(databases=["default", "police"])
def test_declaration_form_in_english(resident_client, reference_data):  # noqa: F811
    response = resident_client.get("/declare/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    for phrase in (
        "Identity details",
        "date of birth",
        "Type of residence",
        "Next: check your details",
    ):
        assert phrase in html
    for phrase in ("身份信息", "出生日期", "住所类型", "下一步"):
        assert phrase not in html


@pytest.mark.django_db(databases=["default", "police"])
def test_police_login_in_english():
    response = Client(HTTP_HOST="police.testserver").get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "Sign in" in html


@pytest.mark.django_db(databases=["default", "police"])
def test_police_workbench_in_english(clerk_client):  # noqa: F811
    response = clerk_client.get("/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Police workbench" in html
    assert "Residence registration review queue" in html
    assert "居住登记申报核查队列" not in html
