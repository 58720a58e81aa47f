"""`delivery_emit` (WF-2 after READY): one numbered snapshot per change, the stage derived from
the case and its shipment, the phone the resident gave."""

from __future__ import annotations

import pytest

from onetrip.common.db import atomic_for
from onetrip.police.delivery.models import CaseDelivery
from onetrip.police.delivery.services import delivery_emit
from onetrip.police.permits.models import PermitCase

from .conftest import PHONE, delivery_messages, in_production, locked

pytestmark = pytest.mark.django_db(databases=["default", "police"])


def test_wf2_each_delivery_change_gets_the_next_sequence_of_its_case(beishan):
    in_production()
    for change in ("production_started", "production_failed"):
        with atomic_for(PermitCase):
            delivery_emit(case=locked(), change=change, actor="system", reason="打印机故障")
    sent = delivery_messages()
    assert [(m["sequence"], m["change"], m["stage"]) for m in sent] == [
        (1, "production_started", "in_production"),
        (2, "production_failed", "in_production"),
    ]
    assert sent[0]["phone"] == PHONE and sent[0]["method"] == "pickup"
    assert sent[0]["pickup_code"] == "" and sent[0]["station_code"]
    assert CaseDelivery.objects.get().sequence == 2
