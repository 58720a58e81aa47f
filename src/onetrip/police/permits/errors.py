from __future__ import annotations

from onetrip.common.errors import ApplicationError, NotFound
from onetrip.ferry.agent.handlers import BusinessReject


class PermitError(ApplicationError):
    """A refused action on a permit case; `status` says why (403 role, 409 state, 400 input)."""


class PermitCaseNotFound(NotFound):
    """Also raised for a case outside the staff member's jurisdiction, so staff of another
    station cannot even learn that it exists."""

    def __init__(self, reference: str = "") -> None:
        super().__init__("not_found", "未找到该居住证申请", "Permit application not found")
        self.reference = reference


class PermitDocumentNotFound(NotFound):
    """A document that is not part of a case the staff member may see (or does not exist)."""

    def __init__(self, document_id: str = "") -> None:
        super().__init__("document_not_found", "未找到该材料", "Document not found")
        self.document_id = document_id


class DocumentIntegrityError(BusinessReject):
    """A document whose bytes do not match its declared hash or size, or a document id reused
    for other content. A business reject: the batch itself was verified, so a resend would carry
    the same bytes and a held batch would stall the channel for every resident behind it. The
    file is not stored, the portal learns of the reject in the ack, and the application that
    lists the file is refused in turn (its document is missing), so the resident is told."""
