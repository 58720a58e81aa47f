"""Ferry messages the police zone applies for declarations."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.declarations import (
    DeclarationResubmittedV1,
    DeclarationSubmittedV1,
    RegistrationCancelDeclaredV1,
    RegistrationChangeDeclaredV1,
)
from onetrip.ferry.agent.handlers import Envelope, register_handler

from .changes import registration_cancel_receive, registration_change_receive
from .services import declaration_receive, declaration_receive_resubmission


@register_handler(zone="police", message_type="declaration.submitted")
def on_declaration_submitted(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, DeclarationSubmittedV1)
    declaration_receive(message=message)


@register_handler(zone="police", message_type="declaration.resubmitted")
def on_declaration_resubmitted(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, DeclarationResubmittedV1)
    declaration_receive_resubmission(message=message)


@register_handler(zone="police", message_type="declaration.change_declared")
def on_change_declared(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, RegistrationChangeDeclaredV1)
    registration_change_receive(message=message)


@register_handler(zone="police", message_type="declaration.cancel_declared")
def on_cancel_declared(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, RegistrationCancelDeclaredV1)
    registration_cancel_receive(message=message)
