"""Writing messages to a zone's outbox (DESIGN §3, invariant 3).

`emit` only inserts a row; the agent batches and ships it later. Because the row is written in the
caller's transaction, the message exists if and only if the change that caused it committed.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from onetrip.contracts.base import Contract, contract_for

from ..models import OutboxMessage
from ..registry import get_store

__all__ = ["emit"]


class OutboxError(RuntimeError):
    pass


def emit(
    *,
    zone: str,
    message: Contract,
    aggregate_id: str,
    correlation_id: str,
    actor: str,
    purpose: str,
) -> OutboxMessage:
    """Queue `message` for the other zone; call inside a transaction on the zone's database,
    `atomic_for(<any model of the zone>)`, together with the change that causes the message.

    Outside a transaction on that database the message could commit without the change, or the
    reverse, so that is refused.
    """
    store = get_store(zone)
    if not transaction.get_connection(store.db).in_atomic_block:
        raise OutboxError(
            f"emit() must run inside transaction.atomic() on zone {zone}'s database "
            f"({store.db!r}), together with the change that causes the message"
        )
    cls = type(message)
    if contract_for(cls.message_type, cls.version) is not cls:
        raise OutboxError(f"{cls.__name__} is not a registered contract")
    # Re-validate: a frozen pydantic model can still be built with model_construct() unchecked.
    payload = cls.model_validate(message.model_dump()).model_dump(mode="json")
    return store.outbox._default_manager.create(
        channel=store.sends_on,
        message_type=cls.message_type,
        version=cls.version,
        aggregate_type=cls.aggregate_type,
        aggregate_id=aggregate_id,
        correlation_id=correlation_id,
        actor=actor,
        purpose=purpose,
        occurred_at=timezone.now(),
        payload=payload,
    )
