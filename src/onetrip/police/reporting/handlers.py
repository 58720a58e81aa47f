"""Ferry messages the police zone applies for organisation reporting."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.reporting import OrganisationRegisteredV1, ReportRowsSubmittedV1
from onetrip.ferry.agent.handlers import Envelope, register_handler

from .services import organisation_receive, report_rows_apply


@register_handler(zone="police", message_type="organisation.registered")
def on_organisation_registered(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, OrganisationRegisteredV1)
    organisation_receive(message=message)


@register_handler(zone="police", message_type="report.rows_submitted")
def on_rows_submitted(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, ReportRowsSubmittedV1)
    report_rows_apply(message=message)
