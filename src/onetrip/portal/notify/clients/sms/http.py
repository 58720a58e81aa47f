"""Client for the HTTP SMS gateway API, as spoken by `onetrip.simulators.sms`.

One `httpx.Client` per gateway, made on first use and kept: building one loads the CA bundle into
a new SSL context (about 50 ms of CPU, whether or not the URL is HTTPS), which made every send cost
five times its request; a kept client also reuses its connections to the gateway.
"""

from __future__ import annotations

import logging
import threading

import httpx

from .base import SmsGatewayError

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


class HttpSmsGateway:
    def __init__(
        self,
        base_url: str,
        *,
        sign: str,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.sign = sign
        self.timeout = timeout
        self.transport = transport
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()

    def _http(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.timeout, transport=self.transport)
            return self._client

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def send(self, *, to: str, text: str, template: str, client_ref: str) -> str:
        body = {
            "to": to,
            "sign": self.sign,
            "template": template,
            "text": text,
            "client_ref": client_ref,
        }
        try:
            response = self._http().post(f"{self.base_url}/v1/messages", json=body)
        except httpx.TimeoutException as exc:
            raise SmsGatewayError(f"timeout: {type(exc).__name__}", retryable=True) from exc
        except httpx.TransportError as exc:
            raise SmsGatewayError(f"transport: {type(exc).__name__}", retryable=True) from exc

        status = response.status_code
        if status >= 500 or status == 429:
            raise SmsGatewayError(f"gateway answered HTTP {status}", retryable=True)
        if status >= 400:
            raise SmsGatewayError(f"gateway rejected the message: HTTP {status}", retryable=False)
        if not 200 <= status < 300:
            raise SmsGatewayError(f"unexpected HTTP {status}", retryable=True)
        try:
            provider_id = response.json()["id"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SmsGatewayError("gateway answer has no message id", retryable=True) from exc
        if not isinstance(provider_id, str) or not provider_id:
            raise SmsGatewayError("gateway answer has no message id", retryable=True)
        logger.info("sms-gateway sent client_ref=%s provider_id=%s", client_ref, provider_id)
        return provider_id
