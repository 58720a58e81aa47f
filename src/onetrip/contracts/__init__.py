"""Ferry message contracts: the only language the two zones share."""

from . import declarations, permits
from .base import (
    Contract,
    contract_for,
    known_contracts,
    latest_version,
    register,
    register_upcaster,
    upcast,
)

__all__ = [
    "Contract",
    "contract_for",
    "declarations",
    "known_contracts",
    "latest_version",
    "permits",
    "register",
    "register_upcaster",
    "upcast",
]
