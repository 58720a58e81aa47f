"""The base of every ferry message contract.

A contract is a pydantic model naming its message type and schema version. The ferry validates a
payload against the contract registered for (type, version) on both sides, so a zone can only send
what the other zone understands.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    message_type: ClassVar[str]
    version: ClassVar[int]
    aggregate_type: ClassVar[str]


_REGISTRY: dict[tuple[str, int], type[Contract]] = {}


def register(cls: type[Contract]) -> type[Contract]:
    key = (cls.message_type, cls.version)
    if key in _REGISTRY and _REGISTRY[key] is not cls:
        raise ValueError(f"contract {key} registered twice")
    _REGISTRY[key] = cls
    return cls


def contract_for(message_type: str, version: int) -> type[Contract] | None:
    return _REGISTRY.get((message_type, version))


def known_contracts() -> dict[tuple[str, int], type[Contract]]:
    return dict(_REGISTRY)
