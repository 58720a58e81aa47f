"""The resident changes how the card reaches them (PI-2): allowed while the card has not left
the station, checked like the application form's postal address, recorded and sent to the
station in one transaction, limited per day, and settled by the station's answer."""

from __future__ import annotations

import pytest

from onetrip.common.errors import RateLimited
from onetrip.contracts.delivery import PermitDeliveryAddressChangeV1
from onetrip.portal.ferrybox.models import OutboxMessage
from onetrip.portal.notify.models import SmsMessage
from onetrip.portal.permits import delivery as delivery_module
from onetrip.portal.permits.applications import permit_application_apply_status
from onetrip.portal.permits.delivery import (
    MAX_CHANGES_PER_DAY,
    permit_delivery_apply,
    permit_delivery_change_request,
)
from onetrip.portal.permits.errors import (
    ApplicationNotFound,
    DeliveryChangeInvalid,
    DeliveryNotChangeable,
)
from onetrip.portal.permits.models import PermitApplication, PermitDeliveryChange

from .delivery_helpers import POSTAL_ADDRESS, approved, snapshot
from .permit_helpers import draft, known_to_the_register, status

pytestmark = [
    pytest.mark.django_db(databases=["default", "police"]),
    pytest.mark.usefixtures("files_dir"),
]

NEW_ADDRESS = "杭州市西湖区文三路 90 号 1 幢 302 室"
TO_POST = {"delivery": "post", "postal_address": NEW_ADDRESS}


def _sent() -> list[PermitDeliveryAddressChangeV1]:
    rows = OutboxMessage.objects.filter(message_type="permit.delivery_address_changed")
    return [PermitDeliveryAddressChangeV1.model_validate(r.payload) for r in rows]


def _ask(resident, application, data=TO_POST):
    return permit_delivery_change_request(
        resident=resident, reference=application.reference, data=data
    )


# --- When it may change -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "stage", ["waiting_production", "in_production", "ready_for_pickup", "awaiting_courier"]
)
def test_pi2_the_delivery_may_change_while_the_card_is_at_the_station(resident, stage):
    application = approved(resident)
    permit_delivery_apply(message=snapshot(application, 1, "production_started", stage))
    request = _ask(resident, application)
    assert (request.method, request.postal_address, request.outcome) == (
        "post",
        NEW_ADDRESS,
        "pending",
    )
    [message] = _sent()
    assert message.reference == application.reference
    assert message.request_id == request.request_id and len(message.request_id) == 32
    assert (message.method, message.postal_address) == ("post", NEW_ADDRESS)
    row = OutboxMessage.objects.get(message_type="permit.delivery_address_changed")
    assert (row.aggregate_id, row.actor) == (application.reference, f"resident:{resident.pk}")


@pytest.mark.parametrize(
    "stage",
    ["shipped", "in_transit", "out_for_delivery", "failed_attempt", "delivered", "collected"],
)
def test_pi2_the_delivery_cannot_change_once_the_card_has_left(resident, stage):
    application = approved(resident, delivery="post")
    permit_delivery_apply(message=snapshot(application, 1, "shipped", stage, method="post"))
    with pytest.raises(DeliveryNotChangeable):
        _ask(resident, application, {"delivery": "pickup"})
    assert PermitDeliveryChange.objects.count() == 0 and _sent() == []


def test_pi2_before_any_snapshot_the_delivery_may_change_once_approved(resident):
    application = approved(resident)
    _ask(resident, application)
    assert len(_sent()) == 1


def test_pi2_before_approval_the_delivery_cannot_change_here(resident):
    known_to_the_register(resident)
    application = draft(resident)
    with pytest.raises(DeliveryNotChangeable):
        _ask(resident, application)
    from onetrip.portal.permits.applications import permit_application_submit

    permit_application_submit(resident=resident, reference=application.reference, consent=True)
    application.refresh_from_db()
    permit_application_apply_status(message=status(application, "accepted"))
    with pytest.raises(DeliveryNotChangeable):
        _ask(resident, application)
    assert _sent() == []


def test_pi2_an_endorsement_has_no_card_to_deliver(resident):
    application = approved(resident)
    PermitApplication.objects.filter(pk=application.pk).update(kind="endorsement")
    with pytest.raises(DeliveryNotChangeable):
        _ask(resident, application)


def test_pi2_another_residents_application_is_not_found(resident):
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of

    application = approved(resident)
    other = Resident.objects.create(phone="13900139000", phone_hash=phone_hash_of("13900139000"))
    with pytest.raises(ApplicationNotFound):
        _ask(other, application)


# --- What the resident typed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"delivery": "post", "postal_address": ""}, "postal_address", "required"),
        ({"delivery": "post", "postal_address": "   "}, "postal_address", "required"),
        ({"delivery": "post", "postal_address": "文三路"}, "postal_address", "too_short"),
        ({"delivery": "post", "postal_address": "文三路" * 67}, "postal_address", "too_long"),
        (
            {"delivery": "post", "postal_address": "文三路 90 号😀"},
            "postal_address",
            "unsupported_character",
        ),
        (
            {"delivery": "post", "postal_address": "文三路\x00 90 号"},
            "postal_address",
            "control_character",
        ),
        ({"delivery": "drone", "postal_address": NEW_ADDRESS}, "delivery", "choice"),
        ({"delivery": ""}, "delivery", "required"),
        ({}, "delivery", "required"),
        ({"delivery": "pickup"}, "delivery", "unchanged"),
    ],
)
def test_pi2_bad_input_is_named_by_field_and_changes_nothing(resident, data, field, code):
    application = approved(resident)
    with pytest.raises(DeliveryChangeInvalid) as info:
        _ask(resident, application, data)
    assert [(e.field, e.code) for e in info.value.errors] == [(field, code)]
    assert all(e.message_zh for e in info.value.errors)
    assert PermitDeliveryChange.objects.count() == 0 and _sent() == []
    application.refresh_from_db()
    assert (application.delivery, application.postal_address) == ("pickup", "")


def test_pi2_full_width_digits_and_letters_are_read_as_ascii(resident):
    application = approved(resident)
    request = _ask(
        resident,
        application,
        {"delivery": "post", "postal_address": "杭州市西湖区文三路　９０号Ａ座　３０２室"},
    )
    assert request.postal_address == "杭州市西湖区文三路 90号A座 302室"
    assert _sent()[0].postal_address == "杭州市西湖区文三路 90号A座 302室"


def test_pi2_a_switch_to_pickup_sends_no_address(resident):
    application = approved(resident, delivery="post")
    request = _ask(resident, application, {"delivery": "pickup", "postal_address": "忽略"})
    assert (request.method, request.postal_address) == ("pickup", "")
    assert (_sent()[0].method, _sent()[0].postal_address) == ("pickup", "")


def test_pi2_the_record_and_the_message_commit_together(resident, monkeypatch):
    application = approved(resident)

    def broken(**kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(delivery_module, "emit", broken)
    with pytest.raises(RuntimeError):
        _ask(resident, application)
    assert PermitDeliveryChange.objects.count() == 0


def test_pi2_changes_are_limited_per_day_and_refused_input_does_not_count(resident):
    application = approved(resident)
    for _ in range(3):
        with pytest.raises(DeliveryChangeInvalid):
            _ask(resident, application, {"delivery": "post", "postal_address": ""})
    addresses = [f"杭州市西湖区文三路 {n} 号" for n in range(MAX_CHANGES_PER_DAY + 1)]
    for address in addresses[:MAX_CHANGES_PER_DAY]:
        _ask(resident, application, {"delivery": "post", "postal_address": address})
    with pytest.raises(RateLimited) as info:
        _ask(resident, application, {"delivery": "post", "postal_address": addresses[-1]})
    assert info.value.retry_after > 0
    assert len(_sent()) == MAX_CHANGES_PER_DAY


# --- The station's answer ---------------------------------------------------------------------


def test_pi2_the_stations_confirmation_becomes_the_applications_delivery(resident):
    application = approved(resident)
    permit_delivery_apply(message=snapshot(application, 1, "production_started", "in_production"))
    request = _ask(resident, application)
    permit_delivery_apply(
        message=snapshot(application, 2, "address_changed", "in_production", method="post")
    )
    request.refresh_from_db()
    application.refresh_from_db()
    assert request.outcome == "applied" and request.answered_at is not None
    assert (application.delivery, application.postal_address) == ("post", NEW_ADDRESS)
    assert not SmsMessage.objects.filter(template__startswith="permit_delivery_").exists()


def test_pi2_a_refusal_leaves_the_delivery_and_tells_the_resident(resident):
    application = approved(resident, delivery="post")
    permit_delivery_apply(
        message=snapshot(application, 1, "production_started", "awaiting_courier", method="post")
    )
    request = _ask(resident, application, {"delivery": "pickup"})
    permit_delivery_apply(
        message=snapshot(application, 2, "address_change_refused", "shipped", method="post")
    )
    request.refresh_from_db()
    application.refresh_from_db()
    assert request.outcome == "refused"
    assert (application.delivery, application.postal_address) == ("post", POSTAL_ADDRESS)
    assert SmsMessage.objects.filter(template="permit_delivery_address_change_refused").count() == 1


def test_pi2_asking_the_same_as_the_pending_request_is_unchanged(resident):
    application = approved(resident)
    _ask(resident, application)
    with pytest.raises(DeliveryChangeInvalid) as info:
        _ask(resident, application)
    assert info.value.errors[0].code == "unchanged"
    assert len(_sent()) == 1
