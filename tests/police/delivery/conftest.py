"""Fixtures for the card's delivery: a case whose card is in production, the clerk of its
station, the courier simulator on loopback, and the delivery messages the police zone sent."""

from __future__ import annotations

from typing import Any

import pytest

from onetrip.common.db import atomic_for
from onetrip.ferry.registry import get_store
from onetrip.police.permits.models import PermitCase
from onetrip.simulators.courier import CourierSimulator
from tests.police.permits.conftest import *  # noqa: F403
from tests.police.permits.conftest import REF, document, receive

SECRET = "test-courier-secret"
ADDRESS = "浙江省杭州市西湖区曙光路12号3幢201室"


def in_production(*, delivery: str = "pickup", reference: str = REF) -> PermitCase:
    """A case whose card is with the bureau: the steps before are tested in police/permits."""
    with atomic_for(PermitCase):
        case = receive(
            document("photo", reference=reference),
            document("B11", reference=reference),
            reference=reference,
            delivery=delivery,
            **({"postal_address": ADDRESS} if delivery == "post" else {}),
        )
    PermitCase.objects.filter(pk=case.pk).update(
        status="in_production", task="produce", permit_number="330106202600001"
    )
    return PermitCase.objects.get(pk=case.pk)


def delivery_messages(reference: str = REF) -> list[dict[str, Any]]:
    outbox = get_store("police").outbox.objects.filter(message_type="permit.delivery_changed")
    return [m.payload for m in outbox.order_by("id") if m.payload["reference"] == reference]


def changes(reference: str = REF) -> list[str]:
    return [m["change"] for m in delivery_messages(reference)]


def locked(reference: str = REF) -> PermitCase:
    return PermitCase.objects.select_for_update().select_related("station").get(reference=reference)


@pytest.fixture
def courier(tmp_path, settings):
    """The courier simulator, and the settings that point the real HTTP client at it."""
    with CourierSimulator(store=tmp_path / "courier", secret=SECRET) as sim:
        settings.ONETRIP_COURIER_URL = sim.url
        settings.ONETRIP_COURIER_SECRET = SECRET
        settings.ONETRIP_COURIER_TIMEOUT = 2.0
        yield sim


class CallbackTrap:
    """Where the simulator posts its callbacks in a test: each is kept as sent (headers and
    bytes) and answered 200, so the test hands them to the police zone in the order the courier
    sent them, through the real endpoint and the real signature check."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        trap = self
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with trap._lock:
                    trap.received.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/courier/callbacks/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def take(self) -> list[tuple[dict[str, str], bytes]]:
        with self._lock:
            taken, self.received = self.received, []
        return taken

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def trap(settings):
    trap = CallbackTrap()
    settings.ONETRIP_COURIER_CALLBACK_URL = trap.url
    yield trap
    trap.close()
