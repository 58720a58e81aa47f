"""The audit keys come from the settings or a key file, never from the database (MLPS-5)."""

import base64
import os

import pytest

from onetrip.common.audit_chain import AuditKeyError
from onetrip.police.audit.keys import (
    audit_keys,
    current_audit_key,
    declared_legacy_through,
    uses_published_dev_key,
)

NEW = base64.b64encode(b"n" * 32).decode()
OLD = base64.b64encode(b"o" * 32).decode()


def test_the_test_settings_configure_one_key():
    assert list(audit_keys()) == ["test-1"]
    assert not uses_published_dev_key()


def test_the_first_key_is_the_current_one(settings):
    settings.AUDIT_KEYS = f"new:{NEW},old:{OLD}"
    assert current_audit_key() == ("new", b"n" * 32)
    assert audit_keys()["old"] == b"o" * 32


def test_no_key_is_an_error(settings):
    settings.AUDIT_KEYS = ""
    with pytest.raises(AuditKeyError, match="no audit key"):
        audit_keys()


def test_the_key_file_wins_and_is_reread_when_it_changes(settings, tmp_path):
    key_file = tmp_path / "audit.keys"
    key_file.write_text(f"old:{OLD}\n")
    settings.AUDIT_KEYS_FILE = str(key_file)
    assert current_audit_key()[0] == "old"
    key_file.write_text(f"new:{NEW}\nold:{OLD}\n")
    stat = key_file.stat()
    os.utime(key_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert list(audit_keys()) == ["new", "old"]


def test_a_missing_or_bad_key_file_is_an_error(settings, tmp_path):
    settings.AUDIT_KEYS_FILE = str(tmp_path / "missing.keys")
    with pytest.raises(AuditKeyError, match="cannot read the audit key file"):
        audit_keys()
    bad = tmp_path / "bad.keys"
    bad.write_text("k1:c2hvcnQ=\n")
    settings.AUDIT_KEYS_FILE = str(bad)
    with pytest.raises(AuditKeyError, match=r"bad\.keys: audit key 'k1' must be at least 32"):
        audit_keys()


def test_the_published_development_key_is_recognised_by_its_id(settings):
    settings.AUDIT_KEYS = f"dev-public:{NEW}"
    assert uses_published_dev_key()


def test_the_declared_legacy_prefix_defaults_to_none(settings):
    assert declared_legacy_through() == 0
    settings.AUDIT_LEGACY_THROUGH = 12
    assert declared_legacy_through() == 12
