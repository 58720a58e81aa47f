"""Writes to permit cases: receive the files and the application from the portal, then the
station's pre-review (属地派出所初审): pass, return with the one-time notice, or reject.

Every decision locks the case row, allows only the legal transition out of pre-review, writes
the history and the audit row, and sends the result back to the portal through the ferry in the
same transaction (DESIGN §2, §7; DOMAIN WF-2, WF-6). The one-time notice lists every problem at
once (NAT-11, DOC-1), and a notice on a resubmission may only name what the resident changed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from onetrip.common.crypto import lookup_hash
from onetrip.common.db import atomic_for
from onetrip.common.errors import ApplicationError, FieldError
from onetrip.common.filestore import file_put
from onetrip.common.text import clean_text
from onetrip.contracts.permits import (
    PermitApplicationResubmittedV1,
    PermitApplicationStatusV1,
    PermitApplicationSubmittedV1,
    PermitDocumentV1,
    ProblemV1,
)
from onetrip.ferry.agent.handlers import BusinessReject
from onetrip.ferry.agent.outbox import emit
from onetrip.police.accounts.models import Role
from onetrip.police.accounts.selectors import staff_profile
from onetrip.police.audit.services import audit_record
from onetrip.police.stations.selectors import station_for_community

from .errors import DocumentIntegrityError, PermitError
from .items import canonical, is_document_item, is_notice_item, item_label, parts
from .models import (
    APPLICATION_FIELDS,
    FORM_FIELDS,
    PermitCase,
    PermitCaseDocument,
    PermitCaseEvent,
    PermitStatus,
    Task,
)
from .selectors import OBJECT_TYPE, permit_find_for_staff, permit_previous_notice

logger = logging.getLogger(__name__)

PURPOSE = "residence_permit_prereview"
RESUBMITTED_NOTE = "申请人按一次性告知补正后重新提交"
# Only the station's reviewer decides a pre-review, or its administrator standing in; district
# and city administrators see cases in their scope without deciding.
DECIDING_ROLES = frozenset({Role.REVIEWER, Role.STATION_ADMIN})
MAX_PROBLEMS = 40
MAX_ITEM_LENGTH = 40  # ProblemV1.item
# What a file must start with to be what its media type says (the portal reads uploads by
# content; checked again here so a mislabelled file is never served under the wrong type).
MAGIC = {"image/jpeg": b"\xff\xd8\xff", "application/pdf": b"%PDF-"}


# -- receiving from the portal ---------------------------------------------------------------


def permit_document_receive(*, message: PermitDocumentV1) -> PermitCaseDocument:
    """Check one uploaded file against its hash and size, and store it encrypted.

    Called by the ferry inside its apply transaction, before the application that lists the
    file. A redelivery of the same file stores nothing again; bytes that do not match their
    hash or size, or a document id reused for other content, raise `DocumentIntegrityError` (a
    business reject): nothing is stored and the channel goes on."""
    existing = PermitCaseDocument.objects.filter(document_id=message.document_id).first()
    if existing is not None:
        if existing.sha256 != message.sha256 or existing.reference != message.reference:
            raise DocumentIntegrityError(
                f"document {message.document_id} was received before with other content"
            )
        logger.info("permit document redelivered document_id=%s", message.document_id)
        return existing
    try:
        content = base64.b64decode(message.content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DocumentIntegrityError(f"document {message.document_id} is not base64") from exc
    if len(content) != message.size or hashlib.sha256(content).hexdigest() != message.sha256:
        raise DocumentIntegrityError(
            f"document {message.document_id} does not match its sha256 or size"
        )
    if not is_document_item(message.item):
        raise BusinessReject(f"document {message.document_id} names unknown item {message.item}")
    if not content.startswith(MAGIC[message.media_type]):
        raise BusinessReject(f"document {message.document_id} is not a {message.media_type}")
    stored = file_put(zone="police", content=content)
    document = PermitCaseDocument.objects.create(
        reference=message.reference,
        document_id=message.document_id,
        item=message.item,
        media_type=message.media_type,
        sha256=stored.sha256,
        size=stored.size,
        stored_name=stored.name,
        received_at=timezone.now(),
    )
    logger.info(
        "permit document stored reference=%s document_id=%s",
        message.reference,
        message.document_id,
    )
    return document


def _listed_documents(
    message: PermitApplicationSubmittedV1, case: PermitCase | None
) -> list[tuple[PermitCaseDocument, str]]:
    """Every file the application lists, each already received for this reference with the
    listed hash, item and type; otherwise the application is refused as a whole."""
    ids = [ref.document_id for ref in message.documents]
    if len(set(ids)) != len(ids):
        raise BusinessReject(f"application {message.reference} lists a document twice")
    found = {
        d.document_id: d
        for d in PermitCaseDocument.objects.select_for_update().filter(document_id__in=ids)
    }
    listed = []
    for ref in message.documents:
        document = found.get(ref.document_id)
        if document is None:
            raise BusinessReject(
                f"application {message.reference} lists document {ref.document_id} "
                "that has not arrived"
            )
        belongs = document.reference == message.reference and (
            document.case_id is None or (case is not None and document.case_id == case.pk)
        )
        same = (document.sha256, document.item, document.media_type) == (
            ref.sha256,
            ref.item,
            ref.media_type,
        )
        if not (belongs and same):
            raise BusinessReject(
                f"application {message.reference} lists document {ref.document_id} "
                "that does not match the file received"
            )
        listed.append((document, ref.name))
    return listed


def _attach(case: PermitCase, listed: Iterable[tuple[PermitCaseDocument, str]]) -> None:
    """File the listed documents under the case; a file first listed now belongs to the
    case's current revision, and the case's files no longer listed are no longer current."""
    keep = []
    for document, original_name in listed:
        if document.case_id is None:
            document.case = case
            document.revision = case.revision
        document.current = True
        if original_name:
            document.original_name = original_name
        document.save(update_fields=["case", "revision", "current", "original_name"])
        keep.append(document.pk)
    case.documents.exclude(pk__in=keep).update(current=False)


def _fill(case: PermitCase, message: PermitApplicationSubmittedV1) -> None:
    for name, value in message.model_dump(include=set(APPLICATION_FIELDS)).items():
        setattr(case, name, value)
    case.id_hash = lookup_hash(case.id_number, purpose="id_number")
    case.phone_hash = lookup_hash(case.phone, purpose="phone")


_ISSUED = frozenset(
    {
        PermitStatus.APPROVED,
        PermitStatus.IN_PRODUCTION,
        PermitStatus.READY,
        PermitStatus.COLLECTED,
        PermitStatus.DELIVERED,
    }
)


def permit_status_emit(case: PermitCase, *, actor: str) -> None:
    emit(
        zone="police",
        message=PermitApplicationStatusV1(
            reference=case.reference,
            revision=case.revision,
            status=case.status,  # type: ignore[arg-type]
            station_code=case.station.code,
            station_name=case.station.name,
            problems=[ProblemV1(**p) for p in case.problems],
            reason=case.reason,
            receipt_number=case.receipt_number or "",
            permit_number=case.permit_number if case.status in _ISSUED else "",
            changed_at=timezone.now(),
        ),
        aggregate_id=case.reference,
        correlation_id=case.reference,
        actor=actor,
        purpose="residence_permit",
    )


def permit_receive(*, message: PermitApplicationSubmittedV1) -> PermitCase:
    """Open the case in the pre-review queue of the station whose jurisdiction covers the
    address, and tell the resident which station has it.

    Called by the ferry inside its apply transaction. A second delivery under a reference the
    station already holds changes nothing (the portal issues each reference once)."""
    existing = PermitCase.objects.filter(reference=message.reference).first()
    if existing is not None:
        logger.info("permit application redelivered reference=%s", message.reference)
        return existing
    station = station_for_community(message.community_code)
    if station is None:
        raise BusinessReject(f"no station covers community {message.community_code}")
    listed = _listed_documents(message, None)
    now = timezone.now()
    case = PermitCase(station=station, received_at=now, status=PermitStatus.PRELIM_REVIEW)
    _fill(case, message)
    case.save()
    _attach(case, listed)
    PermitCaseEvent.objects.create(
        case=case,
        revision=case.revision,
        status=case.status,
        actor="ferry",
        note=station.name,
        at=now,
    )
    if case.kind == "endorsement":
        # Zero-trip endorsement (ZJ-17, WF-3): checked against the register at once.
        from .cards import endorsement_receive

        return endorsement_receive(case=case)
    _department_checks(case)
    permit_status_emit(case, actor="system")
    return case


def permit_receive_resubmission(*, message: PermitApplicationResubmittedV1) -> PermitCase:
    """A returned application comes back fixed: the same case, at the next revision, goes back
    into the pre-review queue of the station covering its (possibly new) address.

    An older or equal revision is a late or repeated delivery and changes nothing; a newer one
    is refused unless the case awaits the resident's corrections. What the revision changed
    (form fields, proofs newly asked for) is kept: with the files it brings, it is what a
    further notice may still name (DOC-1)."""
    case = (
        PermitCase.objects.select_for_update()
        .select_related("station")
        .filter(reference=message.reference)
        .first()
    )
    if case is None:
        raise BusinessReject(f"unknown permit application {message.reference}")
    if message.revision <= case.revision:
        logger.info(
            "permit resubmission ignored reference=%s revision=%s current=%s",
            message.reference,
            message.revision,
            case.revision,
        )
        return case
    if case.status != PermitStatus.MATERIALS_REQUIRED:
        raise BusinessReject(f"permit application {message.reference} is not awaiting corrections")
    station = station_for_community(message.community_code)
    if station is None:
        raise BusinessReject(f"no station covers community {message.community_code}")
    listed = _listed_documents(message, case)
    incoming = message.model_dump(include=set(FORM_FIELDS))
    changed = [name for name in FORM_FIELDS if getattr(case, name) != incoming[name]]
    changed += [m for m in dict.fromkeys(message.materials) if m not in case.materials]
    previous = case.status
    now = timezone.now()
    _fill(case, message)
    case.station = station
    case.received_at = now
    case.changed_items = changed
    case.status = PermitStatus.PRELIM_REVIEW
    case.problems = []
    case.reason = ""
    case.decided_at = None
    case.decided_by = None
    case.prereview_seconds = None
    case.save()
    _attach(case, listed)
    PermitCaseEvent.objects.create(
        case=case,
        revision=case.revision,
        from_status=previous,
        status=case.status,
        actor="ferry",
        note=RESUBMITTED_NOTE,
        at=now,
    )
    _department_checks(case)
    permit_status_emit(case, actor="system")
    return case


def _department_checks(case: PermitCase) -> None:
    """Ask the departments' data for the proofs this revision needs, after the commit
    (police/egov/checks.py; HZ-7)."""
    from onetrip.police.egov.checks import proof_checks_open

    proof_checks_open(case=case)


# -- the pre-review --------------------------------------------------------------------------

User = AbstractBaseUser | AnonymousUser


def permit_check_can_decide(*, user: User, case: PermitCase) -> None:
    """Raise `PermitError` unless `user` may decide the pre-review of `case` now: a reviewer or
    the administrator of the case's station, once, while it waits in pre-review."""
    profile = staff_profile(user)
    if profile is None or profile.role not in DECIDING_ROLES:
        raise PermitError(
            "role_cannot_decide",
            "您的岗位无权预审居住证申请",
            "Your role may not pre-review residence-permit applications",
            status=403,
        )
    if profile.station_id != case.station_id:
        raise PermitError(
            "other_station",
            "只有辖区派出所民警可以预审该申请",
            "Only staff of the responsible station may pre-review this application",
            status=403,
        )
    if case.status != PermitStatus.PRELIM_REVIEW:
        raise PermitError(
            "already_decided",
            "该申请已预审，不能重复操作",
            "This application has already been pre-reviewed",
            status=409,
        )


def permit_can_decide(*, user: User, case: PermitCase) -> bool:
    """For templates: whether the pass, return and reject forms would be accepted."""
    try:
        permit_check_can_decide(user=user, case=case)
    except PermitError:
        return False
    return True


def permit_notice_items(*, case: PermitCase) -> list[str] | None:
    """The items a one-time notice on this revision may name, or None for any (DOC-1).

    On the first revision everything is open. After a notice, the resident's resubmission can
    only be faulted on what it changed: the files it brought, the form fields whose value it
    changed, the proofs its list newly asks for (a changed route or housing), and what the
    previous notice named (not yet put right). Anything else was there to check at the earlier
    review and should have been in that notice."""
    if case.revision < 2:
        return None
    allowed: set[str] = set(case.changed_items)
    allowed.update(
        case.documents.filter(current=True, revision=case.revision).values_list("item", flat=True)
    )
    notice = permit_previous_notice(case=case)
    if notice is not None:
        allowed.update(p["item"] for p in notice.problems)
    return sorted(allowed)


def _locked(user: AbstractBaseUser, reference: str, revision: int | None) -> PermitCase:
    visible = permit_find_for_staff(user=user, reference=reference)
    case = PermitCase.objects.select_for_update().select_related("station").get(pk=visible.pk)
    if revision is not None and revision != case.revision:
        raise PermitError(
            "revision_changed",
            f"申请已更新为第{case.revision}版，请刷新页面查看后再预审",
            f"The application is now at revision {case.revision}; reload it before deciding",
            status=409,
        )
    return case


def _decide(
    *,
    user: AbstractBaseUser,
    case: PermitCase,
    status: str,
    action: str,
    note: str,
    problems: Sequence[Mapping[str, str]] = (),
    reason: str = "",
) -> PermitCase:
    """Move a locked case out of pre-review: status, pre-review time, history, audit, message."""
    now = timezone.now()
    previous = case.status
    case.status = status
    case.problems = [dict(p) for p in problems]
    case.reason = reason
    case.decided_at = now
    case.decided_by = user  # type: ignore[assignment]
    case.prereview_seconds = max(0, int((now - case.submitted_at).total_seconds()))
    # A passed case waits for the resident's one visit: the window's acceptance queue.
    case.task = Task.ACCEPT if status == PermitStatus.PREREVIEW_PASSED else ""
    case.task_since = now if case.task else None
    case.save()
    PermitCaseEvent.objects.create(
        case=case,
        revision=case.revision,
        from_status=previous,
        status=status,
        actor=user.get_username(),
        note=note[:500],
        problems=case.problems,
        prereview_seconds=case.prereview_seconds,
        at=now,
    )
    permit_status_emit(case, actor=f"staff:{user.get_username()}")
    profile = staff_profile(user)
    audit_record(
        actor=user.get_username(),
        actor_role=profile.role if profile else "",
        station_code=case.station.code,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=case.reference,
        purpose=PURPOSE,
        detail={
            "revision": case.revision,
            "items": sorted({p["item"] for p in case.problems}),
        },
    )
    logger.info(
        "permit pre-review decided reference=%s revision=%s status=%s",
        case.reference,
        case.revision,
        status,
    )
    return case


def permit_prereview_pass(
    *, user: AbstractBaseUser, reference: str, revision: int | None = None
) -> PermitCase:
    """预审通过: the materials are complete and the one visit to the window will succeed.

    `revision`, when given, is the revision the reviewer looked at; a newer one answers 409."""
    with atomic_for(PermitCase, durable=True):
        case = _locked(user, reference, revision)
        permit_check_can_decide(user=user, case=case)
        return _decide(
            user=user,
            case=case,
            status=PermitStatus.PREREVIEW_PASSED,
            action="permit.prereview_pass",
            note="",
        )


def permit_problems_clean(
    problems: Sequence[Mapping[str, Any] | ProblemV1],
) -> list[dict[str, str]]:
    """Each line of the notice as {"item", "text"}, every fault reported at once."""
    if not problems:
        raise PermitError(
            "problems_required",
            "请至少列出一项需要补正的材料或内容，并写明补正要求",
            "List at least one item to correct, with what the resident must do",
            field="problems",
        )
    if len(problems) > MAX_PROBLEMS:
        raise PermitError(
            "too_many_problems",
            f"一次性告知最多列出{MAX_PROBLEMS}项",
            f"A one-time notice lists at most {MAX_PROBLEMS} items",
            field="problems",
        )
    cleaned: list[dict[str, str]] = []
    errors: list[FieldError] = []
    for index, problem in enumerate(problems):
        raw = problem.model_dump() if isinstance(problem, ProblemV1) else dict(problem)
        item = canonical(str(raw.get("item") or ""))
        if not is_notice_item(item) or len(item) > MAX_ITEM_LENGTH:
            errors.append(
                FieldError(
                    f"problems.{index}.item",
                    "unknown_item",
                    "请选择材料目录中的材料（可用“/”列出任选其一的几种）、照片或申请表中的一项",
                    "Name a catalogue proof (alternatives joined by /), the photo or a field of "
                    "the form",
                )
            )
            continue
        try:
            text = clean_text(
                str(raw.get("text") or ""),
                field=f"problems.{index}.text",
                label_zh="补正要求",
                label_en="what to correct",
                max_length=300,
            )
        except ApplicationError as exc:
            errors.append(
                FieldError(f"problems.{index}.text", exc.code, exc.message_zh, exc.message_en)
            )
            continue
        if not text:
            errors.append(
                FieldError(
                    f"problems.{index}.text",
                    "text_required",
                    f"请写明「{item_label(item)}」需要如何补正",
                    f"Say what the resident must do about {item}",
                )
            )
            continue
        cleaned.append({"item": item, "text": text})
    if errors:
        raise PermitError(
            "problems_invalid",
            "一次性告知中有需要更正的内容",
            "Some lines of the one-time notice need correcting",
            field="problems",
            errors=errors,
        )
    return cleaned


def permit_check_notice(*, case: PermitCase, problems: Sequence[Mapping[str, str]]) -> None:
    """Refuse a notice on a resubmission that names anything checkable before (DOC-1)."""
    allowed = permit_notice_items(case=case)
    if allowed is None:
        return
    # A line is open if it was itself open, or every proof it names is part of an open line
    # (a single proof of a newly asked group, a group narrowed to the file that was re-sent).
    open_proofs = {proof for item in allowed for proof in parts(item)}
    late = sorted(
        {
            p["item"]
            for p in problems
            if p["item"] not in allowed and not set(parts(p["item"])) <= open_proofs
        }
    )
    if not late:
        return
    raise PermitError(
        "checkable_before",
        "按一次性告知规定，补正后的预审只能就申请人本次修改的材料和内容提出问题。以下事项在上次"
        "预审时已可核查，不能再新增：" + "、".join(item_label(i) for i in late),
        "Under the one-time notice rule a review after a resubmission may only raise what the "
        "resident changed in it. These items could be checked at the previous review and "
        "cannot be added now: " + ", ".join(late),
        field="problems",
        errors=[
            FieldError(
                "problems",
                "checkable_before",
                f"「{item_label(i)}」在上次预审时已可核查，不能新增",
                f"{i} could be checked at the previous review",
            )
            for i in late
        ],
    )


def permit_return(
    *,
    user: AbstractBaseUser,
    reference: str,
    problems: Sequence[Mapping[str, Any] | ProblemV1],
    revision: int | None = None,
) -> PermitCase:
    """Return the application with the one-time notice (一次性告知, NAT-11, DOC-1): every item
    to correct, each with what to do, all at once."""
    cleaned = permit_problems_clean(problems)
    with atomic_for(PermitCase, durable=True):
        case = _locked(user, reference, revision)
        permit_check_can_decide(user=user, case=case)
        permit_check_notice(case=case, problems=cleaned)
        return _decide(
            user=user,
            case=case,
            status=PermitStatus.MATERIALS_REQUIRED,
            action="permit.return",
            note="；".join(f"{item_label(p['item'])}：{p['text']}" for p in cleaned),
            problems=cleaned,
        )


def permit_reject(
    *, user: AbstractBaseUser, reference: str, reason: str, revision: int | None = None
) -> PermitCase:
    """不予受理: the applicant does not qualify (not fixable by more papers), with the reasons
    the resident reads. A person decides it, never the system alone (PI-14)."""
    reason = clean_text(
        reason, field="reason", label_zh="不予受理原因", label_en="reason", max_length=2000
    ).rstrip("。.")
    if len(reason) < 4:
        raise PermitError(
            "reason_required",
            "请写明不予受理的原因（至少4个字），告诉申请人为何不符合条件",
            "Give the reason for refusing (at least 4 characters) so the resident knows why",
            field="reason",
        )
    if len(reason) > 500:
        raise PermitError(
            "reason_too_long",
            "不予受理原因过长（最多500字）",
            "The reason is too long (at most 500 characters)",
            field="reason",
        )
    with atomic_for(PermitCase, durable=True):
        case = _locked(user, reference, revision)
        permit_check_can_decide(user=user, case=case)
        return _decide(
            user=user,
            case=case,
            status=PermitStatus.REJECTED,
            action="permit.reject",
            note=reason,
            reason=reason,
        )
