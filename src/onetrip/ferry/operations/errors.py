"""Why an operator action on the ferry was refused, in Chinese and English.

Each refusal is an `ApplicationError`, so the ferry page shows `error.message` in the active
language with the error's HTTP status, and the CLI prints both languages. `OperationError` is the
one type to catch for "the operator's action was refused"; not-found and conflict refusals are
also `NotFound` and `Conflict`.
"""

from __future__ import annotations

from onetrip.common.errors import ApplicationError, Conflict, NotFound


class OperationError(ApplicationError):
    """An operator action on the ferry that was refused."""


class ReasonRequired(OperationError):
    def __init__(self, min_length: int) -> None:
        super().__init__(
            "reason_required",
            f"请填写操作原因（至少 {min_length} 个字）",
            f"give a reason of at least {min_length} characters",
            field="reason",
        )


class QuarantineNotFound(NotFound, OperationError):
    """Also what a second operator gets for a document the first one has just handled."""

    def __init__(self, quarantine_id: int) -> None:
        super().__init__(
            "not_found",
            f"未找到隔离记录 {quarantine_id}（可能已被处理）",
            f"no quarantined document {quarantine_id} (already handled?)",
        )


class NotReleasable(Conflict, OperationError):
    """Only documents a receiver reads back from the transport can be put back."""

    def __init__(self, kind: str) -> None:
        super().__init__(
            "not_releasable",
            "此类文件不能放行，只能丢弃（对方会发送新的）",
            f"a quarantined {kind} cannot be released, only discarded",
        )


class NotReleasableRecord(Conflict, OperationError):
    """The record does not hold the document as it came: only its beginning (it was too large),
    nothing at all (a bad name, a symbolic link …), or a name no receiver would read."""

    def __init__(self) -> None:
        super().__init__(
            "not_releasable",
            "此记录未保存完整文件（文件过大、名称不合规或不是普通文件），不能放行，只能丢弃；"
            "合法批次的发送方在未收到确认前会自动重发",
            "this record does not hold the whole document as it came (too large, a bad name, "
            "or not a regular file), so it cannot be released, only discarded; the sender "
            "resends a genuine batch until it is acknowledged",
        )


class ReleaseConflict(Conflict, OperationError):
    """A different document is pending under the same name: overwriting it could drop it."""

    def __init__(self, channel: str, file_name: str) -> None:
        super().__init__(
            "release_conflict",
            f"通道 {channel} 上已有同名的另一份文件 {file_name} 待处理，请待其处理后再放行",
            f"a different document named {file_name} is pending on {channel}; "
            "release once it has been processed",
        )


class AlarmNotFound(NotFound, OperationError):
    """No such alarm, or it is no longer open (the condition ended, or another operator)."""

    def __init__(self, alarm_id: int) -> None:
        super().__init__(
            "not_found",
            f"没有未解除的告警 #{alarm_id}（可能已被解除）",
            f"no open alarm #{alarm_id} (already cleared?)",
        )
