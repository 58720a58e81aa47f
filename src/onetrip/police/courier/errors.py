"""The courier adapter's refusals, as the one error type of the application.

A courier that does not answer is told apart from one that refuses the order (`retryable`), so the
delivery work can retry the one and show the other to a person; a callback that fails its
signature or its checks is refused with a code that says which, for the logs and the alarm.
"""

from __future__ import annotations

from onetrip.common.errors import ApplicationError


class CourierError(ApplicationError):
    """A refused or failed exchange with the courier. `retryable` says whether trying the same
    request later may succeed. Messages name the failure only, never a name, phone or address."""

    def __init__(
        self, code: str, message_zh: str, message_en: str, *, status: int, retryable: bool
    ) -> None:
        super().__init__(code, message_zh, message_en, status=status)
        self.retryable = retryable


class CourierUnavailable(CourierError):
    """The courier did not answer in time or answered 5xx/429, after every retry."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            "courier.unavailable",
            "快递公司系统暂时无法访问，请稍后重试",
            f"The courier is unavailable; try again later ({detail})",
            status=503,
            retryable=True,
        )


class CourierRejected(CourierError):
    """The courier refused the order as sent (4xx) or answered something we cannot read."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            "courier.rejected",
            "快递公司拒绝了该寄件订单",
            f"The courier refused the shipment ({detail})",
            status=502,
            retryable=False,
        )


class CallbackRefused(CourierError):
    """A status callback that is not provably the courier's, is stale, or is malformed.

    `code` says which: `courier.callback_signature` (missing or forged signature, or no secret
    configured), `courier.callback_expired` (timestamp outside the tolerance) or
    `courier.callback_invalid` (body too large, too deep, not JSON, or a field out of bounds)."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        status = 401 if code != "courier.callback_invalid" else 400
        super().__init__(code, message_zh, message_en, status=status, retryable=False)


def signature_refused(detail: str) -> CallbackRefused:
    return CallbackRefused(
        "courier.callback_signature",
        "快递回调签名无效，已拒绝",
        f"The courier callback's signature is invalid ({detail})",
    )


def expired_refused() -> CallbackRefused:
    return CallbackRefused(
        "courier.callback_expired",
        "快递回调已过期或时间戳异常，已拒绝",
        "The courier callback's timestamp is outside the allowed window",
    )


def invalid_refused(detail: str) -> CallbackRefused:
    return CallbackRefused(
        "courier.callback_invalid",
        "快递回调内容格式错误，已拒绝",
        f"The courier callback is malformed ({detail})",
    )
