"""Where the card is, on the portal (WF-2 after approval, NAT-3, PI-2): the police zone's
delivery snapshot is kept newest by sequence, each snapshot that needs an SMS sends exactly one,
the pickup code reaches the SMS and nothing else, and the status's own "ready" SMS gives way to
the delivery track so the resident is not told twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connections
from django.utils import timezone

from onetrip.ferry.agent.handlers import BusinessReject, handler_for
from onetrip.portal.notify.models import SmsMessage
from onetrip.portal.permits.applications import permit_application_apply_status
from onetrip.portal.permits.delivery import permit_delivery_apply
from onetrip.portal.permits.models import PermitApplication, PermitDelivery

from .delivery_helpers import CODE, STATION, approved, shipped, snapshot
from .permit_helpers import status

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.usefixtures("files_dir"),
]


def _delivery_sms() -> list[SmsMessage]:
    return list(SmsMessage.objects.filter(template__startswith="permit_delivery_"))


# --- The snapshot: newest wins -----------------------------------------------------------------


def test_wf2_a_newer_snapshot_replaces_the_mirror(resident):
    application = approved(resident, delivery="post")
    permit_delivery_apply(message=snapshot(application, 1, "production_started", "in_production"))
    permit_delivery_apply(message=shipped(application, 2))
    delivery = PermitDelivery.objects.get(application=application)
    assert (delivery.sequence, delivery.stage) == (2, "in_transit")
    assert delivery.change == "courier_update"
    assert (delivery.method, delivery.courier, delivery.tracking_number) == (
        "post",
        "EMS",
        "EM123456789CN",
    )
    assert [e["status"] for e in delivery.events] == ["picked_up", "in_transit"]
    assert delivery.station_name == STATION


def test_wf2_an_older_or_repeated_sequence_changes_nothing_and_sends_nothing(resident):
    application = approved(resident)
    ready = snapshot(application, 5, "ready", "ready_for_pickup", code=CODE)
    assert permit_delivery_apply(message=ready) is not None
    assert len(_delivery_sms()) == 1
    assert permit_delivery_apply(message=ready) is None  # the same message again
    late = snapshot(application, 4, "production_started", "in_production")
    assert permit_delivery_apply(message=late) is None  # an older one arriving late
    delivery = PermitDelivery.objects.get(application=application)
    assert (delivery.sequence, delivery.stage) == (5, "ready_for_pickup")
    assert len(_delivery_sms()) == 1


def test_wf2_the_handler_run_twice_sends_one_sms(resident):
    application = approved(resident)
    handler = handler_for("portal", "permit.delivery_changed")
    message = snapshot(application, 1, "ready", "ready_for_pickup", code=CODE)
    handler(None, message)
    handler(None, message)
    assert len(_delivery_sms()) == 1


def test_wf2_the_sms_is_keyed_by_reference_and_sequence_even_past_the_sequence_check(resident):
    """Two deliveries of one message racing past the sequence check still queue one SMS."""
    application = approved(resident)
    message = snapshot(application, 1, "ready", "ready_for_pickup", code=CODE)
    permit_delivery_apply(message=message)
    PermitDelivery.objects.filter(application=application).delete()
    permit_delivery_apply(message=message)
    [sms] = _delivery_sms()
    assert sms.client_ref == f"permit-delivery:{application.reference}:1"


def test_wf2_a_snapshot_for_an_unknown_application_is_a_business_reject(resident):
    application = PermitApplication(reference="PA26120199999999")
    handler = handler_for("portal", "permit.delivery_changed")
    with pytest.raises(BusinessReject):
        handler(None, snapshot(application, 1, "production_started", "in_production"))


# --- One SMS per change that needs one ---------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "stage", "method", "extra", "words"),
    [
        (
            "ready",
            "ready_for_pickup",
            "pickup",
            {"pickup_code": CODE},
            [CODE, STATION, "凭身份证或取件码领取"],
        ),
        (
            "shipped",
            "shipped",
            "post",
            {"courier": "EMS", "tracking_number": "EM123456789CN"},
            ["EMS", "EM123456789CN"],
        ),
        ("delivered", "delivered", "post", {}, ["已签收"]),
        (
            "returned",
            "ready_for_pickup",
            "pickup",
            {"pickup_code": CODE},
            [CODE, STATION, "退回", "凭身份证或取件码"],
        ),
        ("production_failed", "in_production", "pickup", {}, ["重新制作", "无需任何操作"]),
        (
            "pickup_reminder",
            "ready_for_pickup",
            "pickup",
            {"pickup_code": CODE},
            [CODE, STATION, "尽快"],
        ),
        ("address_change_refused", "shipped", "post", {}, ["未能变更"]),
    ],
)
def test_wf2_each_change_that_needs_an_sms_sends_one_with_its_facts(
    resident, change, stage, method, extra, words
):
    application = approved(resident, delivery=method)
    code = extra.pop("pickup_code", "")
    message = snapshot(application, 1, change, stage, method=method, code=code, **extra)
    permit_delivery_apply(message=message)
    permit_delivery_apply(message=message)
    [sms] = _delivery_sms()
    assert sms.template == f"permit_delivery_{change}"
    assert sms.text.startswith("【杭州公安】") and application.reference in sms.text
    for word in words:
        assert word in sms.text, (word, sms.text)
    if change not in ("ready", "returned", "pickup_reminder"):
        assert CODE not in sms.text


@pytest.mark.parametrize(
    ("change", "stage"),
    [
        ("production_started", "in_production"),
        ("courier_update", "in_transit"),
        ("address_changed", "awaiting_courier"),
        ("collected", "collected"),
    ],
)
def test_wf2_changes_without_an_sms_send_none(resident, change, stage):
    application = approved(resident)
    permit_delivery_apply(message=snapshot(application, 1, change, stage))
    assert _delivery_sms() == []
    assert PermitDelivery.objects.get(application=application).stage == stage


def test_wf2_a_ready_snapshot_without_its_code_still_tells_the_resident(resident):
    application = approved(resident)
    permit_delivery_apply(message=snapshot(application, 1, "ready", "ready_for_pickup"))
    [sms] = _delivery_sms()
    assert sms.template == "permit_delivery_pickup_without_code"
    assert STATION in sms.text and "身份证" in sms.text and "取件码" not in sms.text


# --- The pickup code is kept nowhere -----------------------------------------------------------


def _every_stored_text(alias: str) -> str:
    """Every value of every table of the database, as text."""
    connection = connections[alias]
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - table names from introspection
            found += [repr(value) for row in cursor.fetchall() for value in row]
    return "\n".join(found)


def test_wf2_no_pickup_code_is_stored_anywhere_in_the_portal_database(resident):
    application = approved(resident)
    codes = ("918273", "564738", "102938")
    handler = handler_for("portal", "permit.delivery_changed")
    handler(None, snapshot(application, 1, "ready", "ready_for_pickup", code=codes[0]))
    handler(None, snapshot(application, 2, "pickup_reminder", "ready_for_pickup", code=codes[1]))
    handler(None, snapshot(application, 3, "returned", "ready_for_pickup", code=codes[2]))
    texts = [s.text for s in _delivery_sms()]
    assert [any(code in text for text in texts) for code in codes] == [True, True, True]
    stored = _every_stored_text("default")
    for code in codes:
        assert code not in stored


# --- The status's own "ready" SMS gives way to the delivery track ------------------------------


def _ready_texts() -> list[str]:
    return [s.template for s in SmsMessage.objects.order_by("created_at") if "已制作完成" in s.text]


def test_wf2_one_ready_sms_when_the_status_crosses_before_the_delivery_snapshot(resident):
    """As the police zone sends them when a card reaches its station by hand: the status
    first, then the delivery snapshot with the code, and no snapshot before."""
    application = approved(resident)
    now = timezone.now()
    permit_application_apply_status(message=status(application, "in_production", at=now))
    later = now + dt.timedelta(minutes=1)
    permit_application_apply_status(message=status(application, "ready", at=later))
    permit_delivery_apply(
        message=snapshot(application, 1, "ready", "ready_for_pickup", code=CODE, at=later)
    )
    assert _ready_texts() == ["permit_delivery_ready"]
    assert SmsMessage.objects.filter(template="permit_in_production").count() == 1
    application.refresh_from_db()
    assert application.status == "ready"
    assert application.events.filter(status="ready").count() == 1  # the history still says it


def test_wf2_one_ready_sms_when_production_batches_began_the_delivery_track(resident):
    application = approved(resident)
    now = timezone.now()
    permit_delivery_apply(
        message=snapshot(application, 1, "production_started", "in_production", at=now)
    )
    permit_application_apply_status(message=status(application, "in_production", at=now))
    later = now + dt.timedelta(minutes=1)
    permit_delivery_apply(
        message=snapshot(application, 2, "ready", "ready_for_pickup", code=CODE, at=later)
    )
    permit_application_apply_status(message=status(application, "ready", at=later))
    assert _ready_texts() == ["permit_delivery_ready"]
    # production_started sends none; the status's own in-production SMS stays.
    assert SmsMessage.objects.filter(template="permit_in_production").count() == 1


def test_wf2_the_delivered_status_gives_way_to_the_delivery_sms_too(resident):
    application = approved(resident, delivery="post")
    permit_delivery_apply(message=shipped(application, 1))
    permit_application_apply_status(message=status(application, "delivered"))
    permit_delivery_apply(message=snapshot(application, 2, "delivered", "delivered", method="post"))
    templates = set(SmsMessage.objects.values_list("template", flat=True))
    assert "permit_delivered" not in templates and "permit_delivery_delivered" in templates


def test_wf2_a_posted_card_at_the_station_is_told_once_by_the_shipped_sms(resident):
    application = approved(resident, delivery="post")
    permit_application_apply_status(message=status(application, "ready"))
    permit_delivery_apply(
        message=snapshot(application, 1, "courier_update", "awaiting_courier", method="post")
    )
    assert not SmsMessage.objects.filter(template__in=["permit_ready", "permit_delivery_ready"])
    permit_delivery_apply(
        message=snapshot(
            application,
            2,
            "shipped",
            "shipped",
            method="post",
            courier="EMS",
            tracking_number="EM123456789CN",
        )
    )
    assert SmsMessage.objects.filter(template="permit_delivery_shipped").count() == 1
