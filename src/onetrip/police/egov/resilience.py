"""A circuit breaker per source, and the adapters' metrics.

The breaker opens after `failures` failures in a row and then refuses at once (no request
leaves) until `reset_seconds` have passed; one trial request is then let through (half-open),
and its outcome closes or reopens the breaker. In-process state: each worker learns on its own
that a source is down, which costs at most `failures` slow requests per worker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from prometheus_client import Counter

REQUESTS = Counter(
    "onetrip_egov_requests",
    "Department data requests sent, by source and outcome",
    ["source", "outcome"],
)
CACHE_HITS = Counter(
    "onetrip_egov_cache_hits", "Department answers served from the per-case cache", ["source"]
)
BREAKER_OPENED = Counter(
    "onetrip_egov_breaker_opened", "Times a source's circuit breaker opened", ["source"]
)


class CircuitBreaker:
    def __init__(
        self,
        source: str,
        *,
        failures: int,
        reset_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.threshold = max(1, failures)
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self._clock() - self._opened_at >= self.reset_seconds:
                return "half_open"
            return "open"

    def allow(self) -> bool:
        """Whether a request may go now; in half-open state, one at a time."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._clock() - self._opened_at < self.reset_seconds or self._trial:
                return False
            self._trial = True
            return True

    def succeeded(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial = False

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial or (self._opened_at is None and self._failures >= self.threshold):
                self._opened_at = self._clock()
                BREAKER_OPENED.labels(source=self.source).inc()
            self._trial = False
