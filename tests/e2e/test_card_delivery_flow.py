"""A posted card end to end (issue 13, WF-2 after READY): the resident's application crosses the
ferry, the card reaches its station and is ordered from the courier simulator over HTTP, and the
courier's status callbacks arrive twice each and newest first, with the ferry pumped between
them. On the portal the resident's delivery mirror ends at 已签收 with every tracking event, and
she gets one SMS per change she is told about: one "shipped" with the tracking number, one
"delivered". The same callbacks again change nothing."""

from __future__ import annotations

from collections import Counter

import pytest

from onetrip.police.permits import casework
from onetrip.police.permits.models import PermitCase
from onetrip.police.permits.services import permit_prereview_pass
from onetrip.portal.notify.models import SmsMessage
from onetrip.portal.permits.applications import permit_application_submit
from onetrip.portal.permits.models import PermitApplication, PermitDelivery
from tests.ferry.helpers import pump
from tests.fixtures import RESIDENT_PHONE
from tests.police.delivery.conftest import changes, courier, trap  # noqa: F401
from tests.police.delivery.helpers import advance, arrive, post_callback, shipment
from tests.police.permits.production_helpers import Team
from tests.portal.permits.delivery_helpers import POSTAL_ADDRESS
from tests.portal.permits.permit_helpers import FORM, draft, known_to_the_register

pytestmark = pytest.mark.django_db(databases=["default", "police"], transaction=True)

SCRIPT = ("picked_up", "in_transit", "out_for_delivery", "delivered")


@pytest.fixture
def files_dir(tmp_path, settings):
    settings.ONETRIP_FILES_DIR = tmp_path / "files"


@pytest.fixture
def posted(ferry_env, files_dir, sms_simulator, courier, trap, resident, beishan):  # noqa: F811
    """The resident applies on the portal for the card by post; the application crosses to the
    police zone, where the station takes it through pre-review, acceptance, review and approval
    and sends the card to production; the printed card reaches the station, which orders the
    courier after the commit; the ferry brings each step back to the portal."""
    known_to_the_register(resident)
    form = {**FORM, "delivery": "post", "postal_address": POSTAL_ADDRESS}
    reference = draft(resident, form=form).reference
    permit_application_submit(resident=resident, reference=reference, consent=True)
    pump()
    case = PermitCase.objects.get(reference=reference)
    assert (case.delivery, case.station_id) == ("post", beishan.pk)
    team = Team(beishan, "e2e")
    permit_prereview_pass(user=team.reviewer, reference=reference)
    pump()
    casework.permit_take(user=team.clerk, reference=reference)
    casework.permit_accept(
        user=team.clerk,
        reference=reference,
        originals=case.materials,
        ethnicity="汉族",
        hukou_address="浙江省温州市鹿城区五马街道解放街1号",
    )
    casework.permit_take(user=team.reviewer, reference=reference)
    casework.permit_review(user=team.reviewer, reference=reference)
    casework.permit_take(user=team.approver, reference=reference)
    casework.permit_approve(user=team.approver, reference=reference)
    pump()
    casework.permit_take(user=team.clerk, reference=reference)
    casework.permit_send_to_production(user=team.clerk, reference=reference)
    pump()
    arrive(team.clerk, reference)
    pump()
    return PermitApplication.objects.get(reference=reference)


def _sms_texts() -> list[str]:
    # The text is encrypted at rest: read it through the model, not in a query.
    return [m.text for m in SmsMessage.objects.all()]


def _delivery_templates() -> Counter[str]:
    return Counter(
        t for t in SmsMessage.objects.values_list("template", flat=True) if "deliver" in t
    )


def test_wf2_duplicated_and_reordered_callbacks_send_each_sms_once_end_to_end(
    posted,
    courier,  # noqa: F811
    trap,  # noqa: F811
    sms_simulator,
    resident_client,
):
    reference = posted.reference
    placed = shipment(reference)
    tracking = placed.tracking_number
    assert placed.status == "created" and tracking
    mirror = PermitDelivery.objects.get(application=posted)
    assert (mirror.stage, mirror.tracking_number) == ("shipped", tracking)
    assert sum(tracking in t for t in _sms_texts()) == 1

    advance(courier, tracking, *SCRIPT, duplicate=True, reorder=True)
    sent = trap.take()
    assert len(sent) == 2 * len(SCRIPT)
    results = []
    for headers, body in sent:
        answer = post_callback(headers, body)
        assert answer.status_code == 200, answer.content
        results.append(answer.json()["result"])
        pump()
        assert len(pump()) == 2  # the next pass finds nothing left to move
        texts = _sms_texts()
        assert sum(tracking in t for t in texts) == 1, texts
        assert sum("已签收" in t for t in texts) == 1, texts  # "delivered" came first
    # Delivered, sent newest first, closed the shipment; the earlier events are kept on the
    # list without moving it back; each second copy is recognised by its event id.
    assert results == ["applied", "duplicate"] + ["recorded", "duplicate"] * 3
    assert courier.shipment_count() == 1

    mirror = PermitDelivery.objects.get(application=posted)
    assert (mirror.stage, mirror.get_stage_display()) == ("delivered", "已签收")
    assert (mirror.method, mirror.tracking_number) == ("post", tracking)
    assert [e["status"] for e in mirror.events] == list(SCRIPT)
    assert mirror.events[-1]["detail"] == "已签收"
    assert PermitApplication.objects.get(pk=posted.pk).status == "delivered"

    texts = _sms_texts()
    assert sum(tracking in t for t in texts) == 1, texts
    assert sum("已签收" in t for t in texts) == 1, texts
    templates = _delivery_templates()
    assert templates == {"permit_delivery_shipped": 1, "permit_delivery_delivered": 1}, templates
    gateway = [m["text"] for m in sms_simulator.messages(to=RESIDENT_PHONE)]
    assert sum(tracking in t for t in gateway) == 1, gateway
    assert sum("已签收" in t for t in gateway) == 1, gateway
    assert all(m.status == "sent" for m in SmsMessage.objects.all())

    page = resident_client.get(f"/permit/applications/{reference}/").content.decode()
    assert "已签收" in page and tracking in page

    # The same duplicated callbacks again, pumped: acknowledged, and nothing moves.
    before = (mirror.sequence, list(mirror.events), changes(reference), sorted(texts))
    again = []
    for headers, body in sent:
        again.append(post_callback(headers, body).json()["result"])
        pump()
    assert set(again) == {"duplicate"}
    mirror = PermitDelivery.objects.get(application=posted)
    after = (mirror.sequence, list(mirror.events), changes(reference), sorted(_sms_texts()))
    assert after == before
    assert len(sms_simulator.messages(to=RESIDENT_PHONE)) == len(gateway)
