"""Uploaded files at rest (DESIGN §8): encrypted, outside the web root, written whole or not at
all."""

from __future__ import annotations

import hashlib

import pytest
from django.conf import settings

from onetrip.common.crypto import FieldKeyError, decrypt_bytes, encrypt_bytes
from onetrip.common.filestore import (
    StoredFileMissing,
    file_delete,
    file_get,
    file_orphans_delete,
    file_put,
)


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


def test_orphan_files_are_deleted_once_old_and_referred_files_are_kept() -> None:
    """A file whose transaction rolled back would keep a document on disk for ever."""
    import os
    import time

    kept_file = file_put(zone="portal", content=b"kept")
    orphan = file_put(zone="portal", content=b"orphan")
    young = file_put(zone="portal", content=b"young orphan")
    root = settings.ONETRIP_FILES_DIR / "portal"
    leftover = root / kept_file.name[:2] / f".{kept_file.name}.tmp"
    leftover.write_bytes(b"half")
    hour_ago = time.time() - 7200
    for name in (kept_file.name, orphan.name):
        os.utime(next(root.rglob(name)), (hour_ago, hour_ago))
    os.utime(leftover, (hour_ago, hour_ago))

    def kept(names: list[str]) -> set[str]:
        return {kept_file.name} & set(names)

    assert file_orphans_delete(zone="portal", kept=kept) == 2
    assert file_get(zone="portal", name=kept_file.name) == b"kept"
    assert file_get(zone="portal", name=young.name) == b"young orphan"
    with pytest.raises(StoredFileMissing):
        file_get(zone="portal", name=orphan.name)
    assert not leftover.exists()


@pytest.mark.django_db(databases=["default", "police"])
def test_each_zones_sweep_command_deletes_its_unreferenced_files(settings) -> None:
    # Each zone has its own `files_sweep`; the test settings hold both zones, so each command
    # is called by its class.
    from django.core.management import call_command

    from onetrip.police.permits.management.commands import files_sweep as police_sweep
    from onetrip.portal.permits.management.commands import files_sweep as portal_sweep

    settings.ONETRIP_FILES_DIR = settings.ONETRIP_FILES_DIR / "sweep"
    for zone, command in (("portal", portal_sweep), ("police", police_sweep)):
        file_put(zone=zone, content=b"x")
        call_command(command.Command(), "--older-than-hours", "0")
    assert not [p for p in settings.ONETRIP_FILES_DIR.rglob("*") if p.is_file()]
