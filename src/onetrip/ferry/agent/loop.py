"""The ferry agent of one zone: one pass moves everything that can move (DESIGN §3).

A pass, in this order: read acks for our batches (so nothing acked is resent) and answer resend
requests at once; receive, apply and ack incoming batches (asking for missing ranges), at most
FERRY_PASS_MAX_BATCHES of them, so that under a backlog this zone's own outbox (the replies) is not
held up until the whole backlog is applied; drain the outbox into batches, including what the
handlers just emitted, shipping every few batches as they are built; resend unacked batches older
than FERRY_RESEND_AFTER_SECONDS; send a heartbeat if nothing went out for FERRY_HEARTBEAT_SECONDS.
A pass that did anything is followed at once by the next.
Every step is idempotent, so a pass interrupted anywhere (even by SIGKILL) is completed by the
next one.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections

from ..log import log_event
from ..protocol.signing import FerryKeyError, load_signing_key
from ..registry import get_store
from ..transports import get_transport
from .receiver import receive_batches
from .report import AgentReport
from .sender import build_batches, export_batches, read_acks, resend_unacked, send_heartbeat

__all__ = ["AgentReport", "run_forever", "run_once"]

_SAFE_TO_LOG = (FerryKeyError, ImproperlyConfigured, OSError)
# With a backlog, ship every few batches as they are built rather than after the whole outbox.
SHIP_EVERY_BATCHES = 4


def run_once(zone: str, *, should_stop: Callable[[], bool] = lambda: False) -> AgentReport:
    """One full pass for `zone` ("portal" or "police"); returns what it did."""
    store = get_store(zone)
    transport = get_transport()
    key = load_signing_key(store.sends_on)
    report = AgentReport(zone=zone)
    resent = read_acks(store, transport, report)
    receive_batches(
        store, transport, key, report, should_stop, max_batches=settings.FERRY_PASS_MAX_BATCHES
    )
    if should_stop():
        return report
    shipped = export_batches(store, transport, report)  # what a crash left built but unshipped
    while build_batches(store, key, report, max_batches=SHIP_EVERY_BATCHES):
        shipped |= export_batches(store, transport, report)
        if should_stop():
            return report
    resend_unacked(store, transport, report, skip=shipped | resent)
    send_heartbeat(store, transport, key, report)
    return report


def run_forever(
    zone: str, poll: float | None = None, *, stop: threading.Event | None = None
) -> None:
    """Run passes until SIGTERM/SIGINT (or `stop` is set); a signal lets the current batch finish.

    A busy pass is followed at once by another, so a backlog drains at full speed; an idle one
    waits `poll` seconds (default settings.FERRY_POLL_SECONDS). An unexpected error is logged and
    retried after the poll interval: the agent must outlive a database restart.
    """
    interval = float(settings.FERRY_POLL_SECONDS if poll is None else poll)
    stop = stop or threading.Event()
    previous: dict[signal.Signals, Any] = {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log_event(logging.INFO, "agent_stopping", zone=zone, signal=signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, on_signal)
    log_event(logging.INFO, "agent_started", zone=zone, poll=interval)
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                report = run_once(zone, should_stop=stop.is_set)
            except Exception as exc:
                # Only configuration errors are spelled out: a database error's text can quote
                # row values, which may be personal data.
                detail = str(exc) if isinstance(exc, _SAFE_TO_LOG) else ""
                log_event(
                    logging.ERROR,
                    "agent_pass_failed",
                    zone=zone,
                    error=type(exc).__name__,
                    detail=detail,
                )
                logging.getLogger("onetrip.ferry").debug("agent pass failure", exc_info=True)
                stop.wait(interval)
                continue
            if not report.busy:
                stop.wait(interval)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        log_event(logging.INFO, "agent_stopped", zone=zone)
