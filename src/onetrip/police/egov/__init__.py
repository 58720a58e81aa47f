"""Department data instead of paper (DOMAIN HZ-2, HZ-7, DOC-5): the police zone's adapters to
the population database (人口信息), social insurance (人社), housing (住建) and education (教育).

`source(name)` returns the configured client of one source, or raises EgovUnavailable
("not_configured") when this deployment does not reach it. Settings (police zone):
`ONETRIP_EGOV_SOURCES` (JSON: per source its `url` and the `keys` it signs with, by key id),
`ONETRIP_EGOV_CLIENT_ID` and `ONETRIP_EGOV_SIGNING_KEY` ("<key id>:<base64 seed>", our
signature on every question), `ONETRIP_EGOV_TIMEOUT`, `ONETRIP_EGOV_ATTEMPTS`,
`ONETRIP_EGOV_BACKOFF`, `ONETRIP_EGOV_BREAKER_FAILURES`, `ONETRIP_EGOV_BREAKER_RESET_SECONDS`,
`ONETRIP_EGOV_CACHE_SECONDS`; and, shared with the portal, `ONETRIP_EGOV_PROOFS` (which DOC-2
proofs each source stands in for).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from django.conf import settings

from onetrip.common.egov_signing import SignatureError, private_key, public_key

from .base import (
    EDUCATION,
    HOUSING,
    POPULATION,
    SOCIAL_INSURANCE,
    SOURCES,
    EducationSource,
    HousingSource,
    PopulationSource,
    QueryContext,
    SocialInsuranceSource,
)
from .client import EgovHttpClient
from .errors import EgovError, EgovInvalidAnswer, EgovRefused, EgovUnavailable
from .resilience import CircuitBreaker
from .sources import EducationClient, HousingClient, PopulationClient, SocialInsuranceClient

__all__ = [
    "SOURCES",
    "EgovError",
    "EgovInvalidAnswer",
    "EgovRefused",
    "EgovUnavailable",
    "QueryContext",
    "configured_sources",
    "education",
    "housing",
    "population",
    "social_insurance",
]


def configured_sources() -> frozenset[str]:
    """The sources this deployment reaches (and can sign for)."""
    if not settings.ONETRIP_EGOV_SIGNING_KEY:
        return frozenset()
    return frozenset(name for name in settings.ONETRIP_EGOV_SOURCES if name in SOURCES)


def _client(name: str) -> EgovHttpClient:
    sources: dict[str, Any] = settings.ONETRIP_EGOV_SOURCES
    if name not in configured_sources():
        raise EgovUnavailable("not_configured")
    return _built(
        name,
        json.dumps(sources[name], sort_keys=True),
        str(settings.ONETRIP_EGOV_SIGNING_KEY),
        str(settings.ONETRIP_EGOV_CLIENT_ID),
        float(settings.ONETRIP_EGOV_TIMEOUT),
        int(settings.ONETRIP_EGOV_ATTEMPTS),
        float(settings.ONETRIP_EGOV_BACKOFF),
        int(settings.ONETRIP_EGOV_BREAKER_FAILURES),
        float(settings.ONETRIP_EGOV_BREAKER_RESET_SECONDS),
        int(settings.ONETRIP_EGOV_CACHE_SECONDS),
    )


@functools.lru_cache(maxsize=32)
def _built(
    name: str,
    config_json: str,
    signing: str,
    client_id: str,
    timeout: float,
    attempts: int,
    backoff: float,
    breaker_failures: int,
    breaker_reset: float,
    cache_seconds: int,
) -> EgovHttpClient:
    """One client per source and configuration and process: its connections and its circuit
    breaker live as long as the configuration does."""
    config = json.loads(config_json)
    key_id, _sep, seed = signing.partition(":")
    try:
        trusted = {kid: public_key(b64) for kid, b64 in dict(config.get("keys", {})).items()}
        key = private_key(seed)
    except SignatureError as exc:
        raise EgovUnavailable("bad_key_configuration") from exc
    return EgovHttpClient(
        name,
        str(config["url"]),
        client_id=client_id,
        signing_key=key,
        signing_key_id=key_id,
        trusted_keys=trusted,
        timeout=timeout,
        attempts=attempts,
        backoff=backoff,
        breaker=CircuitBreaker(name, failures=breaker_failures, reset_seconds=breaker_reset),
        cache_seconds=cache_seconds,
    )


def social_insurance() -> SocialInsuranceSource:
    return SocialInsuranceClient(_client(SOCIAL_INSURANCE))


def housing() -> HousingSource:
    return HousingClient(_client(HOUSING))


def education() -> EducationSource:
    return EducationClient(_client(EDUCATION))


def population() -> PopulationSource:
    return PopulationClient(_client(POPULATION))


def proofs_of(name: str) -> tuple[str, ...]:
    """The DOC-2 proofs `name` stands in for in this deployment."""
    return tuple(settings.ONETRIP_EGOV_PROOFS.get(name, ()))
