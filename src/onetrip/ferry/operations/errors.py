"""The refusals of operator actions on the ferry, in Chinese and English."""

from __future__ import annotations


class OperationError(Exception):
    """An operator action that was refused; carries a message in both languages."""

    code = "operation_refused"

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en


class ReasonRequired(OperationError):
    code = "reason_required"


class QuarantineNotFound(OperationError):
    code = "not_found"


class ReleaseConflict(OperationError):
    code = "release_conflict"


def not_found(quarantine_id: int) -> QuarantineNotFound:
    return QuarantineNotFound(
        f"未找到隔离记录 {quarantine_id}（可能已被处理）",
        f"no quarantined document {quarantine_id} (already handled?)",
    )
