"""Seed for `application.py`, run in the portal zone's settings against a running `onetrip up`:

    DJANGO_SETTINGS_MODULE=onetrip.settings.portal python benchmarks/application_seed.py N RUN

Through the real services, N residents who declared residence, whose registration history (eight
months, HZ-1) the register has published, each with a first application (rented housing: photo,
lease and the landlord's pledge) submitted to the station, and a signed-in session. Prints one
JSON line per resident: phone, reference, session key.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys

import django


def main() -> None:
    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone
    from PIL import Image

    from onetrip.common.permit_eligibility import add_months
    from onetrip.contracts.permits import RegistrationRecordV1, ResidenceHistoryV1
    from onetrip.portal.accounts.auth import SESSION_KEY
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of
    from onetrip.portal.declarations.services import DeclarationInput, declaration_submit
    from onetrip.portal.permits.applications import (
        permit_application_save,
        permit_application_start,
        permit_application_submit,
        permit_document_upload,
    )
    from onetrip.portal.permits.services import residence_history_apply
    from portal import BEISHAN_COMMUNITY, make_resident

    count, run = int(sys.argv[1]), int(sys.argv[2])
    photo = io.BytesIO()
    Image.new("RGB", (358, 441), (255, 255, 255)).save(photo, "JPEG", quality=90)
    proof = io.BytesIO()
    Image.new("RGB", (800, 1100), (250, 250, 245)).save(proof, "JPEG", quality=80)
    declared_on = add_months(timezone.localdate(), -8)
    for index in range(count):
        person = make_resident(500_000 + index, run)
        resident, _ = Resident.objects.get_or_create(
            phone_hash=phone_hash_of(person.phone), defaults={"phone": person.phone}
        )
        fields = {k: v for k, v in person.declaration().items() if k not in ("district", "street")}
        declaration_submit(resident=resident, data=DeclarationInput(**fields))
        residence_history_apply(
            message=ResidenceHistoryV1(
                id_number=person.id_number,
                registrations=[
                    RegistrationRecordV1(
                        registration_number=f"BENCH-{run}-{index}",
                        declared_on=declared_on,
                        registered_on=declared_on,
                        community_code=BEISHAN_COMMUNITY,
                        address_detail=fields["address_detail"],
                    )
                ],
                as_of=timezone.now(),
            )
        )
        application = permit_application_start(resident=resident, kind="first")
        permit_application_save(
            resident=resident,
            reference=application.reference,
            data={
                "name": fields["name"],
                "id_number": person.id_number,
                "phone": person.phone,
                "community_code": BEISHAN_COMMUNITY,
                "address_detail": fields["address_detail"],
                "route": "residence",
                "housing": "rented_state_land",
                "delivery": "pickup",
            },
        )
        for item, content in (
            ("photo", photo.getvalue()),
            ("C23", proof.getvalue()),
            ("C24", proof.getvalue()),
        ):
            permit_document_upload(
                resident=resident,
                reference=application.reference,
                item=item,
                content=content,
                file_name=f"{item}.jpg",
            )
        permit_application_submit(resident=resident, reference=application.reference, consent=True)
        session = SessionStore()
        session[SESSION_KEY] = str(resident.pk)
        session.set_expiry(dt.timedelta(hours=2))
        session.create()
        print(
            json.dumps(
                {
                    "phone": person.phone,
                    "reference": application.reference,
                    "session": session.session_key,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
