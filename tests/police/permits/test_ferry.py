"""Files and applications across the real ferry (DESIGN §3): the police zone's handlers apply
them; a file whose bytes do not match their hash is refused (a business reject, not stored), the
application listing it is refused in turn, and the channel goes on for everyone else."""

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


def test_doc_a_file_not_matching_its_hash_is_refused_and_the_channel_goes_on(ferry_env, beishan):
    bad = document("photo", sha256="0" * 64)
    _send_from_portal(bad, application([bad]))
    run_once("portal")
    report = run_once("police")
    assert report.errors == []
    assert PermitCaseDocument.objects.count() == 0
    assert PermitCase.objects.count() == 0
    inbox = get_store("police").inbox.objects.order_by("id")
    assert [(m.message_type, m.status) for m in inbox] == [
        ("permit.document", "rejected"),
        ("permit.submitted", "rejected"),
    ]
    files = settings.ONETRIP_FILES_DIR / "police"
    assert not files.exists() or not any(p.is_file() for p in files.rglob("*"))

    photo = document("photo")
    _send_from_portal(photo, application([photo]))
    run_once("portal")
    run_once("police")
    assert PermitCase.objects.get(reference=REF).status == "prelim_review"
