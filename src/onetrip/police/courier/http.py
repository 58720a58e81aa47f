"""Client for a courier's open API over HTTP, as spoken by `onetrip.simulators.courier`.

Creating a shipment is retried on timeouts, transport errors, 5xx and 429 with exponential
backoff: the request carries our `client_ref`, which the courier treats as an idempotency key, so
a retry after a lost answer returns the same tracking number instead of booking a second pick-up.
A 4xx is the courier refusing the order as sent; retrying it would fail the same way.

One `httpx.Client` per courier client, made on first use and kept, as the SMS gateway does:
building one loads the CA bundle (tens of milliseconds) and a kept one reuses its connections.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from .base import CourierEvent, Party, Shipment
from .callbacks import TOLERANCE_SECONDS, TRACKING_NUMBER_RE, verify_callback
from .errors import CourierRejected, CourierUnavailable

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 0.5


class HttpCourierClient:
    def __init__(
        self,
        base_url: str,
        *,
        secret: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff: float = DEFAULT_BACKOFF_SECONDS,
        tolerance: int = TOLERANCE_SECONDS,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        # Connecting is quick or not at all on the networks we run on; waiting long for a
        # connection only holds a worker that could be retrying.
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 2.0))
        self.attempts = attempts
        self.backoff = backoff
        self.tolerance = tolerance
        self.transport = transport
        self._sleep = sleep
        self._clock = clock
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

    def create_shipment(
        self,
        *,
        client_ref: str,
        recipient: Party,
        sender: Party,
        callback_url: str,
        item: str = "居住证",
    ) -> Shipment:
        body = {
            "client_ref": client_ref,
            "recipient": recipient.as_dict(),
            "sender": sender.as_dict(),
            "item": item,
            "callback_url": callback_url,
        }
        failure = ""
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                self._sleep(self.backoff * 2 ** (attempt - 2))
            try:
                response = self._http().post(f"{self.base_url}/v1/shipments", json=body)
            except httpx.TimeoutException as exc:
                failure = f"timeout: {type(exc).__name__}"
            except httpx.TransportError as exc:
                failure = f"transport: {type(exc).__name__}"
            else:
                status = response.status_code
                if status < 500 and status != 429:
                    return self._shipment(response, client_ref=client_ref)
                failure = f"HTTP {status}"
            logger.warning(
                "courier create failed client_ref=%s attempt=%s failure=%s",
                client_ref,
                attempt,
                failure,
            )
        raise CourierUnavailable(failure)

    def _shipment(self, response: httpx.Response, *, client_ref: str) -> Shipment:
        status = response.status_code
        if status >= 400:
            raise CourierRejected(f"HTTP {status}")
        if status not in (200, 201):
            raise CourierRejected(f"unexpected HTTP {status}")
        try:
            answer: Any = response.json()
            tracking_number = answer["tracking_number"]
            shipment_status = answer.get("status", "created")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CourierRejected("answer has no tracking number") from exc
        if not isinstance(tracking_number, str) or not TRACKING_NUMBER_RE.fullmatch(
            tracking_number
        ):
            raise CourierRejected("answer's tracking number is malformed")
        logger.info(
            "courier shipment created client_ref=%s tracking_number=%s",
            client_ref,
            tracking_number,
        )
        return Shipment(
            tracking_number=tracking_number,
            client_ref=client_ref,
            status=str(shipment_status),
        )

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> CourierEvent:
        return verify_callback(
            secret=self.secret,
            headers=headers,
            body=body,
            now=self._clock(),
            tolerance=self.tolerance,
        )
