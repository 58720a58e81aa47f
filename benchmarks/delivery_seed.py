"""Seed for `delivery.py`, run in one zone's settings against a running `onetrip up`:

    DJANGO_SETTINGS_MODULE=onetrip.settings.portal python benchmarks/delivery_seed.py portal N TAG
    DJANGO_SETTINGS_MODULE=onetrip.settings.police python benchmarks/delivery_seed.py police N TAG
    ... delivery_seed.py portal|police check TAG

The same N applications on both sides, references `PA<TAG><index>` (TAG: 6 digits):

- portal: N residents (accounts as a first SMS log-in creates them), each with a channel-API
  token and one residence-permit application the station has approved, to be posted. Prints one
  JSON line per resident: phone, token, reference.
- police: the station's case of each of those applications, its card made and at the station
  for posting, and a courier order the courier has accepted (status `created`, tracking number
  `CN<TAG><index>`), as `shipment_place` leaves it; then the `shipped` snapshot that step emits
  (`delivery_emit`), which the ferry carries to the portal. Prints one JSON line per case:
  reference, tracking_number.

`check` in either zone prints one JSON line of what the benchmark verifies afterwards: on the
police side the shipments and cases by status and, per case, the `permit.delivery_changed`
messages in the outbox (how many say `delivered`, and whether any sequence number repeats); on
the portal side the snapshots by stage.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sys

import django

BEISHAN_COMMUNITY = "330106002001"
POSTAL_ADDRESS = "浙江省杭州市西湖区曙光路 12 号 3 幢 201 室"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def reference(tag: str, index: int) -> str:
    return f"PA{tag}{index:08d}"


def tracking_number(tag: str, index: int) -> str:
    return f"CN{tag}{index:06d}"


def phone(tag: str, index: int) -> str:
    return f"137{int(tag) % 100:02d}{index:06d}"


def id_number(index: int) -> str:
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=(index * 37) % (365 * 30))
    body = f"330106{birth:%Y%m%d}{index % 1000:03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def seed_portal(count: int, tag: str) -> None:
    from django.utils import timezone

    from onetrip.common.crypto import lookup_hash
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of
    from onetrip.portal.api.auth import token_for
    from onetrip.portal.permits.models import PermitApplication

    now = timezone.now()
    for index in range(count):
        number = phone(tag, index)
        resident, _ = Resident.objects.get_or_create(
            phone_hash=phone_hash_of(number), defaults={"phone": number}
        )
        ref = reference(tag, index)
        person = id_number(index)
        PermitApplication.objects.get_or_create(
            reference=ref,
            defaults={
                "resident": resident,
                "kind": "first",
                "status": "approved",
                "revision": 1,
                "name": "张三",
                "id_number": person,
                "id_hash": lookup_hash(person, purpose="id_number"),
                "phone": number,
                "community_code": BEISHAN_COMMUNITY,
                "address_detail": "曙光路 12 号 3 幢 201 室",
                "route": "residence",
                "housing": "owned",
                "delivery": "post",
                "postal_address": POSTAL_ADDRESS,
                "consented_at": now - dt.timedelta(days=10, hours=1),
                "submitted_at": now - dt.timedelta(days=10),
                "station_name": "北山派出所",
                "status_changed_at": now - dt.timedelta(days=3),
            },
        )
        line = {"phone": number, "token": token_for(resident), "reference": ref}
        print(json.dumps(line), flush=True)


def seed_police(count: int, tag: str) -> None:
    from django.utils import timezone

    from onetrip.common.crypto import lookup_hash
    from onetrip.common.db import atomic_for
    from onetrip.police.delivery.models import Shipment, ShipmentStatus
    from onetrip.police.delivery.services import SYSTEM_ACTOR, delivery_emit
    from onetrip.police.permits.models import PermitCase, PermitStatus
    from onetrip.police.stations.selectors import station_for_community

    station = station_for_community(BEISHAN_COMMUNITY)
    if station is None:
        raise SystemExit(f"no station covers {BEISHAN_COMMUNITY}: reference data not loaded")
    now = timezone.now()
    for index in range(count):
        ref, tracking = reference(tag, index), tracking_number(tag, index)
        person, number = id_number(index), phone(tag, index)
        with atomic_for(PermitCase, durable=True):
            case = PermitCase.objects.create(
                reference=ref,
                revision=1,
                kind="first",
                station=station,
                name="张三",
                id_number=person,
                id_hash=lookup_hash(person, purpose="id_number"),
                phone=number,
                phone_hash=lookup_hash(number, purpose="phone"),
                community_code=BEISHAN_COMMUNITY,
                address_detail="曙光路 12 号 3 幢 201 室",
                route="residence",
                housing="owned",
                delivery="post",
                postal_address=POSTAL_ADDRESS,
                permit_number=f"330106{tag}{index:06d}",
                materials=["A1"],
                consented_at=now - dt.timedelta(days=10, hours=1),
                submitted_at=now - dt.timedelta(days=10),
                received_at=now - dt.timedelta(days=10),
                status=PermitStatus.READY,
                channel="online",
            )
            Shipment.objects.create(
                case=case,
                client_ref=f"{ref}-{secrets.token_hex(6)}",
                tracking_number=tracking,
                status=ShipmentStatus.CREATED,
                attempts=1,
            )
            delivery_emit(case=case, change="shipped", actor=SYSTEM_ACTOR)
        print(json.dumps({"reference": ref, "tracking_number": tracking}), flush=True)


def check_police(tag: str) -> None:
    from collections import Counter

    from onetrip.ferry.registry import get_store
    from onetrip.police.delivery.models import Shipment
    from onetrip.police.permits.models import PermitCase

    prefix = f"PA{tag}"
    shipments = Counter(
        Shipment.objects.filter(tracking_number__startswith=f"CN{tag}").values_list(
            "status", flat=True
        )
    )
    cases = Counter(
        PermitCase.objects.filter(reference__startswith=prefix).values_list("status", flat=True)
    )
    outbox = get_store("police").outbox.objects.filter(
        message_type="permit.delivery_changed", aggregate_id__startswith=prefix
    )
    delivered: Counter[str] = Counter()
    sequences: Counter[tuple[str, int]] = Counter()
    messages = 0
    for ref, payload in outbox.values_list("aggregate_id", "payload"):
        messages += 1
        sequences[(ref, int(payload["sequence"]))] += 1
        if payload["change"] == "delivered":
            delivered[ref] += 1
    references = list(
        PermitCase.objects.filter(reference__startswith=prefix).values_list("reference", flat=True)
    )
    result = {
        "shipments": dict(shipments),
        "cases": dict(cases),
        "messages": messages,
        "delivered_none": sum(1 for r in references if delivered[r] == 0),
        "delivered_once": sum(1 for r in references if delivered[r] == 1),
        "delivered_more": sum(1 for r in references if delivered[r] > 1),
        "sequence_repeats": sum(1 for n in sequences.values() if n > 1),
    }
    print(json.dumps(result), flush=True)


def check_portal(tag: str) -> None:
    from collections import Counter

    from onetrip.portal.permits.models import PermitDelivery

    stages = Counter(
        PermitDelivery.objects.filter(application__reference__startswith=f"PA{tag}").values_list(
            "stage", flat=True
        )
    )
    print(json.dumps({"stages": dict(stages)}), flush=True)


def main() -> None:
    django.setup()
    zone, what, tag = sys.argv[1], sys.argv[2], sys.argv[3]
    assert zone in ("portal", "police") and len(tag) == 6 and tag.isdigit(), sys.argv
    if what == "check":
        (check_portal if zone == "portal" else check_police)(tag)
    else:
        (seed_portal if zone == "portal" else seed_police)(int(what), tag)


if __name__ == "__main__":
    main()
