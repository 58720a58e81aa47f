"""Ferry message contracts: the only language the two zones share."""

from . import booking, declarations, delivery, guidance, permits, reporting
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
    "booking",
    "contract_for",
    "declarations",
    "delivery",
    "guidance",
    "known_contracts",
    "latest_version",
    "permits",
    "register",
    "register_upcaster",
    "reporting",
    "upcast",
]
