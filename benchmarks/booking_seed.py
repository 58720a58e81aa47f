"""Seed for `booking.py`, run in the portal zone's settings against a running `onetrip up`:

    DJANGO_SETTINGS_MODULE=onetrip.settings.portal python benchmarks/booking_seed.py N

N residents (accounts as a first SMS log-in creates them), each with a channel-API token. Prints
one JSON line per resident."""

from __future__ import annotations

import json
import sys

import django


def main() -> None:
    django.setup()
    from onetrip.portal.accounts.models import Resident
    from onetrip.portal.accounts.services import phone_hash_of
    from onetrip.portal.api.auth import token_for

    count = int(sys.argv[1])
    for index in range(count):
        phone = f"1370{index:07d}"
        resident, _ = Resident.objects.get_or_create(
            phone_hash=phone_hash_of(phone), defaults={"phone": phone}
        )
        print(json.dumps({"phone": phone, "token": token_for(resident)}), flush=True)


if __name__ == "__main__":
    main()
