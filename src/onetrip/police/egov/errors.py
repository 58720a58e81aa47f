"""The department-data adapters' failures, as the one error type of the application.

`EgovUnavailable` means "ask again later" (timeout, 5xx, outage, open circuit): the case says
"to be checked". `EgovInvalidAnswer` means an answer arrived that cannot be trusted (forged or
missing signature, malformed body, an answer to another question): never a pass. `EgovRefused`
is our own refusal to ask (no case, no purpose, no source configured). Messages name the failure
only, never a person's data.
"""

from __future__ import annotations

from onetrip.common.errors import ApplicationError


class EgovError(ApplicationError):
    def __init__(self, code: str, message_zh: str, message_en: str, *, status: int) -> None:
        super().__init__(code, message_zh, message_en, status=status)
        self.reason = code.rsplit(".", 1)[-1]


class EgovUnavailable(EgovError):
    def __init__(self, reason: str) -> None:
        super().__init__(
            f"egov.{reason}",
            "部门数据源暂时无法访问，待核查",
            f"The department's data source is unavailable ({reason})",
            status=503,
        )


class EgovInvalidAnswer(EgovError):
    def __init__(self, reason: str) -> None:
        super().__init__(
            f"egov.{reason}",
            "部门数据源的答复无法验证，不予采信",
            f"The department's answer cannot be trusted ({reason})",
            status=502,
        )


class EgovRefused(EgovError):
    def __init__(self, reason: str) -> None:
        super().__init__(
            f"egov.{reason}",
            "查询部门数据须注明案件和用途",
            f"A department query needs a case and a purpose ({reason})",
            status=400,
        )
