"""A loopback stand-in for a courier's open API, for `make up`, demos and tests.

It speaks the HTTP API that the police zone's courier adapter (`police/courier/http.py`) uses, so
card delivery can be built and tested against real HTTP, real signatures and real failures without
a courier account.

Shipments
- `POST /v1/shipments` with JSON
  `{"client_ref", "recipient": {"name", "phone", "address"}, "sender": {"name", "phone",
  "address"}, "item": "居住证", "callback_url"}` answers `201 {"tracking_number", "status":
  "created"}`. `client_ref` is an idempotency key: the same reference again answers the first
  shipment's tracking number (still 201) and records nothing new, so a sender that retries after a
  lost answer never books two pick-ups. A malformed request answers `400 {"error": ...}`.
- `GET /v1/shipments/<tracking_number>` answers the shipment without its parties:
  `{"tracking_number", "client_ref", "status", "created_at", "events": [...]}` (404 if unknown).
  Tracking numbers are `CN` and 12 digits.

Status callbacks
- Each event is POSTed to the shipment's `callback_url` as JSON
  `{"tracking_number", "event_id", "status", "at", "detail"}`; `status` is one of `picked_up`,
  `in_transit`, `out_for_delivery`, `delivered`, `failed_attempt`, `returned_to_sender`; `at` is
  ISO 8601 in UTC; `event_id` is unique per event, so a receiver recognises a duplicate.
- Signature: header `X-Courier-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is
  HMAC-SHA256 with the shared secret (`--secret`, or ONETRIP_COURIER_SECRET) over the bytes
  `<t>.` followed by the raw body. Covering the timestamp lets a receiver refuse a replayed
  callback: it should accept `t` only within 5 minutes of its own clock. A receiver that rotates
  secrets may find several `v1=` entries; any one matching suffices.
- A callback that is not answered 2xx is sent again up to two more times, 0.5 s apart.

Controls (for tests and demos; a real courier has none of these)
- `POST /_control/advance` `{"tracking_number", "script": ["picked_up", "in_transit", ...],
  "delay": 0.0}` moves a shipment through the script in the background, one event every `delay`
  seconds, each recorded and then called back; answers `202 {"event_ids": [...]}`.
- `POST /_control/fail-next` `{"count": N, "status": 503, "delay": 0.0}` makes the next N creates
  wait `delay` seconds and then answer `status` (a 2xx status still records the shipment, which
  lets a test lose the answer to a timeout while the shipment is booked).
- `POST /_control/callbacks` `{"duplicate": true, "reorder": true}` applies to the next advance
  only: `duplicate` sends every callback twice (same event id), `reorder` sends them newest first.

Shipments and events are appended to `<store>/shipments.jsonl`, so a restart keeps them. The module
needs only the standard library:
`python -m onetrip.simulators.courier --port 8026 --store var/courier --secret <secret>`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .base import LoopbackSimulator

logger = logging.getLogger(__name__)

STORE_FILE = "shipments.jsonl"
MAX_BODY_BYTES = 64 * 1024
SIGNATURE_HEADER = "X-Courier-Signature"
STATUSES = (
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "failed_attempt",
    "returned_to_sender",
)
DETAILS = {
    "picked_up": "快递员已揽收",
    "in_transit": "运输中",
    "out_for_delivery": "派送中",
    "delivered": "已签收",
    "failed_attempt": "派送未成功，将再次派送",
    "returned_to_sender": "已退回寄件人",
}
MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
# Senders are police stations, whose numbers are landlines (0571-87654321) as often as mobiles.
PHONE_RE = re.compile(r"[0-9][0-9-]{5,19}")
TRACKING_PATH_RE = re.compile(r"/v1/shipments/(?P<tracking>[A-Za-z0-9]{1,32})")
PARTY_LIMITS = {"name": 64, "phone": 20, "address": 200}
CALLBACK_ATTEMPTS = 3
CALLBACK_RETRY_SECONDS = 0.5
CALLBACK_TIMEOUT_SECONDS = 5.0
# Published on purpose: a demo on one machine, never a deployment, signs with it.
DEV_SECRET = "onetrip-dev-courier-secret"  # noqa: S105


class ValidationError(ValueError):
    pass


def _text(payload: dict[str, Any], field: str, limit: int, *, where: str = "") -> str:
    value = payload.get(field)
    name = f"{where}{field}"
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} is required and must be a non-empty string")
    if len(value) > limit:
        raise ValidationError(f"{name} is longer than {limit} characters")
    return value


def _party(payload: dict[str, Any], field: str, *, mobile: bool) -> dict[str, str]:
    party = payload.get(field)
    if not isinstance(party, dict):
        raise ValidationError(f"{field} must be an object with name, phone and address")
    out = {key: _text(party, key, limit, where=f"{field}.") for key, limit in PARTY_LIMITS.items()}
    if not (MOBILE_RE if mobile else PHONE_RE).fullmatch(out["phone"]):
        raise ValidationError(f"{field}.phone is not a valid phone number")
    return out


def validate_shipment(payload: Any) -> dict[str, Any]:
    """Return the fields of a create request, or raise ValidationError saying why not."""
    if not isinstance(payload, dict):
        raise ValidationError("body must be a JSON object")
    callback_url = _text(payload, "callback_url", 500)
    if urlsplit(callback_url).scheme not in ("http", "https"):
        raise ValidationError("callback_url must be an http or https URL")
    return {
        "client_ref": _text(payload, "client_ref", 128),
        # The recipient is a resident who is phoned by the courier: a mainland mobile.
        "recipient": _party(payload, "recipient", mobile=True),
        "sender": _party(payload, "sender", mobile=False),
        "item": _text(payload, "item", 32),
        "callback_url": callback_url,
    }


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value for `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ShipmentStore:
    """Shipments and their events in memory, appended to a JSON Lines file; safe across threads.

    Each line is `{"type": "shipment", ...}` or `{"type": "event", "tracking_number", ...}`, so
    an event appended long after its shipment needs no rewrite of earlier lines."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / STORE_FILE
        self._lock = threading.Lock()
        self._shipments: dict[str, dict[str, Any]] = {}
        self._by_ref: dict[str, str] = {}
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    # A crash mid-write leaves at most one torn last line; skip it.
                    continue
                kind = record.pop("type", None)
                if kind == "shipment":
                    record["events"] = []
                    self._shipments[record["tracking_number"]] = record
                    self._by_ref.setdefault(record["client_ref"], record["tracking_number"])
                elif kind == "event" and record.get("tracking_number") in self._shipments:
                    shipment = self._shipments[record["tracking_number"]]
                    shipment["events"].append(record)
                    shipment["status"] = record["status"]

    def _append(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            fh.flush()

    def _new_tracking_number(self) -> str:
        while True:
            number = f"CN{secrets.randbelow(10**12):012d}"
            if number not in self._shipments:
                return number

    def add(self, shipment: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Record `shipment` unless its client_ref is known; return (record, created)."""
        with self._lock:
            known = self._by_ref.get(shipment["client_ref"])
            if known is not None:
                return self._shipments[known], False
            record = {
                "tracking_number": self._new_tracking_number(),
                "status": "created",
                "created_at": _now(),
                **shipment,
            }
            self._append({"type": "shipment", **record})
            self._shipments[record["tracking_number"]] = {**record, "events": []}
            self._by_ref[record["client_ref"]] = record["tracking_number"]
            return self._shipments[record["tracking_number"]], True

    def add_event(self, tracking_number: str, status: str, *, event_id: str) -> dict[str, Any]:
        """Record that the shipment reached `status`; return the event."""
        with self._lock:
            shipment = self._shipments[tracking_number]
            at = datetime.now(UTC)
            if shipment["events"]:
                # Events recorded in one burst (a reordered script) still get distinct, rising
                # times, so a receiver can put out-of-order callbacks back in order by `at`.
                last = datetime.fromisoformat(shipment["events"][-1]["at"])
                at = max(at, last + timedelta(milliseconds=1))
            event = {
                "tracking_number": tracking_number,
                "event_id": event_id,
                "status": status,
                "at": at.isoformat(timespec="milliseconds"),
                "detail": DETAILS[status],
            }
            self._append({"type": "event", **event})
            shipment["events"].append(event)
            shipment["status"] = status
            return dict(event)

    def get(self, tracking_number: str) -> dict[str, Any] | None:
        """The shipment as the API shows it (without its parties), or None."""
        with self._lock:
            shipment = self._shipments.get(tracking_number)
            if shipment is None:
                return None
            return {
                "tracking_number": shipment["tracking_number"],
                "client_ref": shipment["client_ref"],
                "status": shipment["status"],
                "created_at": shipment["created_at"],
                "events": [dict(e) for e in shipment["events"]],
            }

    def callback_url(self, tracking_number: str) -> str:
        with self._lock:
            return str(self._shipments[tracking_number]["callback_url"])

    def count(self) -> int:
        with self._lock:
            return len(self._shipments)


class FailurePlan:
    """How many of the next creates to fail or slow down, and how."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._status = 503
        self._delay = 0.0

    def set(self, *, count: int, status: int, delay: float) -> None:
        with self._lock:
            self._count, self._status, self._delay = count, status, delay

    def take(self) -> tuple[int, float] | None:
        with self._lock:
            if self._count <= 0:
                return None
            self._count -= 1
            return self._status, self._delay


class CallbackPlan:
    """Misbehaviour for the next advance's callbacks; taken (and cleared) by that advance."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._duplicate = False
        self._reorder = False

    def set(self, *, duplicate: bool, reorder: bool) -> None:
        with self._lock:
            self._duplicate, self._reorder = duplicate, reorder

    def take(self) -> tuple[bool, bool]:
        with self._lock:
            plan = (self._duplicate, self._reorder)
            self._duplicate = self._reorder = False
            return plan


class CourierServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], store: ShipmentStore, secret: str) -> None:
        super().__init__(address, CourierRequestHandler)
        self.store = store
        self.secret = secret
        self.failures = FailurePlan()
        self.callback_plan = CallbackPlan()
        self._pending = 0
        self._pending_cond = threading.Condition()

    def advance(self, tracking_number: str, script: list[str], delay: float) -> list[str]:
        """Move the shipment through `script` in a background thread; return the event ids.

        With `reorder`, every event is recorded first and then called back newest first, which
        is what a receiver sees when a courier's queue delivers out of order."""
        duplicate, reorder = self.callback_plan.take()
        url = self.store.callback_url(tracking_number)
        # Ids are chosen now, so the caller can wait for exactly these callbacks.
        planned = [(f"ev-{uuid.uuid4().hex}", status) for status in script]
        recorded: list[dict[str, Any]] = []
        if reorder:
            recorded = [self.store.add_event(tracking_number, s, event_id=i) for i, s in planned]

        def run() -> None:
            try:
                for index in range(len(planned)):
                    if delay and index:
                        time.sleep(delay)
                    if reorder:
                        event = recorded[len(recorded) - 1 - index]
                    else:
                        event_id, status = planned[index]
                        event = self.store.add_event(tracking_number, status, event_id=event_id)
                    for _ in range(2 if duplicate else 1):
                        self.send_callback(url, event)
            finally:
                with self._pending_cond:
                    self._pending -= 1
                    self._pending_cond.notify_all()

        with self._pending_cond:
            self._pending += 1
        threading.Thread(target=run, name="courier-callbacks", daemon=True).start()
        return [event_id for event_id, _ in planned]

    def send_callback(self, url: str, event: dict[str, Any]) -> bool:
        """POST one signed event to `url`, retrying a little; return whether it was taken."""
        body = json.dumps(event, ensure_ascii=False).encode()
        for attempt in range(CALLBACK_ATTEMPTS):
            if attempt:
                time.sleep(CALLBACK_RETRY_SECONDS)
            # The URL's scheme was checked to be http(s) when the shipment was created.
            request = urllib.request.Request(  # noqa: S310
                url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    SIGNATURE_HEADER: sign(self.secret, body, int(time.time())),
                },
            )
            try:
                with urllib.request.urlopen(  # noqa: S310
                    request, timeout=CALLBACK_TIMEOUT_SECONDS
                ) as answer:
                    status = answer.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except (OSError, ValueError):
                status = 0
            logger.info(
                "courier-simulator callback event_id=%s attempt=%s status=%s",
                event["event_id"],
                attempt + 1,
                status,
            )
            if 200 <= status < 300:
                return True
        return False

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every advance has sent its callbacks; return False on timeout."""
        with self._pending_cond:
            return self._pending_cond.wait_for(lambda: self._pending == 0, timeout=timeout)


class CourierRequestHandler(BaseHTTPRequestHandler):
    server: CourierServer
    server_version = "OneTripCourierSimulator/1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("courier-simulator method=%s status=%s", self.command, args[1] if args else "")

    def _send_json(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read_object(self) -> dict[str, Any]:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError as exc:
            raise ValidationError("invalid Content-Length") from exc
        if length <= 0:
            raise ValidationError("empty body")
        if length > MAX_BODY_BYTES:
            raise ValidationError("body too large")
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise ValidationError("body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise ValidationError("body must be a JSON object")
        return body

    def do_GET(self) -> None:
        match = TRACKING_PATH_RE.fullmatch(urlsplit(self.path).path)
        shipment = self.server.store.get(match["tracking"]) if match else None
        if shipment is None:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})
        else:
            self._send_json(HTTPStatus.OK, shipment)

    def do_POST(self) -> None:
        routes = {
            "/v1/shipments": self._post_shipment,
            "/_control/advance": self._post_advance,
            "/_control/fail-next": self._post_fail_next,
            "/_control/callbacks": self._post_callbacks,
        }
        route = routes.get(urlsplit(self.path).path)
        if route is None:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        try:
            route(self._read_object())
        except (ValidationError, TypeError, ValueError) as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})

    def _post_shipment(self, body: dict[str, Any]) -> None:
        shipment = validate_shipment(body)
        failure = self.server.failures.take()
        if failure is not None:
            status, delay = failure
            if delay:
                time.sleep(delay)
            if not 200 <= status < 300:
                self._send_json(status, {"error": "simulated failure"})
                return
        record, created = self.server.store.add(shipment)
        logger.info(
            "courier-simulator tracking_number=%s created=%s", record["tracking_number"], created
        )
        self._send_json(
            HTTPStatus.CREATED, {"tracking_number": record["tracking_number"], "status": "created"}
        )

    def _post_advance(self, body: dict[str, Any]) -> None:
        tracking = body.get("tracking_number")
        script = body.get("script")
        delay = float(body.get("delay", 0))
        if not isinstance(tracking, str) or self.server.store.get(tracking) is None:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "unknown tracking_number"})
            return
        if not isinstance(script, list) or not script or len(script) > 20:
            raise ValidationError("script must be a list of 1 to 20 statuses")
        unknown = [s for s in script if s not in STATUSES]
        if unknown:
            raise ValidationError(f"unknown statuses: {unknown!r}; known: {list(STATUSES)}")
        if not 0 <= delay <= 60:
            raise ValidationError("0 <= delay <= 60")
        ids = self.server.advance(tracking, script, delay)
        self._send_json(HTTPStatus.ACCEPTED, {"event_ids": ids})

    def _post_fail_next(self, body: dict[str, Any]) -> None:
        count = int(body.get("count", 1))
        status = int(body.get("status", 503))
        delay = float(body.get("delay", 0))
        if count < 0 or not 100 <= status <= 599 or not 0 <= delay <= 60:
            raise ValidationError("count >= 0, 100 <= status <= 599, 0 <= delay <= 60")
        self.server.failures.set(count=count, status=status, delay=delay)
        self._send_json(HTTPStatus.OK, {"count": count, "status": status, "delay": delay})

    def _post_callbacks(self, body: dict[str, Any]) -> None:
        duplicate = body.get("duplicate", False)
        reorder = body.get("reorder", False)
        if not isinstance(duplicate, bool) or not isinstance(reorder, bool):
            raise ValidationError("duplicate and reorder must be true or false")
        self.server.callback_plan.set(duplicate=duplicate, reorder=reorder)
        self._send_json(HTTPStatus.OK, {"duplicate": duplicate, "reorder": reorder})


def make_server(host: str, port: int, store: Path, secret: str) -> CourierServer:
    return CourierServer((host, port), ShipmentStore(store), secret)


def serve(host: str = "127.0.0.1", port: int = 8026, *, store: Path, secret: str) -> None:
    """Run the simulator in the foreground until interrupted."""
    server = make_server(host, port, store, secret)
    logger.info("courier-simulator listening url=http://%s:%s store=%s", host, port, store)
    try:
        server.serve_forever()
    finally:
        server.server_close()


class CourierSimulator(LoopbackSimulator[CourierServer]):
    """The simulator on a free loopback port in a background thread, for tests and demos.

    >>> with CourierSimulator(store=tmp_path, secret="s3cret") as sim:
    ...     sim.url, sim.shipment("CN000000000001")
    """

    name = "courier"

    def __init__(
        self,
        store: Path | None = None,
        *,
        secret: str = DEV_SECRET,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(store, host=host, port=port)
        self.secret = secret

    def _make_server(self) -> CourierServer:
        return make_server(self.host, self.port, self.store_dir, self.secret)

    def _before_shutdown(self, server: CourierServer) -> None:
        server.wait_idle(timeout=5)

    def shipment(self, tracking_number: str) -> dict[str, Any] | None:
        """The shipment and its events as `GET /v1/shipments/<tracking_number>` shows them."""
        return self.server.store.get(tracking_number)

    def shipment_count(self) -> int:
        return self.server.store.count()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every advance has sent its callbacks."""
        return self.server.wait_idle(timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OneTrip courier simulator (loopback only)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--store", type=Path, default=Path("var/courier"))
    parser.add_argument(
        "--secret",
        default=os.environ.get("ONETRIP_COURIER_SECRET", DEV_SECRET),
        help="shared secret of the callback signatures (default: ONETRIP_COURIER_SECRET)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        serve(args.host, args.port, store=args.store, secret=args.secret)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
