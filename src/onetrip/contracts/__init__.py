"""Ferry message contracts: the only language the two zones share."""

from . import declarations
from .base import Contract, contract_for, known_contracts, register

__all__ = ["Contract", "contract_for", "declarations", "known_contracts", "register"]
