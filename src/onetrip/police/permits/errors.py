from __future__ import annotations

from onetrip.common.errors import ApplicationError, NotFound


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


class DocumentIntegrityError(Exception):
    """A document whose bytes do not match its declared hash or size, or a document id reused
    for other content. Deliberately not a `BusinessReject`: the ferry then keeps the whole batch
    pending and reports the failure, instead of storing a wrong file or silently dropping one
    the resident believes was sent."""
