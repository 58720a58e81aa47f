"""Business rejects surface to the sender's owner (DESIGN §3 "Receive", "Acknowledge"): the reject
handler registered for the sending zone and type runs exactly once per rejected message, in the
transaction that marks the batch acknowledged; in the portal a refused declaration shows as
申报未能受理 with a reason a resident understands."""

from __future__ import annotations

import re
import uuid

import pytest

from onetrip.contracts.base import Contract
from onetrip.ferry.agent import handlers as ferry_handlers
from onetrip.ferry.agent.handlers import Envelope, register_reject_handler
from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.protocol.channels import PORTAL_TO_POLICE
from onetrip.portal.ferrybox import models as portal_box
from tests.fixtures import (  # noqa: F401  (fixtures used by name)
    BEISHAN_STREET,
    beishan,
    reference_data,
    resident,
    resident_client,
    valid_declaration,
)

from ..helpers import FerryEnv, pump
from ..pingpong import PingV1, send_pings

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, str]] = []
        self.fail = False

    def __call__(self, envelope: Envelope, message: Contract, reason: str) -> None:
        assert isinstance(message, PingV1)
        if self.fail:
            raise RuntimeError("reject handler bug")
        self.calls.append((str(envelope.message_id), message.n, reason))
        # Runs inside the ack's transaction, on the zone's database.
        assert portal_box.SentBatch.objects.filter(acked_at__isnull=False).exists()


@pytest.fixture
def recorder(monkeypatch) -> Recorder:
    rec = Recorder()
    monkeypatch.setitem(ferry_handlers._REJECT_HANDLERS, ("portal", "test.ping"), rec)
    return rec


def test_one_reject_handler_per_zone_and_type() -> None:
    def first(envelope: Envelope, message: Contract, reason: str) -> None: ...

    def second(envelope: Envelope, message: Contract, reason: str) -> None: ...

    register_reject_handler(zone="police", message_type="test.only_once")(first)
    register_reject_handler(zone="police", message_type="test.only_once")(first)  # re-import
    try:
        with pytest.raises(ValueError):
            register_reject_handler(zone="police", message_type="test.only_once")(second)
        with pytest.raises(ValueError):
            register_reject_handler(zone="nowhere", message_type="test.x")
    finally:
        ferry_handlers._REJECT_HANDLERS.pop(("police", "test.only_once"))


@DB
def test_reject_is_surfaced_exactly_once(ferry_env: FerryEnv, settings, recorder: Recorder) -> None:
    send_pings("portal", 1, start=0)
    [rejected] = send_pings("portal", 1, start=1, reject="材料不全 papers missing")
    reports = pump()
    assert recorder.calls == [(rejected, 1, "材料不全 papers missing")]
    assert sum(r.rejects_surfaced for r in reports) == 1
    row = portal_box.OutboxMessage.objects.get(message_id=rejected)
    assert row.rejected_reason == "材料不全 papers missing"
    assert row.reject_seen_at is not None
    other = portal_box.OutboxMessage.objects.get(aggregate_id="ping-0")
    assert (other.rejected_reason, other.reject_seen_at) == ("", None)

    # The same ack again (the batch resent, re-acked as a duplicate): not surfaced twice.
    settings.FERRY_RESEND_AFTER_SECONDS = 0
    portal_box.SentBatch.objects.update(acked_at=None)
    run_once("portal")
    assert run_once("police").duplicate_batches == 1
    portal_box.SentBatch.objects.update(acked_at=None)
    settings.FERRY_RESEND_AFTER_SECONDS = 3600
    assert run_once("portal").acks_received == 1
    assert len(recorder.calls) == 1
    assert portal_box.SentBatch.objects.get().acked_at is not None


@DB
def test_failing_reject_handler_leaves_the_ack_for_the_next_pass(
    ferry_env: FerryEnv, recorder: Recorder
) -> None:
    [rejected] = send_pings("portal", 1, reject="no")
    run_once("portal")
    run_once("police")
    recorder.fail = True
    report = run_once("portal")
    assert report.errors and report.acks_received == 0
    sent = portal_box.SentBatch.objects.get()
    assert sent.acked_at is None  # rolled back with the handler
    assert portal_box.OutboxMessage.objects.get(message_id=rejected).reject_seen_at is None
    assert len(ferry_env.acks(PORTAL_TO_POLICE)) == 1
    recorder.fail = False
    assert run_once("portal").rejects_surfaced == 1
    assert [call[0] for call in recorder.calls] == [rejected]


@DB
def test_reject_without_a_handler_is_still_recorded(ferry_env: FerryEnv) -> None:
    [rejected] = send_pings("portal", 1, reject="no")
    pump()
    assert portal_box.OutboxMessage.objects.get(message_id=rejected).rejected_reason == "no"


# -- the portal: a declaration no police station can take ----------------------------------------


def _declare(resident_client) -> str:  # noqa: F811
    response = resident_client.post("/declare/", valid_declaration())
    assert response.status_code == 302, response.content.decode()[:2000]
    match = re.search(r"/my/declarations/(JZ\d+)/", response["Location"])
    assert match
    return match.group(1)


@DB
def test_declaration_no_station_covers_shows_as_not_accepted(
    ferry_env: FerryEnv,
    resident_client,  # noqa: F811
    beishan,  # noqa: F811
) -> None:
    from onetrip.police.register.models import ResidenceDeclaration
    from onetrip.portal.declarations.models import Declaration

    # The community's street has no station in the police register (e.g. a jurisdiction not
    # set up yet): the police zone refuses the declaration with a business reject.
    beishan.streets.filter(street_code=BEISHAN_STREET).delete()
    reference = _declare(resident_client)
    pump()
    assert not ResidenceDeclaration.objects.filter(reference=reference).exists()

    declaration = Declaration.objects.get(reference=reference)
    assert declaration.status == "rejected"
    assert declaration.reject_reason == "所选社区暂无对应派出所，请核对居住地址或联系当地派出所"
    assert [e.status for e in declaration.events.all()] == ["submitted", "rejected"]
    outbox = portal_box.OutboxMessage.objects.get(message_type="declaration.submitted")
    assert outbox.rejected_reason.startswith("no station covers community")

    page = resident_client.get(f"/my/declarations/{reference}/").content.decode()
    assert "申报未能受理" in page
    assert "所选社区暂无对应派出所" in page
    assert "本页不会自动刷新" not in page  # a final state
    assert "no station covers" not in page  # never the technical reason

    progress = resident_client.get(
        "/progress/", {"reference": reference, "id_last6": "01123X"}
    ).content.decode()
    assert "申报未能受理" in progress and "所选社区暂无对应派出所" in progress

    english = resident_client.get(
        f"/my/declarations/{reference}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "所选社区暂无对应派出所" not in english

    # The resident is told by SMS too, once, with the plain reason and what to do next.
    from onetrip.portal.notify.models import SmsMessage

    sms = SmsMessage.objects.get(template="declaration_rejected")
    assert sms.phone == declaration.phone
    assert reference in sms.text and "所选社区暂无对应派出所" in sms.text
    assert "重新申报" in sms.text
    assert "no station covers" not in sms.text
    pump()
    assert SmsMessage.objects.filter(template="declaration_rejected").count() == 1


@DB
def test_reject_of_a_declaration_already_taken_up_keeps_its_status(
    ferry_env: FerryEnv,
    resident_client,  # noqa: F811
    beishan,  # noqa: F811
) -> None:
    from onetrip.portal.declarations.models import Declaration
    from onetrip.portal.declarations.services import declaration_mark_rejected

    reference = _declare(resident_client)
    pump()
    assert Declaration.objects.get(reference=reference).status == "received"
    assert declaration_mark_rejected(reference=reference, ferry_reason="already received") is None
    assert (
        declaration_mark_rejected(reference=f"JZ{uuid.uuid4().int % 10**8}", ferry_reason="x")
        is None
    )
    assert Declaration.objects.get(reference=reference).status == "received"
