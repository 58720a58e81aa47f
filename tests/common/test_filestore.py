"""Uploaded files at rest (DESIGN §8): encrypted, outside the web root, written whole or not at
all."""

from __future__ import annotations

import hashlib

import pytest
from django.conf import settings

from onetrip.common.crypto import FieldKeyError, decrypt_bytes, encrypt_bytes
from onetrip.common.filestore import StoredFileMissing, file_delete, file_get, file_put


def test_encrypt_bytes_round_trips_and_binds_the_key_id() -> None:
    keys = {"k1": b"\x01" * 32}
    sealed = encrypt_bytes(b"\x00photo\xff", keys=keys)
    assert b"photo" not in sealed
    assert decrypt_bytes(sealed, keys=keys) == b"\x00photo\xff"
    with pytest.raises(FieldKeyError):
        decrypt_bytes(sealed, keys={"k2": b"\x01" * 32})


def test_a_stored_file_is_encrypted_on_disk_and_read_back() -> None:
    content = b"%PDF-1.4 proof of residence " * 100
    stored = file_put(zone="portal", content=content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.size == len(content)
    on_disk = next((settings.ONETRIP_FILES_DIR / "portal").rglob(stored.name)).read_bytes()
    assert b"proof of residence" not in on_disk
    assert file_get(zone="portal", name=stored.name) == content
    assert not list((settings.ONETRIP_FILES_DIR / "portal").rglob("*.tmp"))


def test_a_name_that_is_not_an_id_is_never_opened() -> None:
    for name in ("../../etc/passwd", "", "x" * 32, "A" * 32):
        with pytest.raises(StoredFileMissing):
            file_get(zone="portal", name=name)


def test_deleting_removes_the_file_and_a_missing_file_is_reported() -> None:
    stored = file_put(zone="police", content=b"jpeg")
    file_delete(zone="police", name=stored.name)
    with pytest.raises(StoredFileMissing):
        file_get(zone="police", name=stored.name)
    file_delete(zone="police", name=stored.name)
