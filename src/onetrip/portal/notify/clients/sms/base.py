"""The one interface every SMS provider client implements (one provider per file beside this)."""

from __future__ import annotations

from typing import Protocol


class SmsGatewayError(Exception):
    """A send that did not go through.

    `retryable` says whether the same request may succeed later (timeouts, 5xx, throttling) or will
    fail the same way every time (a rejected number or template). The message names the failure
    only — never the phone number or the text."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str, template: str, client_ref: str) -> str:
        """Hand one message to the provider and return the provider's message id.

        `client_ref` is our idempotency key: sending it again must not deliver a second message.
        Raises SmsGatewayError."""
        ...
