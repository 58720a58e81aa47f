"""The `dir` transport reads only regular files, never follows a link, and never holds more than
the document size limit in memory (issue 8)."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

import pytest

from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.protocol.channels import PORTAL_TO_POLICE
from onetrip.ferry.transports.dir import DirTransport
from onetrip.police.ferrybox import models as police_box
from onetrip.portal.ferrybox import models as portal_box

from ..helpers import FerryEnv
from ..pingpong import send_pings

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)
NAME = "000000000001-00000000-0000-4000-8000-000000000000.jsonl"  # before any real batch
ACK_NAME = "000000000000-00000000-0000-4000-8000-000000000000.json"
SECRET = b"SECRET-OUTSIDE-THE-FERRY-DIRECTORY\n"


@pytest.fixture
def dir_env(ferry_env: FerryEnv) -> FerryEnv:
    if ferry_env.transport != "dir":
        pytest.skip("dir transport only")
    return ferry_env


def police_pings() -> int:
    return police_box.InboxMessage.objects.filter(message_type="test.ping").count()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@DB
def test_a_100_mb_batch_is_not_read_whole_and_only_a_prefix_is_stored(
    dir_env: FerryEnv, settings
) -> None:
    batches = dir_env.root / PORTAL_TO_POLICE / "batches"
    batches.mkdir(parents=True)
    path = batches / NAME
    with path.open("wb") as handle:  # sparse: written in an instant
        handle.write(b'{"format":"onetrip-ferry-batch/1"}\n')
        handle.truncate(100 * 1024 * 1024)
    expected = file_sha256(path)
    send_pings("portal", 1)
    run_once("portal")

    tracemalloc.start()
    try:
        report = run_once("police")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 20 * 1024 * 1024  # far below the 100 MB: read in chunks
    assert (report.quarantined, report.batches_applied) == (1, 1)
    assert police_pings() == 1
    record = police_box.QuarantinedBatch.objects.get()
    assert len(bytes(record.raw)) == settings.FERRY_QUARANTINE_PREFIX_BYTES
    assert bytes(record.raw).startswith(b'{"format"')
    assert record.sha256 == expected
    assert "too large: 104857600 bytes" in record.reason
    [moved] = dir_env.quarantined(PORTAL_TO_POLICE)
    assert moved.stat().st_size == 100 * 1024 * 1024  # the whole file kept aside on disk


@DB
@pytest.mark.parametrize("directory", ["batches", "acks"])
def test_a_symlink_is_refused_and_its_target_never_read_or_stored(
    dir_env: FerryEnv, tmp_path: Path, monkeypatch, directory: str
) -> None:
    target = tmp_path / "outside" / "secret.txt"
    target.parent.mkdir()
    target.write_bytes(SECRET)
    send_pings("portal", 1)
    run_once("portal")
    where = dir_env.root / PORTAL_TO_POLICE / directory
    where.mkdir(parents=True, exist_ok=True)
    link = where / (NAME if directory == "batches" else ACK_NAME)
    link.symlink_to(target)
    opened: list[str] = []
    real_open = os.open

    def spy(path: object, *args: object, **kwargs: object) -> int:
        opened.append(os.fspath(path))  # type: ignore[call-overload]
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", spy)
    reports = [run_once("police"), run_once("portal")]
    monkeypatch.undo()

    assert sum(report.quarantined for report in reports) == 1
    assert police_pings() == 1
    assert not any(os.path.realpath(path) == str(target) for path in opened)
    assert str(link) not in opened
    box = police_box if directory == "batches" else portal_box
    record = box.QuarantinedBatch.objects.get()
    assert (bytes(record.raw), record.sha256) == (b"", "")
    assert "refused without reading: symbolic link" in record.reason
    assert target.read_bytes() == SECRET  # untouched
    [moved] = dir_env.quarantined(PORTAL_TO_POLICE)
    assert moved.is_symlink()  # the link itself was moved, not what it points to
    for model in (police_box.QuarantinedBatch, portal_box.QuarantinedBatch):
        assert not any(
            SECRET.strip() in bytes(raw) for raw in model.objects.values_list("raw", flat=True)
        )


@DB
@pytest.mark.parametrize("make", ["fifo", "directory"])
def test_a_fifo_or_a_directory_among_the_batches_is_refused_without_blocking(
    dir_env: FerryEnv, make: str
) -> None:
    batches = dir_env.root / PORTAL_TO_POLICE / "batches"
    batches.mkdir(parents=True)
    if make == "fifo":
        os.mkfifo(batches / NAME)  # opening it for reading would block for ever
    else:
        (batches / NAME).mkdir()
        (batches / NAME / "inside").write_bytes(SECRET)
    send_pings("portal", 1)
    run_once("portal")

    report = run_once("police")

    assert (report.quarantined, report.batches_applied) == (1, 1)
    record = police_box.QuarantinedBatch.objects.get()
    assert ("FIFO" if make == "fifo" else "directory") in record.reason
    assert not (batches / NAME).exists()


def test_listing_shows_every_entry_but_hidden_ones(tmp_path: Path) -> None:
    transport = DirTransport(tmp_path)
    batches = tmp_path / PORTAL_TO_POLICE / "batches"
    batches.mkdir(parents=True)
    for name in (NAME, "README.txt", "a\\b.jsonl", ".writing.tmp"):
        (batches / name).write_bytes(b"x")
    assert transport.list_batches(PORTAL_TO_POLICE) == sorted([NAME, "README.txt", "a\\b.jsonl"])
    with pytest.raises(ValueError):
        transport.read_batch(PORTAL_TO_POLICE, "a\\b.jsonl")  # only plain names are read
    transport.quarantine_batch(PORTAL_TO_POLICE, "a\\b.jsonl")  # any listed name is moved
    [moved] = (tmp_path / PORTAL_TO_POLICE / "quarantine").iterdir()
    assert moved.name.endswith("-a_b.jsonl")


def test_limited_read_of_a_file_that_grows_past_the_limit(tmp_path: Path) -> None:
    transport = DirTransport(tmp_path)
    transport.put_batch(PORTAL_TO_POLICE, NAME, b"y" * 5000)
    within = transport.read_batch_limited(PORTAL_TO_POLICE, NAME, max_bytes=5000, keep_bytes=10)
    over = transport.read_batch_limited(PORTAL_TO_POLICE, NAME, max_bytes=4999, keep_bytes=10)
    assert within is not None and within.complete and within.body == b"y" * 5000
    assert over is not None and not over.complete
    assert (over.body, over.size) == (b"y" * 10, 5000)
    assert over.sha256 == hashlib.sha256(b"y" * 5000).hexdigest()
