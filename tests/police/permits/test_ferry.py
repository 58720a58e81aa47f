"""Files and applications across the real ferry (DESIGN §3): the police zone's handlers apply
them; a file whose bytes do not match their hash stops its batch instead of being stored, and
nothing of that batch is applied."""

from __future__ import annotations

import pytest
from django.conf import settings

from onetrip.common.db import atomic_for
from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.agent.outbox import emit
from onetrip.ferry.registry import get_store
from onetrip.police.permits.models import PermitCase, PermitCaseDocument

from .conftest import REF, application, document

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def _send_from_portal(*messages) -> None:
    with atomic_for(get_store("portal").outbox):
        for message in messages:
            emit(
                zone="portal",
                message=message,
                aggregate_id=REF,
                correlation_id=REF,
                actor="resident",
                purpose="residence_permit",
            )


def test_wf2_files_then_the_application_cross_the_ferry_into_the_queue(ferry_env, beishan):
    photo, contract = document("photo"), document("B11")
    _send_from_portal(photo, contract, application([photo, contract]))
    run_once("portal")
    report = run_once("police")
    assert report.errors == []
    case = PermitCase.objects.get(reference=REF)
    assert (case.station, case.status) == (beishan, "prelim_review")
    assert case.documents.filter(current=True).count() == 2
    outbox = get_store("police").outbox.objects.filter(message_type="permit.status_changed")
    assert [m.payload["status"] for m in outbox] == ["prelim_review"]


def test_doc_a_file_not_matching_its_hash_keeps_the_batch_and_stores_nothing(ferry_env, beishan):
    bad = document("photo", sha256="0" * 64)
    _send_from_portal(bad, application([bad]))
    run_once("portal")
    report = run_once("police")
    assert any("DocumentIntegrityError" in error for error in report.errors)
    assert PermitCaseDocument.objects.count() == 0
    assert PermitCase.objects.count() == 0
    assert len(ferry_env.batches("portal_to_police")) == 1
    files = settings.ONETRIP_FILES_DIR / "police"
    assert not files.exists() or not any(p.is_file() for p in files.rglob("*"))
