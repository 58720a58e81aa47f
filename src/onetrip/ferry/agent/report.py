"""What one agent pass did, for callers, tests and metrics."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class AgentReport:
    zone: str
    batches_built: int = 0
    batches_exported: int = 0
    batches_resent: int = 0
    batches_applied: int = 0
    messages_applied: int = 0
    messages_rejected: int = 0
    messages_skipped: int = 0
    duplicate_batches: int = 0
    parked_batches: int = 0
    quarantined: int = 0
    acks_received: int = 0
    resend_requests_sent: int = 0
    resend_requests_received: int = 0
    rejects_surfaced: int = 0
    heartbeats_sent: int = 0
    heartbeats_received: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        """True when the pass moved anything, so a caller draining the ferry goes round again.

        Parked batches, heartbeats and errors do not count: they persist or recur whatever the
        ferry does. A resend request sent or answered does count: the other side has work."""
        return any(
            (
                self.batches_built,
                self.batches_exported,
                self.batches_resent,
                self.batches_applied,
                self.duplicate_batches,
                self.quarantined,
                self.acks_received,
                self.resend_requests_sent,
                self.resend_requests_received,
            )
        )
