"""Ferry messages the police zone applies for residence-permit applications."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.permits import (
    PermitApplicationResubmittedV1,
    PermitApplicationSubmittedV1,
    PermitDocumentV1,
)
from onetrip.ferry.agent.handlers import Envelope, register_handler

from .services import permit_document_receive, permit_receive, permit_receive_resubmission


@register_handler(zone="police", message_type="permit.document")
def on_permit_document(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, PermitDocumentV1)
    permit_document_receive(message=message)


@register_handler(zone="police", message_type="permit.submitted")
def on_permit_submitted(envelope: Envelope, message: Contract) -> None:
    # A resubmission is a subclass of the submission, but travels under its own type.
    assert isinstance(message, PermitApplicationSubmittedV1)
    assert not isinstance(message, PermitApplicationResubmittedV1)
    permit_receive(message=message)


@register_handler(zone="police", message_type="permit.resubmitted")
def on_permit_resubmitted(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, PermitApplicationResubmittedV1)
    permit_receive_resubmission(message=message)
