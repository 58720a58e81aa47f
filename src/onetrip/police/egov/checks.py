"""Department checks of a permit case's proofs (DOMAIN HZ-2, HZ-3, HZ-4, HZ-7, DOC-3).

When a case arrives (and again when a returned case comes back at its next revision),
`proof_checks_open` writes one pending row per line of its one-time list, in the same
transaction as the case, and queues `proof_checks_run` for after the commit. The run claims each
row from its pending status (so a replay or a second worker never asks twice), asks each source
once, reads the answers into a status per row, and sends the portal the whole result through the
ferry in the same transaction as the rows (contract `permit.proofs_checked`).

Rules, each in one function below:
- social insurance (B10): at least `ONETRIP_PERMIT_SOCIAL_INSURANCE_MONTHS` continuous months in
  the city up to last month; a gap of more than one month, a back payment (补缴) or a month paid
  elsewhere breaks continuity (HZ-2);
- labour relationship (B17, for the group B11…B17): the employment registration (就业登记) with
  the social-insurance department names the employer the resident declared (HZ-2: the insurance
  employer and the contract employer must match; if not, the paper is needed);
- housing (C19, C20, C25): a title or a filed lease still running, at the declared community and
  address (HZ-3: the rented address must be the registered residence address); for routes that
  need no housing proof, the same check is shown for information;
- education (D31): a running enrolment at the declared school (HZ-4);
- population (A1): the name and the ID number belong together.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onetrip.common.db import atomic_for, db_for
from onetrip.common.identifiers import IdentifierError, parse_resident_id
from onetrip.common.permit_eligibility import Route
from onetrip.common.permit_materials import Housing, materials_for
from onetrip.contracts.permits import PermitProofsCheckedV1, ProofCheckV1
from onetrip.ferry.agent.outbox import emit
from onetrip.police.permits.models import PermitCase

from . import configured_sources, education, housing, population, proofs_of, social_insurance
from .base import (
    EDUCATION,
    HOUSING,
    SOCIAL_INSURANCE,
    SOURCES,
    EnrolmentRecord,
    HousingRecord,
    PopulationRecord,
    QueryContext,
    SocialInsuranceRecord,
)
from .errors import EgovError, EgovInvalidAnswer, EgovUnavailable
from .models import CheckStatus, ProofCheck
from .rules import continuous_months

logger = logging.getLogger(__name__)

RESIDENCE = "residence"
RESIDENCE_PROOFS = ("C19", "C20", "C25")
# The form and the photo are the resident's own: no department holds them.
NOT_CHECKED = frozenset({"A8", "A9"})
ADULT_AGE = 16


# -- the rules -----------------------------------------------------------------------------


def _same_place(community: str, address: str, case: PermitCase) -> bool:
    def norm(text: str) -> str:
        return re.sub(r"\s+", "", text)

    return community == case.community_code and norm(address) == norm(case.address_detail)


def _same_name(a: str, b: str) -> bool:
    return bool(a) and re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str = ""
    proof_id: str = ""


def judge_social_insurance(
    record: SocialInsuranceRecord, *, proofs: tuple[str, ...], case: PermitCase
) -> Outcome:
    if "B10" in proofs:
        if not record.found:
            return Outcome(CheckStatus.NEEDS_PAPER, "no_record")
        months = continuous_months(record.months, city=settings.ONETRIP_CITY_CODE, today=None)
        if months < settings.ONETRIP_PERMIT_SOCIAL_INSURANCE_MONTHS:
            return Outcome(CheckStatus.FAILED, "not_continuous")
        return Outcome(CheckStatus.VERIFIED, proof_id="B10")
    if not record.registered_employer:
        return Outcome(CheckStatus.NEEDS_PAPER, "no_registration")
    if not _same_name(record.registered_employer, case.employer_name):
        return Outcome(CheckStatus.NEEDS_PAPER, "employer_differs")
    return Outcome(CheckStatus.VERIFIED, proof_id="B17")


def judge_housing(record: HousingRecord, *, proofs: tuple[str, ...], case: PermitCase) -> Outcome:
    today = timezone.localdate()
    for title in record.properties:
        if title.certificate in proofs and _same_place(title.community_code, title.address, case):
            return Outcome(CheckStatus.VERIFIED, proof_id=title.certificate)
    if "C25" in proofs:
        for lease in record.leases:
            if lease.land == "state" and _same_place(lease.community_code, lease.address, case):
                if lease.until < today:
                    return Outcome(CheckStatus.FAILED, "lease_ended")
                return Outcome(CheckStatus.VERIFIED, proof_id="C25")
    return Outcome(CheckStatus.NEEDS_PAPER, "no_record")


def judge_education(record: EnrolmentRecord, *, case: PermitCase) -> Outcome:
    today = timezone.localdate()
    running = [e for e in record.enrolments if e.until is None or e.until >= today]
    if not running:
        return Outcome(CheckStatus.NEEDS_PAPER, "no_record")
    if not any(_same_name(e.school, case.school_name) for e in running):
        return Outcome(CheckStatus.NEEDS_PAPER, "school_differs")
    return Outcome(CheckStatus.VERIFIED, proof_id="D31")


def judge_population(record: PopulationRecord) -> Outcome:
    if not record.match:
        return Outcome(CheckStatus.FAILED, "name_mismatch")
    return Outcome(CheckStatus.VERIFIED, proof_id="A1")


# -- what a case needs ---------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    key: str
    proofs: tuple[str, ...]
    source: str  # "" when no configured source stands in for any of `proofs`
    required: bool = True


def _source_for(proofs: Iterable[str], available: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """The first configured source standing in for any of `proofs`, and which of them."""
    wanted = tuple(proofs)
    for name in SOURCES:
        if name in available:
            covered = tuple(p for p in wanted if p in proofs_of(name))
            if covered:
                return name, covered
    return "", ()


def _minor(case: PermitCase) -> bool:
    try:
        resident = parse_resident_id(case.id_number, today=timezone.localdate())
    except IdentifierError:
        return False
    return resident.age_on(timezone.localdate()) < ADULT_AGE


def case_requirements(case: PermitCase) -> list[Requirement]:
    """Every line of the case's one-time list a department could answer or the resident must
    prove on paper, and the address check; the form and the photo are left out."""
    if case.route not in {r.value for r in Route}:
        return []
    route = Route(case.route)
    housing_kind = None
    if route == Route.RESIDENCE:
        if case.housing not in {h.value for h in Housing}:
            return []
        housing_kind = Housing(case.housing)
    minor = _minor(case)
    items = materials_for(route=route, housing=housing_kind, minor=minor, by_agent=minor)
    available = configured_sources()
    out: list[Requirement] = []
    for item in items:
        ids = tuple(p.id for p in item.alternatives)
        if set(ids) <= NOT_CHECKED:
            continue
        source, _covered = _source_for(ids, available)
        out.append(Requirement(item.id, ids, source))
    if not any(set(r.proofs) & set(RESIDENCE_PROOFS) for r in out):
        source, _covered = _source_for(RESIDENCE_PROOFS, available)
        out.append(Requirement(RESIDENCE, RESIDENCE_PROOFS, source, required=False))
    return out


# -- the services --------------------------------------------------------------------------


def proof_checks_open(*, case: PermitCase) -> list[ProofCheck]:
    """Write this revision's rows, pending where a source will be asked, and queue the run
    for after the commit. Call inside the transaction that receives the case. A deployment that
    reaches no source writes nothing and tells the portal nothing."""
    if not configured_sources():
        return []
    rows = [
        ProofCheck(
            case=case,
            revision=case.revision,
            requirement=r.key,
            required=r.required,
            source=r.source,
            status=CheckStatus.PENDING if r.source else CheckStatus.NEEDS_PAPER,
            reason="" if r.source else "no_source",
        )
        for r in case_requirements(case)
    ]
    ProofCheck.objects.bulk_create(rows, ignore_conflicts=True)
    if any(r.status == CheckStatus.PENDING for r in rows):
        from .tasks import proof_checks_run_task

        reference, revision = case.reference, case.revision
        transaction.on_commit(
            lambda: proof_checks_run_task.enqueue(reference=reference, revision=revision),
            using=db_for(ProofCheck),
        )
    elif rows:
        with atomic_for(ProofCheck):
            _emit(case, rows)
    return rows


def _claim(case: PermitCase, revision: int) -> list[ProofCheck]:
    """The rows this run owns: each moved from pending to running by one conditional UPDATE,
    so two runs never both ask."""
    claimed = []
    for row in ProofCheck.objects.filter(case=case, revision=revision, status=CheckStatus.PENDING):
        won = ProofCheck.objects.filter(pk=row.pk, status=CheckStatus.PENDING).update(
            status=CheckStatus.RUNNING
        )
        if won:
            claimed.append(row)
    return claimed


def _ask(name: str, case: PermitCase, ctx: QueryContext) -> Any:
    if name == SOCIAL_INSURANCE:
        return social_insurance().contributions(ctx=ctx, id_number=case.id_number)
    if name == HOUSING:
        return housing().residences(ctx=ctx, id_number=case.id_number)
    if name == EDUCATION:
        return education().enrolments(ctx=ctx, id_number=case.id_number)
    return population().identity(ctx=ctx, id_number=case.id_number, name=case.name)


def _judge(name: str, answer: Any, requirement: Requirement, case: PermitCase) -> Outcome:
    covered = tuple(p for p in requirement.proofs if p in proofs_of(name))
    if name == SOCIAL_INSURANCE:
        return judge_social_insurance(answer, proofs=covered, case=case)
    if name == HOUSING:
        return judge_housing(answer, proofs=covered, case=case)
    if name == EDUCATION:
        return judge_education(answer, case=case)
    return judge_population(answer)


def proof_checks_run(
    *,
    reference: str,
    revision: int,
    requester: str = "system:permit_prereview",
    purpose: str = "permit_prereview",
) -> list[ProofCheck]:
    """Ask the sources for the pending rows of one revision and record what they said.

    Runs outside any transaction (the questions go over the network); each question writes its
    own audit event. When no row of the revision is left pending or running, the portal is told
    the whole result."""
    case = PermitCase.objects.filter(reference=reference).first()
    if case is None or case.revision != revision:
        return []
    claimed = _claim(case, revision)
    ctx = QueryContext(requester, reference, purpose)
    answers: dict[str, Any] = {}
    plan = {r.key: r for r in case_requirements(case)}
    now = timezone.now()
    for row in claimed:
        requirement = plan.get(row.requirement)
        outcome: Outcome
        if requirement is None or not row.source:
            outcome = Outcome(CheckStatus.NEEDS_PAPER, "no_source")
        else:
            if row.source not in answers:
                try:
                    answers[row.source] = _ask(row.source, case, ctx)
                except EgovError as exc:
                    answers[row.source] = exc
                except Exception:
                    # Our own failure (the audit chain, the database): the row must not stay
                    # claimed for ever; "to be checked" lets the sweep ask again.
                    logger.exception(
                        "egov proof check error reference=%s source=%s", reference, row.source
                    )
                    answers[row.source] = EgovUnavailable("internal_error")
            answer = answers[row.source]
            if isinstance(answer, EgovUnavailable):
                outcome = Outcome(CheckStatus.UNAVAILABLE, answer.reason)
            elif isinstance(answer, EgovError):
                # An answer we cannot trust (forged, malformed) or a refusal: never a pass.
                status = (
                    CheckStatus.FAILED
                    if isinstance(answer, EgovInvalidAnswer)
                    else CheckStatus.UNAVAILABLE
                )
                outcome = Outcome(status, answer.reason)
            else:
                outcome = _judge(row.source, answer, requirement, case)
        row.status, row.reason, row.proof_id = outcome.status, outcome.reason, outcome.proof_id
        row.checked_at = now
        row.checked_by = requester
    with atomic_for(ProofCheck):
        for row in claimed:
            row.save(update_fields=["status", "reason", "proof_id", "checked_at", "checked_by"])
        rows = list(ProofCheck.objects.filter(case=case, revision=revision))
        open_rows = {CheckStatus.PENDING, CheckStatus.RUNNING}
        if claimed and not any(r.status in open_rows for r in rows):
            _emit(case, rows)
    logger.info(
        "egov proof checks done reference=%s revision=%s rows=%s", reference, revision, len(claimed)
    )
    return rows


def _emit(case: PermitCase, rows: Sequence[ProofCheck]) -> None:
    emit(
        zone="police",
        message=PermitProofsCheckedV1(
            reference=case.reference,
            revision=case.revision,
            checks=[
                ProofCheckV1(
                    requirement=r.requirement,
                    required=r.required,
                    proof_id=r.proof_id,
                    source=r.source,
                    status=r.status,  # type: ignore[arg-type]
                    reason=r.reason,
                    checked_at=r.checked_at,
                )
                for r in rows
            ],
            checked_at=timezone.now(),
        ),
        aggregate_id=case.reference,
        correlation_id=case.reference,
        actor="system",
        purpose="residence_permit",
    )


def proof_checks_recheck(
    *, case: PermitCase, username: str, purpose: str = "permit_acceptance"
) -> list[ProofCheck]:
    """Ask again, as the officer, for the rows whose source did not answer ("to be checked"),
    e.g. at the window's acceptance."""
    ProofCheck.objects.filter(
        case=case, revision=case.revision, status=CheckStatus.UNAVAILABLE
    ).update(status=CheckStatus.PENDING)
    return proof_checks_run(
        reference=case.reference,
        revision=case.revision,
        requester=f"officer:{username}",
        purpose=purpose,
    )


def proof_checks_of(*, case: PermitCase) -> list[ProofCheck]:
    """The rows of the case's current revision, for its pages."""
    return list(ProofCheck.objects.filter(case=case, revision=case.revision))


def population_identity(*, case: PermitCase, username: str, purpose: str) -> PopulationRecord:
    """The identity check and the ID-card photo from the population database (DOC-5), asked
    by an officer for a case."""
    ctx = QueryContext.for_officer(username, case_reference=case.reference, purpose=purpose)
    return population().identity(ctx=ctx, id_number=case.id_number, name=case.name, with_photo=True)


# Cases whose proofs still matter to the station: in pre-review, or passed and waiting for the
# window's acceptance.
OPEN_CASE_STATUSES = ("prelim_review", "prereview_passed")


def proof_checks_sweep(*, limit: int = 200) -> dict[str, int]:
    """Ask again, as the system, for the rows left "to be checked" of open cases' current
    revisions (a source that was down may be back; its circuit breaker keeps a source that is
    still down from being asked more than once a reset period). Safe on several workers: each
    row is claimed from pending by `proof_checks_run`."""
    due = list(
        ProofCheck.objects.filter(
            status=CheckStatus.UNAVAILABLE, case__status__in=OPEN_CASE_STATUSES
        )
        .select_related("case")
        .order_by("id")[:limit]
    )
    cases = {(r.case.reference, r.revision) for r in due if r.revision == r.case.revision}
    done = {"cases": 0, "verified": 0, "still_unavailable": 0}
    for reference, revision in sorted(cases):
        ProofCheck.objects.filter(
            case__reference=reference, revision=revision, status=CheckStatus.UNAVAILABLE
        ).update(status=CheckStatus.PENDING)
        rows = proof_checks_run(reference=reference, revision=revision)
        done["cases"] += 1
        done["verified"] += sum(r.status == CheckStatus.VERIFIED for r in rows)
        done["still_unavailable"] += sum(r.status == CheckStatus.UNAVAILABLE for r in rows)
    return done
