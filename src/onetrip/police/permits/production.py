"""Card production batches (制证批次; DOMAIN NAT-3, NAT-12, WF-2; docs/card-production.md).

An approved card waits at its station until the station's clerk gathers the station's waiting
cards into the day's batch and exports it: a signed ZIP the card-printing bureau takes, with the
NAT-3 card data and the photos. The export moves every card of the batch to "in production".
The bureau answers with a return file (a CSV of permit number, printed or failed, reason):
a printed card lies at the station (`casework.permit_card_at_station`), a failed one waits for
the next batch with the bureau's reason shown in the queue.

The manual one-card steps of casework (`permit_send_to_production`, `permit_card_arrived`) stay
as a fallback; a card moved by hand is left alone by the batch it may be in.

Why the file is signed: it leaves the police network on a medium the bureau reads elsewhere, so
the bureau checks the manifest's Ed25519 signature with the station's published public key and
each entry's SHA-256 in the manifest before it prints a card.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import logging
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from onetrip.common.db import atomic_for
from onetrip.common.errors import FieldError, NotFound
from onetrip.common.filestore import StoredFileMissing, file_get, file_put
from onetrip.common.masking import mask_id_number, mask_phone
from onetrip.common.text import TextError, clean_text
from onetrip.ferry.protocol.keyfiles import private_pem, public_pem, write_new_private
from onetrip.ferry.protocol.signing import key_id_of
from onetrip.police.accounts.models import Role, StaffProfile
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_actor, audit_read_personal_data, audit_record
from onetrip.police.delivery.models import Shipment, ShipmentStatus
from onetrip.police.delivery.services import delivery_emit
from onetrip.police.stations.models import Station

from .casework import permit_card_at_station
from .errors import PermitError
from .models import (
    PermitCase,
    PermitCaseEvent,
    PermitStatus,
    ProductionBatch,
    ProductionBatchStatus,
    ProductionCard,
    ProductionResult,
    ProductionReturn,
    ResidencePermit,
    Task,
)
from .services import permit_status_emit

logger = logging.getLogger(__name__)

PURPOSE = "card_production"
OBJECT_TYPE = "production_batch"
CASE_OBJECT_TYPE = "permit_case"
FORMAT = "onetrip-card-production"
FORMAT_VERSION = 1

# Who makes the station's batches: the window clerk, who hands the cards over, or the station's
# administrator standing in. A return may also be imported above the station (the bureau may
# send one file for a district or the city), by the administrator of that scope.
BATCH_ROLES = frozenset({Role.WINDOW_CLERK, Role.STATION_ADMIN})
IMPORT_ROLES = BATCH_ROLES | {Role.DISTRICT_ADMIN, Role.CITY_ADMIN}

# The card data in the bureau's file, in this order (NAT-3; the photo is a file of its own).
CARD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "姓名"),
    ("sex", "性别"),
    ("ethnicity", "民族"),
    ("birth_date", "出生日期"),
    ("id_number", "公民身份号码"),
    ("hukou_address", "常住户口所在地住址"),
    ("residence_address", "居住地住址"),
    ("issuing_authority", "签发机关"),
    ("issued_on", "签发日期"),
    ("valid_until", "有效期限至"),
    ("permit_number", "居住证号码"),
    ("photo", "相片文件名"),
)
# The personal data an export or a download reads, as the audit row names it.
CARD_FIELDS = [name for name, _label in CARD_COLUMNS if name != "permit_number"]

# The bureau's return file: limits checked before anything is applied.
RETURN_MAX_BYTES = 512 * 1024
RETURN_MAX_ROWS = 5000
RETURN_MAX_FIELD = 300
RETURN_MAX_ERRORS = 200
RETURN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("permit_number", "居住证号码"),
    ("result", "结果"),
    ("reason", "原因"),
)
RESULTS = {"printed": ProductionResult.PRINTED, "failed": ProductionResult.FAILED}
_PERMIT_NUMBER = re.compile(r"^[0-9A-Za-z]{1,24}$")
_LOOKS_IDENTIFYING = re.compile(r"[0-9]{17}[0-9Xx]|1[3-9][0-9]{9}")


class ProductionBatchNotFound(NotFound):
    """Also raised for a batch of another station, so its existence does not leak."""

    def __init__(self) -> None:
        super().__init__("batch_not_found", "未找到该制证批次", "Production batch not found")


# -- the signing key ------------------------------------------------------------------------------


def _key_path() -> Path:
    return Path(settings.ONETRIP_CARD_PRODUCTION_KEY)


def production_key_generate() -> tuple[str, bool]:
    """Create the signing key unless it exists; (key id, created). Safe to run on every
    deployment: an existing key is never replaced, since the bureau trusts its public half."""
    path = _key_path()
    if path.exists():
        return key_id_of(production_signing_key().public_key()), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    write_new_private(path, private_pem(key))
    return key_id_of(key.public_key()), True


def production_signing_key() -> Ed25519PrivateKey:
    path = _key_path()
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise PermitError(
            "production_key_missing",
            "缺少制证文件签名密钥，请联系系统管理员（card_production keygen）",
            f"The card production signing key is missing ({path}); run card_production keygen",
            status=503,
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise PermitError(
            "production_key_invalid",
            "制证文件签名密钥不是 Ed25519 私钥，请联系系统管理员",
            f"{path} is not an Ed25519 private key",
            status=503,
        )
    return key


def production_public_key() -> tuple[str, bytes]:
    """(key id, public key PEM): what the bureau is given to check the batches."""
    public = production_signing_key().public_key()
    return key_id_of(public), public_pem(public)


# -- who and where --------------------------------------------------------------------------------


def _profile(user: Any) -> StaffProfile | None:
    return staff_profile(user) if getattr(user, "is_authenticated", False) else None


def production_station_for(*, user: Any) -> Station:
    """The station whose batches `user` makes; 403 for any other role or a user without one."""
    profile = _profile(user)
    if profile is None or profile.role not in BATCH_ROLES or profile.station is None:
        raise PermitError(
            "role_cannot_produce",
            "只有派出所受理民警或所管理员可以办理本所制证批次",
            "Only a station's window clerk or administrator makes its production batches",
            status=403,
        )
    return profile.station


def production_may_use(*, user: Any) -> bool:
    """Whether the navigation shows the production page to `user`."""
    profile = _profile(user)
    return profile is not None and profile.role in BATCH_ROLES and profile.station_id is not None


def _import_scope(user: Any) -> set[int] | None:
    """Station ids whose cards `user` may report on in a return; None is the whole city."""
    profile = _profile(user)
    if profile is None or profile.role not in IMPORT_ROLES:
        raise PermitError(
            "role_cannot_import",
            "您的岗位无权导入制证回执",
            "Your role may not import the bureau's return",
            status=403,
        )
    if profile.role == Role.CITY_ADMIN:
        return None
    if profile.role == Role.DISTRICT_ADMIN:
        return set(
            Station.objects.filter(district_code=profile.district_code).values_list("id", flat=True)
        )
    return {profile.station_id} if profile.station_id else set()


def _actor(user: Any) -> str:
    return f"staff:{user.get_username()}"


# -- reads ----------------------------------------------------------------------------------------


def production_waiting(*, station: Station) -> QuerySet[PermitCase]:
    """Approved cards of the station that are in no batch yet: the next batch's cards (a card
    the bureau could not print is among them again, with its reason)."""
    return PermitCase.objects.filter(
        station=station,
        status=PermitStatus.APPROVED,
        task=Task.PRODUCE,
        production_batch__isnull=True,
    )


def production_batches_for_staff(*, user: Any, limit: int = 30) -> list[ProductionBatch]:
    station = production_station_for(user=user)
    return list(
        ProductionBatch.objects.filter(station=station).order_by("-day", "-sequence")[:limit]
    )


def production_batch_check_visible(*, user: Any, number: str) -> None:
    """A batch is another station's business: outside the user's own station it is not found,
    whatever the role, as every object of another station is; inside it, a member of staff
    without production work is refused."""
    profile = _profile(user)
    station_id = profile.station_id if profile is not None else None
    if (
        station_id is None
        or not ProductionBatch.objects.filter(
            station_id=station_id, number=number.strip()[:40]
        ).exists()
    ):
        raise ProductionBatchNotFound()
    production_station_for(user=user)


def production_batch_get_for_staff(*, user: Any, number: str) -> ProductionBatch:
    production_batch_check_visible(user=user, number=number)
    station = production_station_for(user=user)
    batch = (
        ProductionBatch.objects.select_related("station", "exported_by")
        .filter(station=station, number=number.strip()[:40])
        .first()
    )
    if batch is None:
        raise ProductionBatchNotFound()
    return batch


def production_open_batch(
    *, station: Station, day: dt.date | None = None
) -> ProductionBatch | None:
    day = day or timezone.localdate()
    return ProductionBatch.objects.filter(
        station=station, day=day, status=ProductionBatchStatus.OPEN
    ).first()


# -- gathering the day's batch (组批) -------------------------------------------------------------


def _batch_number(station: Station, day: dt.date, sequence: int) -> str:
    return f"{station.code}-{day:%Y%m%d}-{sequence:02d}"


def production_batch_assemble(*, user: AbstractBaseUser) -> ProductionBatch:
    """Put every waiting card of the user's station into the station's open batch of today,
    opening it (as the day's next batch) if there is none. A card without a photo is left out:
    the bureau cannot print it, and the page lists it."""
    station = production_station_for(user=user)
    now = timezone.now()
    today = timezone.localdate(now)
    with atomic_for(PermitCase, durable=True):
        # Lock the station's waiting cards first: two clerks gathering at once queue here, so
        # the second finds the first one's open batch instead of opening another.
        waiting = list(
            production_waiting(station=station)
            .select_for_update()
            .order_by("id")
            .values_list("id", flat=True)
        )
        batch = production_open_batch(station=station, day=today)
        if batch is None:
            if not waiting:
                raise PermitError(
                    "nothing_to_produce",
                    "本所暂无待制证的证件",
                    "No card of this station waits for production",
                    status=409,
                )
            last = (
                ProductionBatch.objects.filter(station=station, day=today)
                .order_by("-sequence")
                .values_list("sequence", flat=True)
                .first()
            )
            sequence = (last or 0) + 1
            batch = ProductionBatch.objects.create(
                station=station,
                day=today,
                sequence=sequence,
                number=_batch_number(station, today, sequence),
                created_at=now,
                created_by=user,
            )
        with_photo = set(
            ResidencePermit.objects.filter(case_id__in=waiting)
            .exclude(photo_stored_name="")
            .values_list("case_id", flat=True)
        )
        added = [pk for pk in waiting if pk in with_photo]
        PermitCase.objects.filter(id__in=added).update(production_batch=batch)
        batch.card_count = PermitCase.objects.filter(production_batch=batch).count()
        batch.save(update_fields=["card_count"])
        audit_record(
            **audit_actor(user),
            action="production_batch.assemble",
            object_type=OBJECT_TYPE,
            object_id=batch.number,
            purpose=PURPOSE,
            detail={"added": len(added), "without_photo": len(waiting) - len(added)},
        )
    logger.info("production batch assembled batch=%s added=%s", batch.number, len(added))
    return batch


def production_batch_cards(*, batch: ProductionBatch) -> QuerySet[PermitCase]:
    """The cases of an open batch, or of an exported one through its cards."""
    if batch.status == ProductionBatchStatus.OPEN:
        return PermitCase.objects.filter(production_batch=batch)
    return PermitCase.objects.filter(production_cards__batch=batch)


def production_without_photo(*, station: Station) -> list[str]:
    """References of the waiting cards that lack a photo (they cannot go into a batch)."""
    return list(
        production_waiting(station=station)
        .filter(permit__photo_stored_name="")
        .values_list("reference", flat=True)
    )


# -- the bureau's file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchFile:
    content: bytes
    sha256: str
    key_id: str
    manifest: dict[str, Any]


def _zip_entry(archive: zipfile.ZipFile, name: str, data: bytes, when: dt.datetime) -> None:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED if name.endswith(".jpg") else zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    archive.writestr(info, data)


def _card_row(permit: ResidencePermit, photo_name: str) -> list[str]:
    return [
        permit.name,
        permit.sex,
        permit.ethnicity,
        permit.birth_date.isoformat(),
        permit.id_number,
        permit.hukou_address,
        permit.residence_address,
        permit.issuing_authority,
        permit.issued_on.isoformat(),
        permit.valid_until.isoformat(),
        permit.permit_number,
        photo_name,
    ]


def _photo(permit: ResidencePermit, reference: str) -> bytes:
    try:
        photo = file_get(zone="police", name=permit.photo_stored_name)
    except (StoredFileMissing, FileNotFoundError):
        photo = b""
    if not photo.startswith(b"\xff\xd8\xff"):
        raise PermitError(
            "photo_missing",
            f"申请{reference}的证件相片缺失或不是JPEG图片，请先处理后再导出",
            f"The photo of {reference} is missing or not a JPEG; fix it before exporting",
            status=409,
        )
    return photo


def production_file_build(
    *, batch: ProductionBatch, permits: Sequence[ResidencePermit], references: dict[int, str]
) -> BatchFile:
    """The ZIP of a batch: manifest.json, manifest.sig, cards.csv and photos/<number>.jpg."""
    key = production_signing_key()
    key_id = key_id_of(key.public_key())
    created = timezone.localtime(timezone.now()).replace(microsecond=0)
    entries: list[tuple[str, bytes]] = []
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\r\n")
    writer.writerow([label for _name, label in CARD_COLUMNS])
    for permit in permits:
        photo_name = f"photos/{permit.permit_number}.jpg"
        writer.writerow(_card_row(permit, photo_name))
        entries.append((photo_name, _photo(permit, references[permit.case_id])))
    entries.insert(0, ("cards.csv", rows.getvalue().encode("utf-8")))
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "batch": batch.number,
        "station": {"code": batch.station.code, "name": batch.station.name},
        "issuing_authority": batch.station.branch_name,
        "count": len(permits),
        "created_at": created.isoformat(),
        "key_id": key_id,
        "signature": {"algorithm": "Ed25519", "file": "manifest.sig", "encoding": "base64"},
        "entries": [
            {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in entries
        ],
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    signature = base64.b64encode(key.sign(manifest_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        _zip_entry(archive, "manifest.json", manifest_bytes, created)
        _zip_entry(archive, "manifest.sig", signature + b"\n", created)
        for name, data in entries:
            _zip_entry(archive, name, data, created)
    content = out.getvalue()
    return BatchFile(
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        key_id=key_id,
        manifest=manifest,
    )


class BatchFileInvalid(ValueError):
    """A batch file that does not verify; the message says which check failed."""


def production_file_verify(content: bytes, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """Check a batch file as the bureau does: the manifest's signature by `public_key`, then
    every entry against the manifest (no entry missing, none extra, each hash and size), and
    that cards.csv names one photo per card. Returns the manifest; raises `BatchFileInvalid`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise BatchFileInvalid("not a ZIP file") from exc
    with archive:
        names = set(archive.namelist())
        if not {"manifest.json", "manifest.sig"} <= names:
            raise BatchFileInvalid("manifest.json or manifest.sig missing")
        manifest_bytes = archive.read("manifest.json")
        try:
            signature = base64.b64decode(archive.read("manifest.sig").strip(), validate=True)
            public_key.verify(signature, manifest_bytes)
        except (InvalidSignature, ValueError) as exc:
            raise BatchFileInvalid("bad manifest signature") from exc
        manifest = json.loads(manifest_bytes)
        if manifest.get("format") != FORMAT or manifest.get("key_id") != key_id_of(public_key):
            raise BatchFileInvalid("unknown format or key id")
        listed = {entry["name"]: entry for entry in manifest["entries"]}
        if set(listed) != names - {"manifest.json", "manifest.sig"}:
            raise BatchFileInvalid("entries differ from the manifest")
        for name, entry in listed.items():
            data = archive.read(name)
            if hashlib.sha256(data).hexdigest() != entry["sha256"] or len(data) != entry["size"]:
                raise BatchFileInvalid(f"{name} does not match its hash or size")
        rows = list(csv.reader(io.StringIO(archive.read("cards.csv").decode("utf-8"))))
    if rows[0] != [label for _name, label in CARD_COLUMNS]:
        raise BatchFileInvalid("cards.csv has another header")
    if len(rows) - 1 != manifest["count"]:
        raise BatchFileInvalid("cards.csv has another number of cards than the manifest")
    if {row[-1] for row in rows[1:]} != {n for n in listed if n.startswith("photos/")}:
        raise BatchFileInvalid("photos differ from cards.csv")
    return dict(manifest)


# -- export (送制证) ------------------------------------------------------------------------------


def _history(*, user: Any, case: PermitCase, previous: str, note: str) -> None:
    PermitCaseEvent.objects.create(
        case=case,
        revision=case.revision,
        from_status=previous,
        status=case.status,
        actor=user.get_username(),
        note=note[:500],
        at=timezone.now(),
    )


def _delivery_emit(*, case: PermitCase, change: str, user: Any, reason: str = "") -> None:
    """Tell the resident where the card is (`permit.delivery_changed`), through the delivery
    service that keeps the card's delivery sequence."""
    extra: dict[str, Any] = {"reason": reason} if reason else {}
    delivery_emit(case=case, change=change, actor=_actor(user), **extra)


def production_batch_export(*, user: AbstractBaseUser, number: str) -> ProductionBatch:
    """Export an open batch: build and sign the bureau's file, keep it encrypted, and move every
    card of the batch to "in production", audited as a read of the card data."""
    production_batch_check_visible(user=user, number=number)
    station = production_station_for(user=user)
    now = timezone.now()
    with atomic_for(PermitCase, durable=True):
        batch = (
            ProductionBatch.objects.select_for_update()
            .select_related("station")
            .filter(station=station, number=number.strip()[:40])
            .first()
        )
        if batch is None:
            raise ProductionBatchNotFound()
        if batch.status != ProductionBatchStatus.OPEN:
            raise PermitError(
                "batch_not_open",
                f"该批次已{batch.get_status_display()}，不能再次导出（可下载已导出的文件）",
                f"This batch is {batch.status}; download the exported file instead",
                status=409,
            )
        cases = list(
            PermitCase.objects.select_for_update()
            .select_related("station")
            .filter(production_batch=batch)
            .order_by("id")
        )
        # A card moved on by hand meanwhile (the manual fallback) is not the batch's any more.
        gone = [c.pk for c in cases if (c.status, c.task) != (PermitStatus.APPROVED, Task.PRODUCE)]
        if gone:
            PermitCase.objects.filter(id__in=gone).update(production_batch=None)
        cases = [c for c in cases if c.pk not in gone]
        if not cases:
            raise PermitError(
                "batch_empty",
                "该批次没有待制证的证件",
                "This batch holds no card waiting for production",
                status=409,
            )
        permits = list(
            ResidencePermit.objects.filter(case_id__in=[c.pk for c in cases]).order_by(
                "permit_number"
            )
        )
        built = production_file_build(
            batch=batch, permits=permits, references={c.pk: c.reference for c in cases}
        )
        stored = file_put(zone="police", content=built.content)
        made_before = set(
            ProductionCard.objects.filter(case_id__in=[c.pk for c in cases]).values_list(
                "case_id", flat=True
            )
        )
        number_of = {p.case_id: p.permit_number for p in permits}
        ProductionCard.objects.bulk_create(
            ProductionCard(batch=batch, case=c, permit_number=number_of[c.pk]) for c in cases
        )
        batch.status = ProductionBatchStatus.EXPORTED
        batch.card_count = len(cases)
        batch.exported_at = now
        batch.exported_by = user  # type: ignore[assignment]
        batch.file_sha256 = built.sha256
        batch.file_size = len(built.content)
        batch.stored_name = stored.name
        batch.key_id = built.key_id
        batch.save()
        for case in cases:
            previous = case.status
            case.status = PermitStatus.IN_PRODUCTION
            case.task_since = now
            case.assigned_to = None
            case.assigned_at = None
            case.save(update_fields=["status", "task_since", "assigned_to", "assigned_at"])
            _history(user=user, case=case, previous=previous, note=f"制证批次{batch.number}")
            # The portal already shows a card made again as in production: no second SMS.
            if case.channel == "online" and case.pk not in made_before:
                permit_status_emit(case, actor=_actor(user))
            _delivery_emit(case=case, change="production_started", user=user)
            audit_record(
                **audit_actor(user),
                action="permit.in_production",
                object_type=CASE_OBJECT_TYPE,
                object_id=case.reference,
                purpose=PURPOSE,
                detail={"batch": batch.number},
            )
        audit_record(
            **audit_actor(user),
            action="production_batch.export",
            object_type=OBJECT_TYPE,
            object_id=batch.number,
            purpose=PURPOSE,
            detail={
                "fields": CARD_FIELDS,
                "cards": len(cases),
                "sha256": built.sha256,
                "key_id": built.key_id,
                "references": [c.reference for c in cases],
            },
        )
    logger.info(
        "production batch exported batch=%s cards=%s sha256=%s",
        batch.number,
        len(cases),
        built.sha256,
    )
    return batch


def production_batch_file_for_staff(*, user: Any, number: str) -> tuple[bytes, str]:
    """The exported file of a batch (the very bytes exported), audited as a read of the card
    data of every card in it."""
    batch = production_batch_get_for_staff(user=user, number=number)
    if not batch.stored_name:
        raise PermitError(
            "batch_not_exported",
            "该批次尚未导出",
            "This batch has not been exported",
            status=409,
        )
    content = file_get(zone="police", name=batch.stored_name)
    if hashlib.sha256(content).hexdigest() != batch.file_sha256:
        raise PermitError(
            "batch_file_altered",
            "制证文件与导出时记录的校验值不符，请联系系统管理员",
            "The stored batch file does not match the hash recorded at export",
            status=500,
        )
    audit_read_personal_data(
        user=user,
        object_type=OBJECT_TYPE,
        object_id=batch.number,
        fields=CARD_FIELDS,
        purpose=f"{PURPOSE}_download",
    )
    return content, f"card-production-{batch.number}.zip"


# -- the bureau's return (制证回执) ---------------------------------------------------------------


@dataclass(frozen=True)
class ReturnRow:
    line: int
    permit_number: str
    result: str
    reason: str


@dataclass
class ImportResult:
    """What an import did; `already` when the very same file had been imported before."""

    rows: int = 0
    printed: int = 0
    failed: int = 0
    unchanged: int = 0
    already: bool = False
    batches: list[str] = field(default_factory=list)


def _shown(value: str) -> str:
    """A value as a message may repeat it: short, and never an ID or a mobile number."""
    value = value[:40]
    if _LOOKS_IDENTIFYING.search(value):
        return mask_id_number(value) if len(value) >= 18 else mask_phone(value)
    return value


def _row_error(line: int, column: str, value: str, why_zh: str, why_en: str) -> FieldError:
    label = dict(RETURN_COLUMNS).get(column, column)
    shown = _shown(value)
    return FieldError(
        field=f"row{line}.{column}",
        code="return_row_invalid",
        message_zh=f"第{line}行“{label}”列（值“{shown}”）：{why_zh}",
        message_en=f"Row {line}, column {column} (value {shown!r}): {why_en}",
    )


def _refuse(errors: list[FieldError], *, rows: int) -> PermitError:
    total = len(errors)
    shown = errors[:RETURN_MAX_ERRORS]
    more_zh = f"（仅列出前{RETURN_MAX_ERRORS}处）" if total > RETURN_MAX_ERRORS else ""
    more_en = f" (the first {RETURN_MAX_ERRORS} listed)" if total > RETURN_MAX_ERRORS else ""
    return PermitError(
        "return_invalid",
        f"制证回执有{total}处错误{more_zh}，整个文件未导入，请改正后重新导入",
        f"The return has {total} problems{more_en}; nothing was imported",
        errors=shown,
        extra={"rows": rows},
    )


def _line_of(error: FieldError) -> int:
    return int(error.field.split(".")[0].removeprefix("row"))


def _file_error(code: str, zh: str, en: str) -> PermitError:
    return PermitError(code, f"制证回执无法导入：{zh}", f"The return cannot be imported: {en}")


def _header(row: list[str]) -> bool:
    cells = [c.strip().lower() for c in row]
    return cells in (
        [name for name, _ in RETURN_COLUMNS],
        [label for _, label in RETURN_COLUMNS],
    )


def production_return_parse(content: bytes) -> list[ReturnRow]:
    """The rows of a return file within its limits, or `PermitError` listing every bad row
    (row, column, value, why). Needs no database: the state of each card is checked under
    the row locks of the import."""
    rows, errors, count = _parse(content)
    if errors:
        raise _refuse(errors, rows=count)
    return rows


def _parse(content: bytes) -> tuple[list[ReturnRow], list[FieldError], int]:
    """The good rows, the problems of the bad ones, and the number of data rows; a file that
    cannot be read as a return at all raises at once."""
    if len(content) > RETURN_MAX_BYTES:
        raise _file_error(
            "return_too_large",
            f"文件超过{RETURN_MAX_BYTES // 1024}KB",
            f"larger than {RETURN_MAX_BYTES // 1024} KB",
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error("return_not_utf8", "文件不是UTF-8编码的CSV", "not UTF-8 CSV") from None
    if "\x00" in text:
        raise _file_error("return_binary", "文件含有非文本内容", "holds binary content")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise _file_error("return_empty", "文件是空的", "the file is empty")
        if not _header(header):
            raise _file_error(
                "return_header",
                "第1行须为列名 permit_number,result,reason（或 居住证号码,结果,原因）",
                "row 1 must name the columns permit_number,result,reason",
            )
        raw: list[tuple[int, list[str]]] = []
        for cells in reader:
            if len(raw) >= RETURN_MAX_ROWS:
                raise _file_error(
                    "return_too_many_rows",
                    f"数据超过{RETURN_MAX_ROWS}行，请分成几个文件导入",
                    f"more than {RETURN_MAX_ROWS} rows",
                )
            if any(c.strip() for c in cells):
                raw.append((reader.line_num, cells))
    except csv.Error as exc:
        raise _file_error(
            "return_csv",
            f"第{reader.line_num}行不是有效的CSV格式",
            f"row {reader.line_num} is not valid CSV ({exc})",
        ) from None
    if not raw:
        raise _file_error("return_no_rows", "文件中没有数据行", "no data rows")
    errors: list[FieldError] = []
    rows: list[ReturnRow] = []
    seen: dict[str, int] = {}
    for line, cells in raw:
        row, problems = _parse_row(line, cells, seen)
        errors.extend(problems)
        if row is not None:
            rows.append(row)
    return rows, errors, len(raw)


def _parse_row(
    line: int, cells: list[str], seen: dict[str, int]
) -> tuple[ReturnRow | None, list[FieldError]]:
    if len(cells) not in (2, 3):
        return None, [
            _row_error(
                line,
                "permit_number",
                cells[0] if cells else "",
                f"应为3列（居住证号码、结果、原因），实有{len(cells)}列",
                f"expected 3 columns, found {len(cells)}",
            )
        ]
    too_long = [
        _row_error(
            line,
            column,
            value,
            f"超过{RETURN_MAX_FIELD}个字",
            f"longer than {RETURN_MAX_FIELD} characters",
        )
        for column, value in zip(("permit_number", "result", "reason"), cells, strict=False)
        if len(value) > RETURN_MAX_FIELD
    ]
    if too_long:
        return None, too_long
    number, result, reason = (*[c.strip() for c in cells], "")[:3]
    result = result.lower()
    errors: list[FieldError] = []
    if not _PERMIT_NUMBER.match(number):
        errors.append(
            _row_error(
                line,
                "permit_number",
                number,
                "居住证号码应为1至24位数字或字母" if number else "居住证号码不能为空",
                "a permit number is 1 to 24 digits or letters",
            )
        )
    elif number in seen:
        errors.append(
            _row_error(
                line,
                "permit_number",
                number,
                f"与第{seen[number]}行重复",
                f"repeats row {seen[number]}",
            )
        )
    else:
        seen[number] = line
    if result not in RESULTS:
        errors.append(
            _row_error(
                line,
                "result",
                result,
                "结果应为 printed（已制成）或 failed（制证失败）",
                "the result is printed or failed",
            )
        )
    try:
        reason = clean_text(
            reason, field="reason", label_zh="原因", label_en="reason", max_length=RETURN_MAX_FIELD
        )
    except TextError as exc:
        errors.append(_row_error(line, "reason", reason, exc.message_zh, exc.message_en))
    else:
        if result == "failed" and len(reason) < 2:
            errors.append(
                _row_error(
                    line,
                    "reason",
                    reason,
                    "制证失败须写明原因，申请人将收到该原因",
                    "a failed card needs the reason, which the resident is told",
                )
            )
    if errors:
        return None, errors
    return ReturnRow(line, number, result, reason), []


def _latest_cards(case_ids: Iterable[int]) -> dict[int, ProductionCard]:
    latest: dict[int, ProductionCard] = {}
    cards = (
        ProductionCard.objects.select_related("batch")
        .filter(case_id__in=list(case_ids))
        .order_by("id")
    )
    for card in cards:
        latest[card.case_id] = card
    return latest


def _check_row(
    row: ReturnRow, case: PermitCase | None, card: ProductionCard | None
) -> FieldError | str | None:
    """The row's problem, or what it does: "printed", "failed", "recorded" (the card was
    entered by hand before; only the batch learns the result) or None (already so)."""
    number = row.permit_number
    if case is None:
        return _row_error(
            row.line,
            "permit_number",
            number,
            "未找到该居住证号码，或不属于您可办理的派出所",
            "no such permit number in your scope",
        )
    if card is None:
        return _row_error(
            row.line,
            "permit_number",
            number,
            "该证件未在任何已导出的制证批次中",
            "this card is in no exported batch",
        )
    wanted = RESULTS[row.result]
    if card.result == wanted:
        return None
    if card.result != ProductionResult.PENDING:
        return _row_error(
            row.line,
            "result",
            row.result,
            f"批次{card.batch.number}已记录该证件为“{card.get_result_display()}”，不能改为"
            f"“{ProductionResult(wanted).label}”",
            f"batch {card.batch.number} already has this card as {card.result}",
        )
    if case.status == PermitStatus.IN_PRODUCTION:
        return row.result
    if wanted == ProductionResult.PRINTED and case.status in (
        PermitStatus.READY,
        PermitStatus.COLLECTED,
        PermitStatus.DELIVERED,
    ):
        return "recorded"
    return _row_error(
        row.line,
        "result",
        row.result,
        f"该证件当前为“{case.get_status_display()}”，不能再标记为“{ProductionResult(wanted).label}”",
        f"the card is {case.status}; it cannot be marked {row.result}",
    )


def production_import(
    *, user: AbstractBaseUser, content: bytes, file_name: str = ""
) -> ImportResult:
    """Apply the bureau's return in one transaction under the cards' row locks: all of it, or
    nothing when any row is bad (every bad row is reported). The same file again changes
    nothing; a row that says what is already recorded is counted unchanged."""
    scope = _import_scope(user)
    rows, errors, count = _parse(content)
    digest = hashlib.sha256(content).hexdigest()
    result = ImportResult(rows=count)
    now = timezone.now()
    with atomic_for(PermitCase, durable=True):
        if ProductionReturn.objects.filter(sha256=digest).exists():
            result.already = True
            result.unchanged = len(rows)
            return result
        found = ResidencePermit.objects.filter(permit_number__in=[r.permit_number for r in rows])
        if scope is not None:
            found = found.filter(station_id__in=scope)
        case_of_number = dict(found.values_list("permit_number", "case_id"))
        cases = {
            c.pk: c
            for c in PermitCase.objects.select_for_update()
            .select_related("station")
            .filter(id__in=list(case_of_number.values()))
            .order_by("id")
        }
        latest = _latest_cards(cases)
        plan: list[tuple[ReturnRow, PermitCase, ProductionCard, str]] = []
        for row in rows:
            case_id = case_of_number.get(row.permit_number)
            case = cases.get(case_id) if case_id else None
            card = latest.get(case_id) if case_id else None
            outcome = _check_row(row, case, card)
            if isinstance(outcome, FieldError):
                errors.append(outcome)
            elif outcome is None:
                result.unchanged += 1
            else:
                assert case is not None and card is not None
                plan.append((row, case, card, outcome))
        if errors:
            order = [name for name, _label in RETURN_COLUMNS]
            errors.sort(key=lambda e: (_line_of(e), order.index(e.field.split(".")[1])))
            raise _refuse(errors, rows=count)
        batch_ids = sorted({card.batch_id for _r, _c, card, _o in plan})
        list(ProductionBatch.objects.select_for_update().filter(id__in=batch_ids).order_by("id"))
        returned = ProductionReturn.objects.create(
            sha256=digest,
            file_name=file_name[:200],
            imported_at=now,
            imported_by=user,
            row_count=len(rows),
        )
        for row, case, card, outcome in plan:
            card.result = RESULTS[row.result]
            card.reason = row.reason
            card.decided_at = now
            card.return_file = returned
            card.save(update_fields=["result", "reason", "decided_at", "return_file"])
            if card.result == ProductionResult.PRINTED:
                result.printed += 1
                ProductionBatch.objects.filter(pk=card.batch_id).update(
                    printed_count=F("printed_count") + 1
                )
                if outcome == "printed":
                    _printed(user=user, case=case, batch=card.batch)
            else:
                result.failed += 1
                ProductionBatch.objects.filter(pk=card.batch_id).update(
                    failed_count=F("failed_count") + 1
                )
                _failed(user=user, case=case, batch=card.batch, reason=row.reason)
        done = set(
            ProductionBatch.objects.filter(id__in=batch_ids, status=ProductionBatchStatus.EXPORTED)
            .exclude(cards__result=ProductionResult.PENDING)
            .values_list("id", flat=True)
        )
        ProductionBatch.objects.filter(id__in=done).update(
            status=ProductionBatchStatus.RETURNED, returned_at=now
        )
        result.batches = list(
            ProductionBatch.objects.filter(id__in=batch_ids)
            .order_by("number")
            .values_list("number", flat=True)
        )
        returned.printed_count = result.printed
        returned.failed_count = result.failed
        returned.unchanged_count = result.unchanged
        returned.save(update_fields=["printed_count", "failed_count", "unchanged_count"])
        audit_record(
            **audit_actor(user),
            action="production_batch.import_return",
            object_type=OBJECT_TYPE,
            object_id=",".join(result.batches)[:200] or "-",
            purpose=PURPOSE,
            detail={
                "sha256": digest,
                "rows": result.rows,
                "printed": result.printed,
                "failed": result.failed,
                "unchanged": result.unchanged,
            },
        )
    logger.info(
        "production return imported sha256=%s rows=%s printed=%s failed=%s unchanged=%s",
        digest,
        result.rows,
        result.printed,
        result.failed,
        result.unchanged,
    )
    return result


def _printed(*, user: Any, case: PermitCase, batch: ProductionBatch) -> None:
    case.production_failure = ""
    permit_card_at_station(case=case, user=user, note=f"制证批次{batch.number}已制成")


def _failed(*, user: Any, case: PermitCase, batch: ProductionBatch, reason: str) -> None:
    """The card goes back to wait for the next batch, the reason shown in the queue. The
    resident hears of it by the delivery message (an SMS); the status message is not sent
    again, since the portal's status would only step back and forth."""
    previous = case.status
    case.status = PermitStatus.APPROVED
    case.task = Task.PRODUCE
    case.task_since = timezone.now()
    case.assigned_to = None
    case.assigned_at = None
    case.production_batch = None
    case.production_failure = reason
    case.save(
        update_fields=[
            "status",
            "task",
            "task_since",
            "assigned_to",
            "assigned_at",
            "production_batch",
            "production_failure",
        ]
    )
    _history(
        user=user, case=case, previous=previous, note=f"制证批次{batch.number}制证失败：{reason}"
    )
    audit_record(
        **audit_actor(user),
        action="permit.production_failed",
        object_type=CASE_OBJECT_TYPE,
        object_id=case.reference,
        purpose=PURPOSE,
        detail={"batch": batch.number},
    )
    _delivery_emit(case=case, change="production_failed", user=user, reason=reason)


# -- operations: where the cards are (reads) ----------------------------------------------------

# The stages of a station's cards on the operations board, in the order a card passes them.
STAGES: tuple[tuple[str, str], ...] = (
    ("waiting_production", "待制证"),
    ("in_production", "制证中"),
    ("ready_for_pickup", "待领取"),
    ("awaiting_courier", "待寄出"),
    ("shipped", "已寄出"),
    ("returned", "快递退回待领取"),
    ("delivered", "已签收"),
)
BOARD_ROLES = BATCH_ROLES
OVERSEEING_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
BOARD_MAX_ROWS = 500
BOARD_DELIVERED_DAYS = 30
PERIOD_MAX_DAYS = 366
_SHIPPED = ("created", "picked_up", "in_transit", "out_for_delivery", "failed_attempt")


@dataclass(frozen=True)
class BoardRow:
    reference: str
    permit_number: str
    stage: str
    since: dt.datetime | None
    days: int | None
    uncollected: bool
    alarmed: bool
    tracking_number: str


@dataclass
class Board:
    station: Station
    counts: dict[str, int]
    rows: list[BoardRow]
    uncollected: int
    alarmed: int
    uncollected_days: int


def operations_oversees(*, user: Any) -> bool:
    """Whether `user` oversees stations (district or city administrator) rather than works at
    one."""
    profile = _profile(user)
    return profile is not None and profile.role in OVERSEEING_ROLES and profile.station is None


def operations_stations_for(*, user: Any) -> list[Station]:
    """The stations whose boards an overseer may open: their district's, or the city's."""
    districts = operations_districts_for(user=user)
    stations = Station.objects.order_by("district_code", "code").only(
        "code", "name", "district_code"
    )
    if districts is not None:
        stations = stations.filter(district_code__in=districts)
    return list(stations)


def operations_station_for(*, user: Any, station_code: str = "") -> Station:
    """The station whose board `user` sees: their own (clerk, station administrator), or one
    in their scope by code (district and city administrators); 404 outside it, 403 for other
    roles."""
    profile = _profile(user)
    if profile is not None and profile.role in BOARD_ROLES and profile.station is not None:
        if station_code and station_code != profile.station.code:
            raise NotFound("station_not_found", "未找到该派出所", "Station not found")
        return profile.station
    if profile is None or profile.role not in OVERSEEING_ROLES:
        raise PermitError(
            "role_cannot_see_cards",
            "您的岗位无权查看证件流转情况",
            "Your role may not see where the cards are",
            status=403,
        )
    station = Station.objects.filter(code=station_code.strip()[:20]).first()
    if station is None or (
        profile.role == Role.DISTRICT_ADMIN and station.district_code != profile.district_code
    ):
        raise NotFound("station_not_found", "未找到该派出所", "Station not found")
    return station


def operations_station_board(*, station: Station) -> Board:
    """A station's cards by stage with each card's age in its stage; cards ready longer than
    ONETRIP_CARD_UNCOLLECTED_DAYS and shipments whose order is alarmed are marked. A fixed
    number of queries however many cards: the stage is computed in the database."""
    now = timezone.now()
    uncollected_days = int(settings.ONETRIP_CARD_UNCOLLECTED_DAYS)
    latest = (
        Shipment.objects.filter(case=OuterRef("pk"))
        .exclude(status=ShipmentStatus.CANCELLED)
        .order_by("-created_at", "-id")
    )
    cards = (
        PermitCase.objects.filter(station=station)
        .filter(
            Q(status=PermitStatus.APPROVED, task=Task.PRODUCE)
            | Q(status__in=[PermitStatus.IN_PRODUCTION, PermitStatus.READY])
            | Q(
                status=PermitStatus.DELIVERED,
                permit__handed_over_at__gte=now - dt.timedelta(days=BOARD_DELIVERED_DAYS),
            )
        )
        .annotate(
            ship_status=Subquery(latest.values("status")[:1]),
            ship_since=Subquery(latest.values("updated_at")[:1]),
            ship_alarmed=Subquery(latest.values("alarmed_at")[:1]),
            ship_tracking=Subquery(latest.values("tracking_number")[:1]),
        )
        .annotate(
            stage=Case(
                When(status=PermitStatus.APPROVED, then=Value("waiting_production")),
                When(status=PermitStatus.IN_PRODUCTION, then=Value("in_production")),
                When(status=PermitStatus.DELIVERED, then=Value("delivered")),
                When(ship_status__in=_SHIPPED, then=Value("shipped")),
                When(delivery="post", then=Value("awaiting_courier")),
                When(ship_status=ShipmentStatus.RETURNED, then=Value("returned")),
                default=Value("ready_for_pickup"),
                output_field=CharField(),
            )
        )
    )
    counts = dict.fromkeys((code for code, _label in STAGES), 0)
    for row in cards.values("stage").annotate(n=Count("id")).order_by():
        counts[row["stage"]] = row["n"]
    page = cards.values(
        "reference",
        "stage",
        "task_since",
        "ship_since",
        "ship_alarmed",
        "ship_tracking",
        "permit__permit_number",
        "permit__handed_over_at",
    ).order_by("task_since", "id")[:BOARD_MAX_ROWS]
    rows = []
    for row in page:
        stage = row["stage"]
        since = {
            "shipped": row["ship_since"],
            "delivered": row["permit__handed_over_at"],
        }.get(stage, row["task_since"])
        days = (now - since).days if since else None
        rows.append(
            BoardRow(
                reference=row["reference"],
                permit_number=row["permit__permit_number"] or "",
                stage=stage,
                since=since,
                days=days,
                uncollected=stage in ("ready_for_pickup", "returned")
                and days is not None
                and days > uncollected_days,
                alarmed=row["ship_alarmed"] is not None
                and stage in ("awaiting_courier", "shipped"),
                tracking_number=row["ship_tracking"] or "",
            )
        )
    order = [code for code, _label in STAGES]
    rows.sort(key=lambda r: (order.index(r.stage), -(r.days or 0)))
    return Board(
        station=station,
        counts=counts,
        rows=rows,
        uncollected=sum(1 for r in rows if r.uncollected),
        alarmed=sum(1 for r in rows if r.alarmed),
        uncollected_days=uncollected_days,
    )


@dataclass(frozen=True)
class DistrictFigures:
    district_code: str
    delivered: int
    returned: int
    success_rate: float | None  # delivered / (delivered + returned)
    median_days: float | None  # approval to delivery
    p90_days: float | None


def operations_districts_for(*, user: Any) -> list[str] | None:
    """District codes `user` may see figures of; None is the whole city; 403 for others."""
    profile = _profile(user)
    if profile is not None and profile.role == Role.CITY_ADMIN:
        return None
    if profile is not None and profile.role == Role.DISTRICT_ADMIN and profile.district_code:
        return [profile.district_code]
    raise PermitError(
        "role_cannot_see_figures",
        "只有市局或分局管理员可以查看证件送达统计",
        "Only city and district administrators see the delivery figures",
        status=403,
    )


def operations_check_period(*, start: dt.date, end: dt.date) -> None:
    if end < start or (end - start).days >= PERIOD_MAX_DAYS:
        raise PermitError(
            "period_invalid",
            f"统计期间须起止有序，且不超过{PERIOD_MAX_DAYS}天",
            f"The period must run forward and span at most {PERIOD_MAX_DAYS} days",
            field="start",
        )


def _percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    return values[max(0, math.ceil(share * len(values)) - 1)]


def _median(values: Sequence[float]) -> float:
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def operations_city_figures(*, user: Any, start: dt.date, end: dt.date) -> list[DistrictFigures]:
    """Per district over [start, end] (local days): cards delivered by courier, shipments
    returned, the delivery success rate, and the days from approval to delivery (median, p90).
    Two queries whatever the number of cards: counts and durations come from the database."""
    districts = operations_districts_for(user=user)
    operations_check_period(start=start, end=end)
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    delivered = ResidencePermit.objects.filter(
        case__status=PermitStatus.DELIVERED,
        handed_over_at__gte=since,
        handed_over_at__lt=until,
        case__approved_at__isnull=False,
    )
    returned = Shipment.objects.filter(
        status=ShipmentStatus.RETURNED, updated_at__gte=since, updated_at__lt=until
    )
    if districts is not None:
        delivered = delivered.filter(station__district_code__in=districts)
        returned = returned.filter(case__station__district_code__in=districts)
    durations: dict[str, list[float]] = {}
    rows = (
        delivered.annotate(
            took=ExpressionWrapper(
                F("handed_over_at") - F("case__approved_at"), output_field=DurationField()
            )
        )
        .order_by("station__district_code", "took")
        .values_list("station__district_code", "took")
    )
    for code, took in rows:
        durations.setdefault(code, []).append(took.total_seconds() / 86400)
    returned_by = dict(
        returned.values("case__station__district_code")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("case__station__district_code", "n")
    )
    codes = sorted(set(durations) | set(returned_by) | set(districts or ()))
    figures = []
    for code in codes:
        days = durations.get(code, [])
        done, back = len(days), int(returned_by.get(code, 0))
        figures.append(
            DistrictFigures(
                district_code=code,
                delivered=done,
                returned=back,
                success_rate=done / (done + back) if done + back else None,
                median_days=round(_median(days), 1) if days else None,
                p90_days=round(_percentile(days, 0.9), 1) if days else None,
            )
        )
    return figures
