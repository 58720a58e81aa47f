"""Regression: a bit flip the signature check could not see (found by the fault suite).

An Ed25519 signature is 64 bytes, i.e. 88 base64 characters ending in "==": the last character
before the padding carries 2 bits of the signature and 4 bits that must be zero. `base64.b64decode`
ignores those 4 bits, so flipping one of them (e.g. "C" → "B") yielded a different file whose
signature still verified. The manifest stayed canonical JSON and the messages untouched, so
`verify_batch` accepted the file — but its SHA-256 was not the sender's. The receiver applied it and
recorded *that* hash as the chain head; the sender rejected the ack ("names a batch we did not
send") and resent the genuine batch, which the receiver then called a conflicting batch (security
alarm), and every later batch broke the hash chain: one bit flipped by a gateway wedged the
channel for good. Fixed in signing.check_signature (only the canonical base64 spelling counts).
"""

from __future__ import annotations

import base64
import json

import pytest

from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.protocol.channels import PORTAL_TO_POLICE
from onetrip.ferry.protocol.envelope import sha256_hex
from onetrip.police.ferrybox import models as police_box
from onetrip.portal.ferrybox import models as portal_box
from tests.ferry.helpers import FerryEnv, pump

from .contracts import PING
from .gateway import malleable_signature_flip


@pytest.mark.django_db(databases=["default", "police"], transaction=True)
def test_signature_with_flipped_padding_bit_is_quarantined(ferry_env: FerryEnv, settings) -> None:
    import random

    from .contracts import emit_pings

    settings.FERRY_BATCH_MAX_MESSAGES = 2
    emit_pings(0, 6, random.Random(1))
    run_once("portal")
    first, *_rest = ferry_env.batches(PORTAL_TO_POLICE)
    genuine = first.read_bytes()
    tampered = malleable_signature_flip(genuine)
    assert tampered != genuine
    manifest = json.loads(tampered.split(b"\n", 1)[0])
    original = json.loads(genuine.split(b"\n", 1)[0])
    assert base64.b64decode(manifest["signature"]) == base64.b64decode(original["signature"])
    first.write_bytes(tampered)  # what a gateway flipping one bit delivers

    run_once("police")
    # A file that is not byte for byte what the sender signed must be quarantined, and the
    # batches behind it wait for the resend.
    assert police_box.InboxMessage.objects.count() == 0
    assert list(police_box.QuarantinedBatch.objects.values_list("sha256", flat=True)) == [
        sha256_hex(tampered)
    ]

    # ... and the sender's resend must then get the channel through without any alarm.
    settings.FERRY_RESEND_AFTER_SECONDS = 0
    pump(times=10)
    assert police_box.InboxMessage.objects.filter(message_type=PING).count() == 6
    assert not portal_box.SentBatch.objects.filter(acked_at__isnull=True).exists()
    assert not portal_box.QuarantinedBatch.objects.exists()
