"""One department's data service over HTTP: signed, purposeful, audited, resilient, cached.

Each question is a JSON body naming its request id, the requester, the case and the purpose,
signed with the deployment's Ed25519 key (`common/egov_signing.py`). The answer must carry the
source's signature over its exact bytes and repeat our request id; anything else — a forged or
missing signature, a body that is not the JSON we expect, an answer to another question — is
`EgovInvalidAnswer` and never counts as a pass.

Timeouts, transport errors, 5xx and 429 are retried with exponential backoff (a question changes
nothing at the source, so asking again is safe); after the last attempt, or while the source's
circuit breaker is open, `EgovUnavailable` says "to be checked".

Every question that leaves the zone is written to the police audit chain (DOMAIN MLPS-5, PI-9):
one event per question, with the officer or system, the case, the purpose, the outcome and the
SHA-256 of the request and of the answer, never their content. The answer is used only once its
audit event is written. A verified answer is kept for the same case and the same question for
`cache_seconds`, encrypted, and never served past that.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.cache import cache
from django.utils import timezone

from onetrip.common.crypto import decrypt_text, encrypt_text
from onetrip.common.egov_signing import (
    CLIENT_HEADER,
    SIGNATURE_HEADER,
    SignatureError,
    canonical,
    sha256_hex,
    sign,
    verify,
)

from .base import QueryContext
from .errors import EgovError, EgovInvalidAnswer, EgovRefused, EgovUnavailable
from .resilience import CACHE_HITS, REQUESTS, CircuitBreaker

logger = logging.getLogger(__name__)

AUDIT_ACTION = "egov.query"
MAX_ANSWER_BYTES = 2 * 1024 * 1024  # an ID photo and a few years of records


class EgovHttpClient:
    def __init__(
        self,
        source: str,
        base_url: str,
        *,
        client_id: str,
        signing_key: Ed25519PrivateKey,
        signing_key_id: str,
        trusted_keys: dict[str, Ed25519PublicKey],
        timeout: float = 3.0,
        attempts: int = 3,
        backoff: float = 0.2,
        breaker: CircuitBreaker | None = None,
        cache_seconds: int = 900,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.signing_key = signing_key
        self.signing_key_id = signing_key_id
        self.trusted_keys = dict(trusted_keys)
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 2.0))
        self.attempts = attempts
        self.backoff = backoff
        self.breaker = breaker or CircuitBreaker(source, failures=5, reset_seconds=30)
        self.cache_seconds = cache_seconds
        self._sleep = sleep
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()

    def _http(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.timeout)
            return self._client

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- the per-case cache ---------------------------------------------------------------

    def _cache_key(self, ctx: QueryContext, operation: str, query: dict[str, Any]) -> str:
        digest = sha256_hex(canonical([self.source, operation, ctx.case_reference, query]))
        return f"egov:{digest}"

    def _cached(self, key: str) -> dict[str, Any] | None:
        if self.cache_seconds <= 0:
            return None
        token = cache.get(key)
        if not isinstance(token, str):
            return None
        try:
            entry = json.loads(decrypt_text(token))
        except Exception:  # a damaged or rotated-away entry is only a miss
            return None
        if not isinstance(entry, dict) or float(entry.get("expires", 0)) <= time.time():
            return None
        result = entry.get("result")
        return result if isinstance(result, dict) else None

    def _remember(self, key: str, result: dict[str, Any]) -> None:
        if self.cache_seconds <= 0:
            return
        entry = {"expires": time.time() + self.cache_seconds, "result": result}
        cache.set(key, encrypt_text(json.dumps(entry, ensure_ascii=False)), self.cache_seconds)

    # -- asking ---------------------------------------------------------------------------

    def query(self, *, ctx: QueryContext, operation: str, query: dict[str, Any]) -> dict[str, Any]:
        """The verified `result` of one question, from the cache or from the source.

        Raises EgovRefused (no case, purpose or requester: nothing is sent), EgovUnavailable or
        EgovInvalidAnswer."""
        try:
            ctx.check()
        except EgovRefused as exc:
            REQUESTS.labels(source=self.source, outcome="refused").inc()
            logger.warning("egov query refused source=%s reason=%s", self.source, exc.reason)
            raise
        key = self._cache_key(ctx, operation, query)
        cached = self._cached(key)
        if cached is not None:
            CACHE_HITS.labels(source=self.source).inc()
            return cached
        if not self.breaker.allow():
            REQUESTS.labels(source=self.source, outcome="circuit_open").inc()
            raise EgovUnavailable("circuit_open")
        request_id = uuid.uuid4().hex
        body = canonical(
            {
                "request_id": request_id,
                "issued_at": timezone.now().isoformat(),
                "client": self.client_id,
                "requester": ctx.requester,
                "case": ctx.case_reference,
                "purpose": ctx.purpose,
                "operation": operation,
                "query": query,
            }
        )
        answer_bytes = b""
        attempts = 0
        try:
            answer_bytes, signature, attempts = self._exchange(operation, body)
            result = self._verified(answer_bytes, signature, request_id)
        except EgovError as exc:
            attempts = attempts or self.attempts
            self.breaker.failed()
            REQUESTS.labels(source=self.source, outcome=exc.reason).inc()
            self._audit(ctx, operation, request_id, body, answer_bytes, exc.reason, attempts)
            logger.warning(
                "egov query failed source=%s case=%s request_id=%s reason=%s",
                self.source,
                ctx.case_reference,
                request_id,
                exc.reason,
            )
            raise
        self.breaker.succeeded()
        REQUESTS.labels(source=self.source, outcome="ok").inc()
        self._audit(ctx, operation, request_id, body, answer_bytes, "ok", attempts)
        self._remember(key, result)
        return result

    def _exchange(self, operation: str, body: bytes) -> tuple[bytes, str | None, int]:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            CLIENT_HEADER: self.client_id,
            SIGNATURE_HEADER: sign(self.signing_key, self.signing_key_id, body),
        }
        url = f"{self.base_url}/v1/{operation}"
        failure = "unavailable"
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                self._sleep(self.backoff * 2 ** (attempt - 2))
            try:
                response = self._http().post(url, content=body, headers=headers)
            except httpx.TimeoutException:
                failure = "timeout"
            except httpx.TransportError:
                failure = "unreachable"
            else:
                status = response.status_code
                if status == 200:
                    if len(response.content) > MAX_ANSWER_BYTES:
                        raise EgovInvalidAnswer("answer_too_large")
                    return response.content, response.headers.get(SIGNATURE_HEADER), attempt
                if status < 500 and status != 429:
                    # The source refused the question as sent: asking again fails the same way.
                    raise EgovUnavailable(f"refused_{status}")
                failure = f"http_{status}"
        raise EgovUnavailable(failure)

    def _verified(self, answer: bytes, signature: str | None, request_id: str) -> dict[str, Any]:
        try:
            verify(signature, answer, self.trusted_keys)
        except SignatureError as exc:
            raise EgovInvalidAnswer("forged_signature") from exc
        try:
            parsed: Any = json.loads(answer.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise EgovInvalidAnswer("malformed") from exc
        if not isinstance(parsed, dict) or not isinstance(parsed.get("result"), dict):
            raise EgovInvalidAnswer("malformed")
        if parsed.get("request_id") != request_id or parsed.get("source") != self.source:
            raise EgovInvalidAnswer("wrong_answer")
        result: dict[str, Any] = parsed["result"]
        return result

    def _audit(
        self,
        ctx: QueryContext,
        operation: str,
        request_id: str,
        body: bytes,
        answer: bytes,
        outcome: str,
        attempts: int,
    ) -> None:
        # Imported here: this package is the app's module, loaded before the models are.
        from onetrip.police.audit.services import audit_record

        audit_record(
            actor=ctx.actor,
            action=AUDIT_ACTION,
            object_type=ctx.case_type,
            object_id=ctx.case_reference,
            purpose=ctx.purpose,
            success=outcome == "ok",
            detail={
                "source": self.source,
                "operation": operation,
                "requester": ctx.requester,
                "request_id": request_id,
                "request_sha256": sha256_hex(body),
                "response_sha256": sha256_hex(answer) if answer else "",
                "outcome": outcome,
                "attempts": attempts,
            },
        )


def parse_date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise EgovInvalidAnswer("malformed")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise EgovInvalidAnswer("malformed") from exc
