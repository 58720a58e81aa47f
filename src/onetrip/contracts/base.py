"""The base of every ferry message contract, and the registry of versions and upcasters.

A contract is a pydantic model naming its message type and schema version. The ferry validates a
payload against the contract registered for (type, version) on both sides, so a zone can only send
what the other zone understands.

Versions. A new schema is a new contract class with the same `message_type` and the next
`version`. To keep accepting the previous version during an upgrade, give the new class a
classmethod `upgrade_from_v<N>` (N = its version − 1) taking the old model and returning a new
one, or register a function with `register_upcaster`. The receiver then validates each message
against the contract of the version it was sent in, and `upcast` walks the chain so the handler
registered for the type always receives the newest model it can reach::

    @register
    class ThingV2(Contract):
        message_type = "thing.done"
        version = 2
        ...

        @classmethod
        def upgrade_from_v1(cls, old: ThingV1) -> ThingV2:
            return cls(..., new_field="default")

A message whose (type, version) has no contract at all is parked by the ferry (and alarmed) until
that contract is deployed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    message_type: ClassVar[str]
    version: ClassVar[int]
    aggregate_type: ClassVar[str]


Upcaster = Callable[[Any], Contract]

_REGISTRY: dict[tuple[str, int], type[Contract]] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def register(cls: type[Contract]) -> type[Contract]:
    key = (cls.message_type, cls.version)
    if key in _REGISTRY and _REGISTRY[key] is not cls:
        raise ValueError(f"contract {key} registered twice")
    _REGISTRY[key] = cls
    hook = getattr(cls, f"upgrade_from_v{cls.version - 1}", None)
    if hook is not None and callable(hook):
        register_upcaster(cls.message_type, cls.version - 1, hook)
    return cls


def register_upcaster(message_type: str, from_version: int, fn: Upcaster) -> Upcaster:
    """`fn(old)` turns a `from_version` model of `message_type` into a `from_version + 1` one."""
    key = (message_type, from_version)
    existing = _UPCASTERS.get(key)
    if existing is not None and existing != fn:
        raise ValueError(f"upcaster for {message_type} v{from_version} registered twice")
    _UPCASTERS[key] = fn
    return fn


def contract_for(message_type: str, version: int) -> type[Contract] | None:
    return _REGISTRY.get((message_type, version))


def known_contracts() -> dict[tuple[str, int], type[Contract]]:
    return dict(_REGISTRY)


def latest_version(message_type: str) -> int | None:
    versions = [version for (kind, version) in _REGISTRY if kind == message_type]
    return max(versions) if versions else None


def upcast(message: Contract) -> Contract:
    """`message` upgraded step by step as far as registered upcasters and contracts go."""
    current = message
    while True:
        kind, version = type(current).message_type, type(current).version
        upcaster = _UPCASTERS.get((kind, version))
        target = _REGISTRY.get((kind, version + 1))
        if upcaster is None or target is None:
            return current
        upgraded = upcaster(current)
        if not isinstance(upgraded, target):
            raise TypeError(
                f"upcaster of {kind} v{version} returned {type(upgraded).__name__}, "
                f"not {target.__name__}"
            )
        current = upgraded


def unregister(message_type: str, version: int) -> None:
    """Forget a contract and its upcaster from the previous version (tests simulate a zone
    that has not deployed a version yet)."""
    _REGISTRY.pop((message_type, version), None)
    _UPCASTERS.pop((message_type, version - 1), None)
