"""Ferry messages the portal applies for organisation reporting."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.reporting import OrganisationDecidedV1, ReportRowsAppliedV1
from onetrip.ferry.agent.handlers import Envelope, register_handler


@register_handler(zone="portal", message_type="organisation.decided")
def on_organisation_decided(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, OrganisationDecidedV1)
    from .services import organisation_decision_apply

    organisation_decision_apply(message=message)


@register_handler(zone="portal", message_type="report.rows_applied")
def on_rows_applied(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, ReportRowsAppliedV1)
    from .services import import_rows_applied

    import_rows_applied(message=message)
