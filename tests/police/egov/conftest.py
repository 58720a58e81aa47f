"""The department-data simulator on a loopback port, with keys made for the test, and the
police zone's settings pointed at it."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache

from onetrip.common.egov_signing import private_b64, public_b64
from onetrip.simulators.egov import SOURCES, EgovSimulator
from tests.ferry.helpers import ferry_env  # noqa: F401
from tests.fixtures import *  # noqa: F403
from tests.fixtures import staff


@pytest.fixture
def egov_keys():
    client = Ed25519PrivateKey.generate()
    sources = {s: (f"{s}-test-1", Ed25519PrivateKey.generate()) for s in SOURCES}
    return client, sources


@pytest.fixture
def egov_sim(egov_keys):
    client, sources = egov_keys
    with EgovSimulator(
        source_keys=sources, client_keys={"police-test-1": client.public_key()}
    ) as sim:
        yield sim


@pytest.fixture
def egov_settings(settings, egov_sim, egov_keys):
    """The police zone asks `egov_sim`: half-second timeouts, two attempts, no real backoff."""
    client, sources = egov_keys
    settings.ONETRIP_EGOV_SOURCES = {
        name: {"url": f"{egov_sim.url}/{name}", "keys": {kid: public_b64(key)}}
        for name, (kid, key) in sources.items()
    }
    settings.ONETRIP_EGOV_SIGNING_KEY = f"police-test-1:{private_b64(client)}"
    settings.ONETRIP_EGOV_TIMEOUT = 0.5
    settings.ONETRIP_EGOV_ATTEMPTS = 2
    settings.ONETRIP_EGOV_BACKOFF = 0.01
    settings.ONETRIP_EGOV_BREAKER_FAILURES = 50
    settings.ONETRIP_EGOV_CACHE_SECONDS = 600
    cache.clear()
    yield settings
    cache.clear()


@pytest.fixture
def reviewer(beishan):
    return staff("reviewer_beishan", "reviewer", beishan)


@pytest.fixture
def reviewer_client(reviewer):
    from django.test import Client

    c = Client(HTTP_HOST="police.testserver")
    c.force_login(reviewer)
    return c
