"""Writing the audit log (DOMAIN MLPS-5, WF-6). Everything that appends goes through here."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, TypedDict, TypeVar

from django.conf import settings
from django.db import connections, models, router, transaction
from django.db.models import QuerySet
from django.utils import timezone
from stdnum.cn import ric

from onetrip.common.audit_chain import (
    GENESIS,
    LEGACY_KEY_ID,
    AuditKeyError,
    Checkpoint,
    anchor_line,
    keyed_record_hash,
    parse_anchor_line,
    verify_chain,
)
from onetrip.common.search import staff_search_key
from onetrip.police.accounts.selectors import staff_may_read_audit, staff_profile

from .anchors import locked_anchor_file
from .keys import anchor_path, audit_keys, current_audit_key, declared_legacy_through
from .models import AuditEvent, AuditHead
from .selectors import (
    AuditPage,
    AuditQuery,
    AuditVerification,
    audit_events_page,
    audit_verify,
    chain_rows,
)

M = TypeVar("M", bound=models.Model)

SYSTEM_ACTOR = "system"

# A run glued to letters is part of an opaque token (a hex digest, "CN2067…"), not a number a
# person would write; only runs standing alone are checked.
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\d+[Xx]?(?![0-9A-Za-z])")
_MOBILE = re.compile(r"1[3-9]\d{9}")


def audit_alias() -> str:
    """The police zone's database alias, as the router says — never named in code."""
    return router.db_for_write(AuditEvent)


def _looks_personal(value: str) -> bool:
    """Whether a run of digits in `value` is a valid ID number or a mobile number."""
    return any(
        ric.is_valid(run) if len(run) == 18 else bool(_MOBILE.fullmatch(run))
        for run in _DIGIT_RUN.findall(value)
    )


def _strings_in(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


def _clean_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """The detail exactly as the database will give it back, checked for personal data.

    The JSON round trip matters: the hash is computed before the row is stored and must match
    what `audit_verify` reads back later (tuples become lists, keys become strings).
    """
    if detail is None:
        return {}
    if not isinstance(detail, dict):
        raise TypeError("audit detail must be a dict")
    try:
        cleaned: dict[str, Any] = json.loads(json.dumps(detail, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit detail must be plain JSON: {exc}") from exc
    if any(_looks_personal(text) for text in _strings_in(cleaned)):
        raise ValueError(
            "audit detail must carry ids and field names only, not an ID or phone number"
        )
    return cleaned


_HEAD_COLUMNS = ("id", "last_sequence", "last_hash")
_HEAD_TABLE = AuditHead._meta.db_table
# PostgreSQL only (the table's name is this model's constant, no value is formatted in).
_HEAD_FOR_UPDATE = (
    f'SELECT id, last_sequence, last_hash FROM "{_HEAD_TABLE}" WHERE id = %s FOR UPDATE'  # noqa: S608
)


def _lock_head(alias: str) -> AuditHead:
    """Take the chain's lock and return its head.

    On PostgreSQL `SELECT … FOR UPDATE` locks the head row, so concurrent appends queue here
    until this transaction ends. On SQLite the first statement is a write (an UPDATE that
    changes nothing): it takes the database's write lock before anything is read (a transaction
    that read first could not wait for another writer and would fail with "database is
    locked").
    """
    heads = AuditHead.objects.using(alias)
    connection = connections[alias]
    if connection.vendor == "postgresql":
        # PostgreSQL waits on the row lock of SELECT … FOR UPDATE itself: one statement fewer
        # while the chain is locked. Written out, as `_insert_and_advance` is: every audited
        # read passes here, and building the ORM's query cost more than running it.
        with connection.cursor() as cursor:
            cursor.execute(_HEAD_FOR_UPDATE, [AuditHead.SINGLETON_ID])
            row = cursor.fetchone()
        if row is not None:
            return AuditHead.from_db(alias, _HEAD_COLUMNS, row)
        exists = False
    else:
        exists = bool(heads.filter(pk=AuditHead.SINGLETON_ID).update(id=AuditHead.SINGLETON_ID))
    if not exists:
        # No head yet (a new database, or the tables were flushed): start it from whatever the
        # table already holds. A concurrent first append waits on this insert's key and then
        # does nothing.
        last = AuditEvent.objects.using(alias).order_by("-sequence").first()
        heads.bulk_create(
            [
                AuditHead(
                    id=AuditHead.SINGLETON_ID,
                    last_sequence=last.sequence if last else 0,
                    last_hash=last.hash if last else GENESIS,
                )
            ],
            ignore_conflicts=True,
        )
    return heads.select_for_update().get(pk=AuditHead.SINGLETON_ID)


def audit_record(
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    purpose: str = "",
    success: bool = True,
    actor_role: str = "",
    station_code: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain and return it.

    Joins the caller's transaction when there is one, so the event commits or rolls back with
    the business change it records. The chain's lock is then held until that transaction ends:
    call this as the transaction's last write, and keep such transactions short.

    `detail` holds ids and field names only; a value that looks like an ID number or a mobile
    number is refused (ValueError).

    The event is chained with the newest audit key; without one (AuditKeyError) nothing is
    written, so the caller's business change fails rather than going unaudited.

    `success=False` records an attempt that was refused or failed (a denied read, a rejected
    log-in), chained like any other event.
    """
    if not actor:
        raise ValueError("an audit event needs an actor (a username, or 'system')")
    if not action:
        raise ValueError("an audit event needs an action")
    cleaned = _clean_detail(detail)
    key_id, key = current_audit_key()
    alias = audit_alias()
    with transaction.atomic(using=alias):
        head = _lock_head(alias)
        event = AuditEvent(
            sequence=head.last_sequence + 1,
            occurred_at=timezone.now(),
            actor=actor,
            actor_role=actor_role,
            station_code=station_code,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            purpose=purpose,
            success=success,
            detail=cleaned,
            prev_hash=head.last_hash,
            key_id=key_id,
        )
        event.hash = keyed_record_hash(event.prev_hash, event.chain_record(), key)
        if connections[alias].vendor == "postgresql":
            _insert_and_advance(event, alias)
        else:
            event.save(using=alias)
            AuditHead.objects.using(alias).filter(pk=head.pk).update(
                last_sequence=event.sequence, last_hash=event.hash
            )
    return event


def _insert_and_advance(event: AuditEvent, alias: str) -> None:
    """Insert `event` and move the head to it in one statement (PostgreSQL): one round trip
    while the chain is locked instead of two. The same columns and values as `save()` writes."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    events, heads = quote(AuditEvent._meta.db_table), quote(AuditHead._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"WITH event AS (INSERT INTO {events} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        f"RETURNING id) UPDATE {heads} SET last_sequence = %s, last_hash = %s FROM event "
        f"WHERE {heads}.id = %s RETURNING event.id"
    )
    values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, event.sequence, event.hash, AuditHead.SINGLETON_ID])
        row = cursor.fetchone()
    if row is None:
        raise RuntimeError("the audit chain's head row is missing")
    event.pk = row[0]
    event._state.adding = False
    event._state.db = alias


class AuditActor(TypedDict):
    actor: str
    actor_role: str
    station_code: str


def audit_actor(user: Any) -> AuditActor:
    """`actor`, `actor_role` and `station_code` of a member of staff, for `audit_record(**…)`.

    Role and station come from `user.staff_profile` when the user has one (police_accounts);
    a user without a profile is audited by username alone.
    """
    if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) is not None:
        # The profile the request has already read (`staff_profile` keeps it per request),
        # not two more queries for the profile and its station.
        profile: Any = staff_profile(user)
    else:
        profile = getattr(user, "staff_profile", None)
    role = getattr(profile, "role", "") or ""
    station = getattr(profile, "station", None)
    station_code = getattr(station, "code", "") or ""
    return {
        "actor": user.get_username(),
        "actor_role": str(role),
        "station_code": str(station_code),
    }


def audit_read_personal_data(
    *,
    user: Any,
    object_type: str,
    object_id: str,
    fields: list[str],
    purpose: str,
) -> AuditEvent:
    """Record that `user` read personal-data `fields` of an object (DOMAIN WF-6, DESIGN §7).

    The action is `<object_type>.view_personal_data`; the detail names the fields, never their
    values. A purpose is required: staff read personal data for a task, not out of curiosity.
    """
    if not purpose.strip():
        raise ValueError("reading personal data needs a purpose")
    if not fields:
        raise ValueError("name the personal-data fields that were read")
    return audit_record(
        **audit_actor(user),
        action=f"{object_type}.view_personal_data",
        object_type=object_type,
        object_id=object_id,
        purpose=purpose,
        detail={"fields": sorted(set(fields))},
    )


def audited_queue_page(
    rows: QuerySet[M],
    *,
    user: Any,
    status: str,
    query: str,
    order_by: Sequence[str],
    object_type: str,
    fields: Sequence[str],
    purpose: str,
) -> list[M]:
    """One page of a staff queue (`rows`, already scoped to the user), with the audit row of
    the read: the queue of `status`, or with `query` (a reference, phone or ID number, read by
    `staff_search_key`) a search across every status, audited with the kind of key and never its
    value. The page is capped at `ONETRIP_QUEUE_PAGE_SIZE`; an empty page reads nobody's data and
    writes no row unless it was a search by a person's number."""
    searched_by = ""
    if query.strip():
        found = staff_search_key(query)
        if found is None:
            return []
        searched_by, lookup = found
        rows = rows.filter(**lookup)
    else:
        rows = rows.filter(status=status)
    page = list(rows.order_by(*order_by)[: settings.ONETRIP_QUEUE_PAGE_SIZE])
    if page or searched_by in ("phone", "id_number"):
        audit_read_personal_data(
            user=user,
            object_type=object_type,
            object_id=f"search:{searched_by}" if searched_by else f"queue:{status}",
            fields=list(fields),
            purpose=f"search_by_{searched_by}:{purpose}" if searched_by else purpose,
        )
    return page


class AnchorRefused(RuntimeError):
    """The chain does not hold up to its head, so its head must not be vouched for."""


def _head(alias: str) -> tuple[int, str]:
    head = AuditHead.objects.using(alias).filter(pk=AuditHead.SINGLETON_ID).first()
    if head is not None:
        return head.last_sequence, head.last_hash
    last = AuditEvent.objects.using(alias).order_by("-sequence").first()
    return (last.sequence, last.hash) if last else (0, GENESIS)


def _anchored_start(
    last: Checkpoint | None, head_sequence: int, alias: str
) -> tuple[int, str, bool]:
    """Where to continue checking the chain from: the last checkpoint, once it is confirmed."""
    if last is None or last.sequence == 0:
        return 0, GENESIS, False
    if last.sequence > head_sequence:
        raise AnchorRefused(
            f"the chain's head is at sequence {head_sequence} but sequence {last.sequence} "
            f"was anchored at {last.anchored_at}: events were removed"
        )
    row = (
        AuditEvent.objects.using(alias)
        .filter(sequence=last.sequence)
        .values_list("hash", "key_id")
        .first()
    )
    if row is None or row[0] != last.hash:
        raise AnchorRefused(
            f"sequence {last.sequence} no longer has the hash anchored at {last.anchored_at}: "
            "the chain was rewritten"
        )
    return last.sequence, last.hash, row[1] != LEGACY_KEY_ID


def audit_anchor(
    *, now: dt.datetime | None = None, only_if_moved: bool = False
) -> Checkpoint | None:
    """Append a signed checkpoint of the chain's head to the anchor file and return it.

    Before vouching for the head, checks the chain from the last checkpoint to the head (the
    whole chain for the first one): the row at the last anchored sequence must still have the
    anchored hash, and every later row must chain under the audit keys. A chain that does not
    hold is refused (AnchorRefused), so an anchor never pins a tampered chain; the check costs
    only the events since the last checkpoint.

    With `only_if_moved`, nothing is written (None) when the head has not moved since the last
    checkpoint: the periodic loop then adds no line that pins nothing new.
    """
    keys = audit_keys()
    alias = audit_alias()
    with locked_anchor_file(anchor_path()) as anchor_file:
        last_line = anchor_file.last_line()
        last = parse_anchor_line(last_line, keys=keys, prev=None) if last_line else None
        head_sequence, head_hash = _head(alias)
        start_sequence, start_hash, start_keyed = _anchored_start(last, head_sequence, alias)
        if only_if_moved and last is not None and start_sequence == head_sequence:
            if start_hash != head_hash:
                raise AnchorRefused(
                    f"the head's hash at sequence {head_sequence} differs from the anchored one"
                )
            return None
        report = verify_chain(
            chain_rows(after=start_sequence, through=head_sequence, using=alias),
            keys=keys,
            max_legacy=declared_legacy_through(),
            start_sequence=start_sequence,
            start_hash=start_hash,
            start_keyed=start_keyed,
        )
        if not report.ok:
            raise AnchorRefused(
                f"chain broken at sequence {report.first_bad_sequence}: {report.reason}"
            )
        if (report.last_sequence, report.last_hash) != (head_sequence, head_hash):
            raise AnchorRefused(
                f"the chain ends at sequence {report.last_sequence} but the head says "
                f"{head_sequence}, or their hashes differ"
            )
        prev = last.digest if last else GENESIS
        line = anchor_line(
            sequence=head_sequence,
            hash=head_hash,
            anchored_at=now or timezone.now(),
            prev=prev,
            keys=keys,
        )
        anchor_file.append(line)
    return parse_anchor_line(line, keys=keys, prev=prev)


# --- The audit administrator's reads, themselves audited (MLPS-5, MLPS-10) --------------------


class AuditAccessRefused(PermissionError):
    """Only the audit administrator reads the audit log or checks its chain."""


def _check_audit_reader(user: Any) -> None:
    if not staff_may_read_audit(staff_profile(user)):
        audit_record(
            **audit_actor(user),
            action="audit.view",
            object_type="audit_log",
            object_id="refused",
            success=False,
        )
        raise AuditAccessRefused("only the audit administrator reads the audit log")


def audit_log_page_for_staff(
    *, user: Any, query: AuditQuery, before: int | None = None
) -> AuditPage:
    """One page of the audit log for the audit administrator, with the audit row of the read
    (which filters were used, never their values). Anyone else: `AuditAccessRefused`, audited.
    """
    _check_audit_reader(user)
    page = audit_events_page(query, before=before)
    audit_record(
        **audit_actor(user),
        action="audit.view",
        object_type="audit_log",
        object_id="page",
        detail={"filters": query.used(), "before": before or 0, "rows": len(page.events)},
    )
    return page


def audit_verify_for_staff(*, user: Any) -> AuditVerification:
    """Walk the chain and its anchors (`selectors.audit_verify`, as `audit verify` does) for
    the audit administrator, and record the check and its outcome. A missing or malformed
    audit key answers as a failed check, not an error page."""
    _check_audit_reader(user)
    try:
        result = audit_verify()
    except AuditKeyError as exc:
        audit_record(
            **audit_actor(user),
            action="audit.verify",
            object_type="audit_log",
            object_id="chain",
            success=False,
            detail={"reason": "audit_key"},
        )
        raise AuditKeyError(str(exc)) from None
    audit_record(
        **audit_actor(user),
        action="audit.verify",
        object_type="audit_log",
        object_id="chain",
        success=result.ok,
        detail={"checked": result.checked, "first_bad_sequence": result.first_bad_sequence},
    )
    return result
