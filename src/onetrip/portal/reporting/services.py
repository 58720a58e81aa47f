"""Organisation reporting on the portal: sign-up, members, API tokens and imports (WF-4).

An import is read in the background, row by row and never whole: valid rows are gathered into
chunks of `MAX_ROWS_PER_MESSAGE` and each chunk is one ferry message, committed in one short
transaction with the problems of the rows it covers and the counters the progress bar shows.
That transaction is also the resume point: a worker killed mid-file leaves `chunks_sent` and
`checkpoint_row` at the last committed chunk, and the run that takes over reads the file again
from the top (to rebuild the checks across rows) but sends and counts only what lies beyond.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Count, F
from django.utils import timezone

from onetrip.common import divisions
from onetrip.common.bulk import insert_rows
from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for, db_for
from onetrip.common.errors import ApplicationError
from onetrip.common.filestore import file_get, file_put
from onetrip.common.identifiers import normalize_mobile, validate_uscc
from onetrip.common.masking import mask_id_number, mask_name
from onetrip.common.text import clean_person_name, clean_text
from onetrip.contracts.reporting import (
    MAX_ROWS_PER_MESSAGE,
    HouseReportRow,
    OrganisationDecidedV1,
    OrganisationRegisteredV1,
    PersonReportRow,
    ReportRowsAppliedV1,
    ReportRowsSubmittedV1,
)
from onetrip.ferry.agent.outbox import emit
from onetrip.portal.accounts.models import Resident
from onetrip.portal.notify.services import sms_queue

from .errors import (
    IdempotencyKeyReused,
    ImportNotFound,
    NotAnAdmin,
    OrganisationNotApproved,
    OrganisationNotFound,
    ReportingError,
)
from .files import FileRefused, RawRow, check_file_name, read_rows
from .models import (
    ApiToken,
    ImportCounter,
    ImportProblem,
    ImportSource,
    ImportStatus,
    MemberRole,
    Organisation,
    OrganisationMember,
    OrganisationStatus,
    ProblemSource,
    ReportImport,
    RosterEntry,
    RosterHouse,
    TokenScope,
)
from .rows import RowError, RowValidator, community_resolver

logger = logging.getLogger(__name__)

ZONE = "portal"
PURPOSE = "organisation_reporting"
# An API batch is kept as this JSON document and read back through `rows_of` like a file.
API_BATCH_FILENAME = "batch.json"
# API field names that differ from the sheets' column keys (columns.py).
API_FIELD_KEYS = {"date": "event_date", "address": "address_detail"}
TOKEN_PREFIX = "otr"  # noqa: S105 (the tokens' visible prefix, not a secret)
TOKEN_MAX_DAYS = 366
# An import whose worker has not written for this long is taken over by the sweep.
IMPORT_STALE_SECONDS = 120


# --- Organisations and members -----------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationInput:
    credit_code: str
    name: str
    kind: str
    district_code: str
    address: str
    contact_name: str


def _phone_of(resident: Resident) -> str:
    return str(resident.phone)


def organisation_register(*, resident: Resident, data: OrganisationInput) -> Organisation:
    """Sign an organisation up; the signed-in person becomes its administrator and contact.

    The district administrator's decision comes back over the ferry; until then nothing may be
    reported. A credit code already signed up is refused: its administrator adds members."""
    from django.utils.translation import gettext as _

    credit_code = validate_uscc(data.credit_code)
    name = clean_text(
        data.name, field="name", label_zh="单位名称", label_en="name", max_length=100, required=True
    )
    address = clean_text(
        data.address,
        field="address",
        label_zh="单位地址",
        label_en="address",
        max_length=200,
        required=True,
    )
    contact_name = clean_person_name(data.contact_name, field="contact_name", label_zh="联系人")
    if data.kind not in dict(Organisation._meta.get_field("kind").choices or []):
        raise ReportingError("kind_unknown", "请选择单位类型", "Choose the organisation's type")
    district = divisions.district(data.district_code)
    if district is None:
        raise ReportingError(
            "district_unknown",
            "请选择本市的区县",
            "Choose a district of the city",
            field="district",
        )
    phone = normalize_mobile(_phone_of(resident))
    now = timezone.now()
    try:
        with atomic_for(Organisation):
            organisation = Organisation.objects.create(
                credit_code=credit_code,
                name=name,
                kind=data.kind,
                district_code=data.district_code,
                address=address,
                contact_name=contact_name,
                contact_phone=phone,
                registered_at=now,
            )
            OrganisationMember.objects.create(
                organisation=organisation,
                phone=phone,
                phone_hash=lookup_hash(phone, purpose="phone"),
                name=contact_name,
                role=MemberRole.ADMIN,
            )
            emit(
                zone=ZONE,
                message=OrganisationRegisteredV1(
                    credit_code=credit_code,
                    name=name,
                    kind=data.kind,  # type: ignore[arg-type]
                    district_code=data.district_code,
                    address=address,
                    contact_name=contact_name,
                    contact_phone=phone,
                    registered_at=now,
                ),
                aggregate_id=credit_code,
                correlation_id=credit_code,
                actor=f"resident:{resident.pk}",
                purpose=PURPOSE,
            )
    except IntegrityError:
        raise ReportingError(
            "credit_code_taken",
            _("该统一社会信用代码已经注册，请联系本单位的管理员把您添加为经办人"),
            "This credit code is already signed up; ask your organisation's administrator to "
            "add you",
            field="credit_code",
        ) from None
    logger.info("organisation registered credit_code=%s", credit_code)
    return organisation


def organisation_decision_apply(*, message: OrganisationDecidedV1) -> None:
    """The district's decision, in the ferry's apply transaction (a replay is skipped there)."""
    updated = Organisation.objects.filter(credit_code=message.credit_code).update(
        status=message.decision,
        decision_reason=message.reason,
        decided_at=message.decided_at,
    )
    if not updated:
        logger.warning("decision for unknown organisation credit_code=%s", message.credit_code)


def memberships_of(resident: Resident) -> list[OrganisationMember]:
    phone_hash = lookup_hash(normalize_mobile(_phone_of(resident)), purpose="phone")
    return list(
        OrganisationMember.objects.filter(phone_hash=phone_hash, removed_at__isnull=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def member_for(*, resident: Resident, credit_code: str) -> OrganisationMember:
    """The signed-in person's membership of the organisation, or not found (never a hint that
    the organisation exists)."""
    for member in memberships_of(resident):
        if member.organisation.credit_code == credit_code:
            return member
    raise OrganisationNotFound


def organisation_check_may_report(organisation: Organisation) -> None:
    if organisation.status != OrganisationStatus.APPROVED:
        raise OrganisationNotApproved(str(organisation.get_status_display()))


def member_add(
    *, admin: OrganisationMember, phone: str, name: str, role: str
) -> OrganisationMember:
    if admin.role != MemberRole.ADMIN:
        raise NotAnAdmin
    phone = normalize_mobile(phone)
    name = clean_person_name(name)
    if role not in MemberRole.values:
        raise ReportingError("role_unknown", "请选择成员角色", "Choose the member's role")
    try:
        with atomic_for(OrganisationMember):
            return OrganisationMember.objects.create(
                organisation=admin.organisation,
                phone=phone,
                phone_hash=lookup_hash(phone, purpose="phone"),
                name=name,
                role=role,
            )
    except IntegrityError:
        raise ReportingError(
            "member_exists", "该手机号码已是本单位成员", "This number is already a member"
        ) from None


def member_remove(*, admin: OrganisationMember, member_id: int) -> None:
    if admin.role != MemberRole.ADMIN:
        raise NotAnAdmin
    if member_id == admin.pk:
        raise ReportingError(
            "member_self", "不能移除您自己", "You cannot remove yourself", field="member"
        )
    updated = OrganisationMember.objects.filter(
        pk=member_id, organisation=admin.organisation, removed_at__isnull=True
    ).update(removed_at=timezone.now())
    if not updated:
        raise OrganisationNotFound


# --- API tokens ----------------------------------------------------------------------------------


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *, admin: OrganisationMember, name: str, scopes: Iterable[str], days: int
) -> tuple[ApiToken, str]:
    """A new token and its text, shown once. Only the hash of the secret is stored."""
    if admin.role != MemberRole.ADMIN:
        raise NotAnAdmin
    organisation_check_may_report(admin.organisation)
    name = clean_text(name, field="name", label_zh="用途", label_en="purpose", max_length=50)
    chosen = sorted(set(scopes))
    if not chosen or any(scope not in TokenScope.values for scope in chosen):
        raise ReportingError("scope_unknown", "请选择令牌权限", "Choose the token's scopes")
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise ReportingError(
            "token_days",
            f"有效期应为1至{TOKEN_MAX_DAYS}天",
            f"A token is valid for 1 to {TOKEN_MAX_DAYS} days",
            field="days",
        )
    prefix = secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    with atomic_for(ApiToken):
        token = ApiToken.objects.create(
            organisation=admin.organisation,
            name=name or "API",
            prefix=prefix,
            secret_hash=_secret_hash(secret),
            scopes=chosen,
            created_by=admin,
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def token_revoke(*, admin: OrganisationMember, token_id: int) -> None:
    if admin.role != MemberRole.ADMIN:
        raise NotAnAdmin
    updated = ApiToken.objects.filter(
        pk=token_id, organisation=admin.organisation, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated:
        raise OrganisationNotFound


def token_authenticate(text: str, *, scope: str) -> ApiToken | None:
    """The live token `text` names, if it carries `scope`; None for anything else (unknown,
    wrong secret, expired, revoked, missing scope, an organisation no longer approved)."""
    parts = text.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(text) > 200:
        return None
    token = (
        ApiToken.objects.filter(prefix=parts[1], revoked_at__isnull=True)
        .select_related("organisation")
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, _secret_hash(parts[2])):
        return None
    now = timezone.now()
    if token.expires_at <= now or scope not in token.scopes:
        return None
    if token.organisation.status != OrganisationStatus.APPROVED:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


# --- Imports -------------------------------------------------------------------------------------


def _next_reference(now: dt.datetime) -> str:
    """RI + yymmdd + 8 digits, from a per-day counter taken with a conditional UPDATE."""
    day = timezone.localdate(now)
    with atomic_for(ImportCounter):
        if not ImportCounter.objects.filter(day=day).update(last=F("last") + 1):
            try:
                with transaction.atomic(using=db_for(ImportCounter)):
                    ImportCounter.objects.create(day=day, last=1)
            except IntegrityError:
                ImportCounter.objects.filter(day=day).update(last=F("last") + 1)
        last = ImportCounter.objects.get(day=day).last
    return f"RI{day:%y%m%d}{last:08d}"


def import_create(
    *,
    organisation: Organisation,
    source: str,
    filename: str,
    content: bytes,
    member: OrganisationMember | None = None,
    token: ApiToken | None = None,
    dry_run: bool = False,
    idempotency_key: str = "",
    run: bool = True,
) -> tuple[ReportImport, bool]:
    """Keep the file and queue its reading; returns the import and whether it is new.

    The same bytes uploaded again (or the same idempotency key with the same bytes) return the
    first import and change nothing; a reused key with other bytes is a conflict."""
    organisation_check_may_report(organisation)
    if source not in ImportSource.values:
        raise ValueError(f"unknown import source {source!r}")
    limit = int(settings.ONETRIP_REPORT_MAX_BYTES)
    if len(content) > limit:
        raise FileRefused(
            "file_too_large",
            f"文件过大：最大{limit // (1024 * 1024)}MB，请拆分后分批上传",
            f"The file is too large: at most {limit // (1024 * 1024)} MB; split it",
        )
    if not content:
        raise FileRefused("file_empty", "文件是空的", "The file is empty")
    if source != ImportSource.API:
        check_file_name(filename)
    digest = hashlib.sha256(content).hexdigest()
    existing = _existing_import(organisation, source, digest, dry_run, idempotency_key)
    if existing is not None:
        return existing, False
    stored = file_put(zone=ZONE, content=content)
    now = timezone.now()
    reference = _next_reference(now)
    try:
        with atomic_for(ReportImport):
            report_import = ReportImport.objects.create(
                reference=reference,
                organisation=organisation,
                member=member,
                token=token,
                source=source,
                filename=clean_filename(filename),
                file_name=stored.name,
                file_sha256=digest,
                file_size=len(content),
                idempotency_key=idempotency_key,
                dry_run=dry_run,
                created_at=now,
            )
            if run:
                transaction.on_commit(lambda: _enqueue(reference), using=db_for(ReportImport))
    except IntegrityError:
        existing = _existing_import(organisation, source, digest, dry_run, idempotency_key)
        if existing is None:
            raise
        return existing, False
    logger.info(
        "report import created reference=%s source=%s bytes=%d dry_run=%s",
        reference,
        source,
        len(content),
        dry_run,
    )
    return report_import, True


def _existing_import(
    organisation: Organisation, source: str, digest: str, dry_run: bool, idempotency_key: str
) -> ReportImport | None:
    imports = ReportImport.objects.filter(organisation=organisation)
    if idempotency_key:
        found = imports.filter(idempotency_key=idempotency_key).first()
        if found is not None and (found.file_sha256 != digest or found.dry_run != dry_run):
            raise IdempotencyKeyReused
        return found
    return imports.filter(
        file_sha256=digest, dry_run=dry_run, source__in=[ImportSource.UPLOAD, ImportSource.COMMAND]
    ).first()


def clean_filename(filename: str) -> str:
    name = Path(filename or "upload").name
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    return name or "upload"


def _enqueue(reference: str) -> None:
    from .tasks import import_run_task

    import_run_task.enqueue(reference)


def import_get(*, organisation: Organisation, reference: str) -> ReportImport:
    found = ReportImport.objects.filter(organisation=organisation, reference=reference).first()
    if found is None:
        raise ImportNotFound
    return found


Progress = Callable[[ReportImport], None]


def import_run(*, reference: str, progress: Progress | None = None) -> ReportImport:
    """Read, check and forward one import; safe to run again after a crash (see module doc).

    Each committed chunk carries the problems of its rows and moves the counters, so the
    progress bar, the resume point and the messages never disagree."""
    report_import = ReportImport.objects.select_related("organisation").get(reference=reference)
    if report_import.status not in (ImportStatus.QUEUED, ImportStatus.READING):
        return report_import
    ReportImport.objects.filter(pk=report_import.pk).update(
        status=ImportStatus.READING, heartbeat_at=timezone.now()
    )
    organisation = report_import.organisation
    with _plain_copy(report_import) as path:
        try:
            _read_and_forward(report_import, organisation, path, progress)
        except FileRefused as exc:
            _refuse(report_import, exc)
    report_import.refresh_from_db()
    return report_import


class _plain_copy:
    """The decrypted upload in a private temporary file, removed afterwards (the readers need a
    path; the plain text never stays on disk)."""

    def __init__(self, report_import: ReportImport) -> None:
        self.report_import = report_import
        self.file: IO[bytes] | None = None

    def __enter__(self) -> Path:
        suffix = Path(self.report_import.filename).suffix.lower()[:8]
        self.file = tempfile.NamedTemporaryFile(suffix=suffix)
        self.file.write(file_get(zone=ZONE, name=self.report_import.file_name))
        self.file.flush()
        return Path(self.file.name)

    def __exit__(self, *exc: object) -> None:
        assert self.file is not None
        self.file.close()


@dataclass
class _Chunk:
    people: list[PersonReportRow]
    houses: list[HouseReportRow]
    problems: list[ImportProblem]
    read: int = 0
    rejected: int = 0
    last_ordinal: int = 0

    @property
    def valid(self) -> int:
        return len(self.people) + len(self.houses)


def _new_chunk() -> _Chunk:
    return _Chunk(people=[], houses=[], problems=[])


def _read_and_forward(
    report_import: ReportImport, organisation: Organisation, path: Path, progress: Progress | None
) -> None:
    validator = RowValidator(
        organisation_kind=organisation.kind,
        today=timezone.localdate(),
        community_resolver=community_resolver(),
    )
    checkpoint = report_import.checkpoint_row
    chunk_number = report_import.chunks_sent
    chunk = _new_chunk()
    ordinal = 0
    for raw in rows_of(path, filename=report_import.filename):
        ordinal += 1
        outcome = validator.validate(raw)
        if ordinal <= checkpoint:
            continue  # counted and sent before a restart; validated again only for its state
        chunk.read += 1
        chunk.last_ordinal = ordinal
        if isinstance(outcome, list):
            chunk.rejected += 1
            chunk.problems.extend(_problems(report_import, ProblemSource.FILE, outcome))
        elif isinstance(outcome, PersonReportRow):
            chunk.people.append(outcome)
        else:
            chunk.houses.append(outcome)
        if chunk.valid >= MAX_ROWS_PER_MESSAGE or len(chunk.problems) >= MAX_ROWS_PER_MESSAGE:
            if chunk.valid:
                chunk_number += 1
            _commit_chunk(report_import, organisation, chunk, chunk_number)
            if progress is not None:
                report_import.refresh_from_db()
                progress(report_import)
            chunk = _new_chunk()
    if chunk.read or chunk.valid:
        if chunk.valid:
            chunk_number += 1
        _commit_chunk(report_import, organisation, chunk, chunk_number)
    _finish_reading(report_import)
    if progress is not None:
        report_import.refresh_from_db()
        progress(report_import)


def rows_of(path: Path, *, filename: str) -> Iterator[RawRow]:
    """The rows of a kept upload or API batch, in order; API items are numbered from 1."""
    if filename != API_BATCH_FILENAME:
        yield from read_rows(
            path, filename=filename, max_rows=int(settings.ONETRIP_REPORT_MAX_ROWS)
        )
        return
    document = json.loads(path.read_bytes())
    for sheet in ("houses", "people"):
        for number, item in enumerate(document.get(sheet, []), start=1):
            values = {
                API_FIELD_KEYS.get(key, key): value
                for key, value in item.items()
                if value is not None
            }
            yield RawRow(sheet=sheet, number=number, values=values)


def _problems(
    report_import: ReportImport, source: str, errors: Iterable[RowError]
) -> Iterator[ImportProblem]:
    for error in errors:
        yield ImportProblem(
            report_import=report_import,
            source=source,
            sheet=error.sheet,
            row=error.row,
            column=error.column[:40],
            value_shown=error.value_shown[:100],
            code=error.code[:60],
            message_zh=error.message_zh[:300],
            message_en=error.message_en[:300],
        )


def _commit_chunk(
    report_import: ReportImport, organisation: Organisation, chunk: _Chunk, number: int
) -> None:
    """One short transaction: the chunk's message (if it has valid rows), its problems and the
    counters, and the resume point. A dry run sends nothing."""
    send = chunk.valid > 0 and not report_import.dry_run
    with atomic_for(ReportImport):
        if send:
            emit(
                zone=ZONE,
                message=ReportRowsSubmittedV1(
                    import_reference=report_import.reference,
                    chunk=number,
                    credit_code=organisation.credit_code,
                    organisation_kind=organisation.kind,  # type: ignore[arg-type]
                    reported_at=report_import.created_at,
                    people=chunk.people,
                    houses=chunk.houses,
                ),
                aggregate_id=report_import.reference,
                correlation_id=report_import.reference,
                actor=f"organisation:{organisation.credit_code}",
                purpose=PURPOSE,
            )
            _roster_apply(report_import, organisation, chunk)
        ImportProblem.objects.bulk_create(chunk.problems)
        ReportImport.objects.filter(pk=report_import.pk).update(
            rows_read=F("rows_read") + chunk.read,
            rows_valid=F("rows_valid") + chunk.valid,
            rows_rejected=F("rows_rejected") + chunk.rejected,
            chunks_sent=number if chunk.valid else F("chunks_sent"),
            checkpoint_row=chunk.last_ordinal,
            heartbeat_at=timezone.now(),
        )


ROSTER_ENTRY_UNIQUE = ("organisation", "id_hash", "relation")
ROSTER_ENTRY_FIELDS = (
    *ROSTER_ENTRY_UNIQUE,
    "name_masked",
    "id_masked",
    "community_code",
    "house_ref",
    "since",
    "left_on",
    "import_reference",
)
ROSTER_HOUSE_FIELDS = (
    "organisation",
    "house_ref",
    "community_code",
    "rooms",
    "let_from",
    "let_until",
)


def _roster_apply(report_import: ReportImport, organisation: Organisation, chunk: _Chunk) -> None:
    """The organisation's own view of whom it houses or employs, moved by this chunk's rows
    (two statements for the people, one for the houses). Only masked values are kept.

    The rows go through `common/bulk.py::insert_rows`, not `bulk_create`, which prepares every
    value through its field and cost about five times the CPU per chunk. So the values are
    prepared here as the fields would: dates adapted by the connection, the organisation as its
    key, and a departure of someone not on the roster yet gets the model's defaults (no
    community, house or day of arrival)."""
    adapt_date = connections[db_for(RosterEntry)].ops.adapt_datefield_value
    reference = report_import.reference
    final: dict[tuple[str, str], dict[str, Any]] = {}
    left_only: dict[tuple[str, str], dict[str, Any]] = {}
    for row in chunk.people:
        key = (lookup_hash(row.id_number, purpose="id_number"), row.relation)
        entry = final.get(key)
        if row.event == "arrived":
            left_only.pop(key, None)
            final[key] = {
                "organisation": organisation.pk,
                "id_hash": key[0],
                "relation": row.relation,
                "name_masked": mask_name(row.name),
                "id_masked": mask_id_number(row.id_number),
                "community_code": row.community_code,
                "house_ref": row.house_ref,
                "since": adapt_date(row.event_date),
                "left_on": None,
                "import_reference": reference,
            }
        elif entry is not None:
            entry["left_on"] = adapt_date(row.event_date)
        else:
            left_only[key] = {
                "organisation": organisation.pk,
                "id_hash": key[0],
                "relation": row.relation,
                "name_masked": mask_name(row.name),
                "id_masked": mask_id_number(row.id_number),
                "community_code": "",
                "house_ref": "",
                "since": None,
                "left_on": adapt_date(row.event_date),
                "import_reference": reference,
            }
    insert_rows(
        RosterEntry,
        ROSTER_ENTRY_FIELDS,
        [[entry[name] for name in ROSTER_ENTRY_FIELDS] for entry in final.values()],
        conflict_fields=ROSTER_ENTRY_UNIQUE,
        update_fields=[
            "name_masked",
            "id_masked",
            "community_code",
            "house_ref",
            "since",
            "left_on",
            "import_reference",
        ],
    )
    insert_rows(
        RosterEntry,
        ROSTER_ENTRY_FIELDS,
        [[entry[name] for name in ROSTER_ENTRY_FIELDS] for entry in left_only.values()],
        conflict_fields=ROSTER_ENTRY_UNIQUE,
        update_fields=["left_on", "import_reference"],
    )
    houses = {
        row.house_ref: (
            organisation.pk,
            row.house_ref,
            row.community_code,
            row.rooms,
            adapt_date(row.let_from),
            None if row.let_until is None else adapt_date(row.let_until),
        )
        for row in chunk.houses
    }
    insert_rows(
        RosterHouse,
        ROSTER_HOUSE_FIELDS,
        list(houses.values()),
        conflict_fields=["organisation", "house_ref"],
        update_fields=["community_code", "rooms", "let_from", "let_until"],
    )


@dataclass(frozen=True)
class Roster:
    employed: int
    housed: int
    people: list[RosterEntry]
    tenancies_ending: list[RosterHouse]


def organisation_roster(
    *, organisation: Organisation, today: dt.date | None = None, shown: int = 50
) -> Roster:
    """Whom the organisation houses or employs by its own reports, the newest first, and the
    tenancies ending within 30 days (their tenants' departures are due 3 working days after)."""
    today = today or timezone.localdate()
    current = RosterEntry.objects.filter(organisation=organisation, left_on__isnull=True)
    counts = dict(
        current.values_list("relation").annotate(n=Count("id")).values_list("relation", "n")
    )
    return Roster(
        employed=counts.get("employee", 0),
        housed=counts.get("tenant", 0),
        people=list(current.order_by("-since", "pk")[:shown]),
        tenancies_ending=list(
            RosterHouse.objects.filter(
                organisation=organisation,
                let_until__gte=today,
                let_until__lte=today + dt.timedelta(days=30),
            ).order_by("let_until", "house_ref")[:shown]
        ),
    )


def _finish_reading(report_import: ReportImport) -> None:
    with atomic_for(ReportImport):
        locked = ReportImport.objects.select_for_update().get(pk=report_import.pk)
        locked.read_at = timezone.now()
        locked.status = ImportStatus.FORWARDING
        locked.save(update_fields=["read_at", "status"])
        _maybe_done(locked)


def _refuse(report_import: ReportImport, exc: ApplicationError) -> None:
    with atomic_for(ReportImport):
        locked = ReportImport.objects.select_for_update().get(pk=report_import.pk)
        if locked.chunks_sent:
            # Part of the file already went; say what was refused and finish what was sent.
            logger.warning(
                "report import refused mid-file reference=%s code=%s", locked.reference, exc.code
            )
        locked.status = ImportStatus.REFUSED if not locked.chunks_sent else ImportStatus.FORWARDING
        locked.refusal_code = exc.code[:60]
        locked.refusal_zh = exc.message_zh[:300]
        locked.refusal_en = exc.message_en[:300]
        locked.read_at = timezone.now()
        locked.save(update_fields=["status", "refusal_code", "refusal_zh", "refusal_en", "read_at"])
        if locked.status == ImportStatus.REFUSED:
            locked.finished_at = locked.read_at
            locked.save(update_fields=["finished_at"])
            _notify(locked)
        else:
            _maybe_done(locked)


def _maybe_done(locked: ReportImport) -> None:
    """Under the import's row lock: done once every sent chunk has its answer (a dry run and an
    import without valid rows at once)."""
    if locked.status != ImportStatus.FORWARDING:
        return
    if locked.dry_run or locked.chunks_applied >= locked.chunks_sent:
        locked.status = ImportStatus.DONE
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "finished_at"])
        _notify(locked)


def _notify(locked: ReportImport) -> None:
    """Tell the organisation once: the member who uploaded, else its contact."""
    if locked.notified_at is not None or locked.dry_run:
        return
    member = locked.member
    phone = str(member.phone) if member is not None else str(locked.organisation.contact_phone)
    if locked.status == ImportStatus.REFUSED:
        template, params = "report_refused", {"reference": locked.reference}
    else:
        template = "report_done"
        params = {
            "reference": locked.reference,
            "valid": locked.rows_valid - locked.rows_refused,
            "rejected": locked.rows_rejected + locked.rows_refused,
        }
    sms_queue(phone=phone, template=template, params=params, client_ref=f"{locked.reference}-done")
    locked.notified_at = timezone.now()
    locked.save(update_fields=["notified_at"])


def import_rows_applied(*, message: ReportRowsAppliedV1) -> None:
    """The register's answer to one chunk, in the ferry's apply transaction."""
    report_import = (
        ReportImport.objects.select_for_update().filter(reference=message.import_reference).first()
    )
    if report_import is None:
        logger.warning("answer for unknown import reference=%s", message.import_reference)
        return
    ImportProblem.objects.bulk_create(
        ImportProblem(
            report_import=report_import,
            source=ProblemSource.REGISTER,
            sheet="people",
            row=problem.row,
            column=problem.column,
            code=problem.code,
            message_zh=problem.message_zh,
            message_en=problem.message_en,
        )
        for problem in message.refused
    )
    report_import.rows_applied += message.applied
    report_import.rows_unchanged += message.unchanged
    report_import.rows_conflicts += message.conflicts
    report_import.rows_refused += len({problem.row for problem in message.refused})
    report_import.chunks_applied += 1
    report_import.save(
        update_fields=[
            "rows_applied",
            "rows_unchanged",
            "rows_conflicts",
            "rows_refused",
            "chunks_applied",
        ]
    )
    _maybe_done(report_import)


def import_sweep(*, now: dt.datetime | None = None) -> int:
    """Queue again every import whose worker stopped writing (a kill, a restart)."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=IMPORT_STALE_SECONDS)
    references = list(
        ReportImport.objects.filter(status__in=[ImportStatus.QUEUED, ImportStatus.READING])
        .exclude(heartbeat_at__gt=stale)
        .exclude(status=ImportStatus.QUEUED, created_at__gt=stale)
        .values_list("reference", flat=True)
    )
    for reference in references:
        ReportImport.objects.filter(reference=reference).update(heartbeat_at=now)
        _enqueue(reference)
    return len(references)


def import_error_rows(
    report_import: ReportImport,
) -> Iterator[tuple[RawRow | None, list[RowError]]]:
    """The rows with problems, re-read from the kept file, each with its problems (for the
    error report). Problems the register found name rows the file still holds."""
    by_row: dict[tuple[str, int], list[RowError]] = {}
    for problem in report_import.problems.order_by("sheet", "row", "pk"):
        by_row.setdefault((problem.sheet, problem.row), []).append(
            RowError(
                sheet=problem.sheet,
                row=problem.row,
                column=problem.column,
                value_shown=problem.value_shown,
                code=problem.code,
                message_zh=problem.message_zh,
                message_en=problem.message_en,
            )
        )
    if not by_row:
        return
    with _plain_copy(report_import) as path:
        try:
            for raw in rows_of(path, filename=report_import.filename):
                errors = by_row.pop((raw.sheet, raw.number), None)
                if errors is not None:
                    yield raw, errors
        except FileRefused:
            pass
    for errors in by_row.values():
        yield None, errors


def import_error_report(*, report_import: ReportImport, out: IO[bytes]) -> None:
    from .errorreport import error_report_xlsx

    error_report_xlsx(out, rows=import_error_rows(report_import))


def import_progress(report_import: ReportImport) -> dict[str, Any]:
    """What the progress bar and the API show: counts, and a percentage of the work done."""
    total_chunks = max(report_import.chunks_sent, 1)
    if report_import.status == ImportStatus.DONE:
        percent = 100
    elif report_import.status == ImportStatus.FORWARDING:
        percent = 50 + int(50 * report_import.chunks_applied / total_chunks)
    elif report_import.status == ImportStatus.READING:
        estimate = max(report_import.rows_read, 1)
        percent = min(49, int(50 * report_import.rows_read / (estimate + MAX_ROWS_PER_MESSAGE)))
    else:
        percent = 0
    return {
        "reference": report_import.reference,
        "status": report_import.status,
        "status_label": str(report_import.get_status_display()),
        "percent": percent,
        "rows_read": report_import.rows_read,
        "rows_valid": report_import.rows_valid,
        "rows_rejected": report_import.rows_rejected,
        "rows_applied": report_import.rows_applied,
        "rows_unchanged": report_import.rows_unchanged,
        "rows_conflicts": report_import.rows_conflicts,
        "rows_refused": report_import.rows_refused,
        "dry_run": report_import.dry_run,
        "finished": report_import.status in (ImportStatus.DONE, ImportStatus.REFUSED),
    }
