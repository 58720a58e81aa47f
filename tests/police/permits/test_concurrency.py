"""Two reviewers deciding the same case at once make one decision (WF-2): the case row is
locked, the second finds it decided and answers 409; one history event, one audit row and one
message to the resident. Real threads and connections, on SQLite and on PostgreSQL in CI."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from onetrip.common.db import atomic_for
from onetrip.ferry.registry import get_store
from onetrip.police.audit.models import AuditEvent
from onetrip.police.permits.errors import PermitError
from onetrip.police.permits.models import PermitCase, PermitCaseEvent
from onetrip.police.permits.services import permit_prereview_pass, permit_return

from .conftest import REF, document, receive

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)


def test_wf2_two_reviewers_deciding_at_once_make_one_decision(beishan, reviewer, second_reviewer):
    with atomic_for(PermitCase):
        receive(document("photo"), document("B11"))
    start = threading.Barrier(2)

    def decide(n: int) -> str:
        try:
            start.wait()
            if n == 0:
                permit_prereview_pass(user=reviewer, reference=REF)
            else:
                permit_return(
                    user=second_reviewer,
                    reference=REF,
                    problems=[{"item": "B11", "text": "劳动合同缺少盖章页"}],
                )
        except PermitError as exc:
            return exc.code
        finally:
            connections.close_all()
        return "decided"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(decide, range(2)))
    assert outcomes == ["already_decided", "decided"]
    case = PermitCase.objects.get()
    assert case.status in ("prereview_passed", "materials_required")
    decisions = PermitCaseEvent.objects.filter(case=case, from_status="prelim_review")
    assert [e.status for e in decisions] == [case.status]
    audits = AuditEvent.objects.filter(action__in=("permit.prereview_pass", "permit.return"))
    assert audits.count() == 1
    outbox = get_store("police").outbox.objects.filter(message_type="permit.status_changed")
    assert [m.payload["status"] for m in outbox.order_by("id")] == ["prelim_review", case.status]
