"""Ferry messages the police zone applies for the card's delivery."""

from __future__ import annotations
