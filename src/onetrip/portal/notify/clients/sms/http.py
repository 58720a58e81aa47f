"""Client for the HTTP SMS gateway API, as spoken by `onetrip.simulators.sms`."""

from __future__ import annotations

import logging

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

    def send(self, *, to: str, text: str, template: str, client_ref: str) -> str:
        body = {
            "to": to,
            "sign": self.sign,
            "template": template,
            "text": text,
            "client_ref": client_ref,
        }
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.post(f"{self.base_url}/v1/messages", json=body)
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
