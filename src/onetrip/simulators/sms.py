"""A loopback stand-in for an SMS gateway, for `make up`, demos and tests.

It speaks a small HTTP API that the portal's SMS adapter (`portal/notify/clients/sms/http.py`) uses:

- `POST /v1/messages` with JSON `{"to", "sign", "template", "text", "client_ref"}` answers
  `202 {"id": ...}`. `client_ref` is an idempotency key: the same reference returns the first
  message's id and records nothing new, so a sender that retries after a lost answer never makes a
  phone ring twice.
- `GET /v1/messages[?to=...]` lists recorded messages, newest first.
- `GET /[?to=...]` is a Chinese HTML inbox that refreshes itself, so a demo user can read a code.
- `POST /_control/fail-next` with `{"count": N, "status": 503, "delay": 0.0}` makes the next N
  sends wait `delay` seconds and then answer `status` (a 2xx status still records the message,
  which lets a test lose the answer to a timeout while the message gets through).

Messages are appended to `<store>/messages.jsonl`, so a restart keeps them. The module needs only
the standard library: `python -m onetrip.simulators.sms --port 8025 --store var/sms`.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import logging
import re
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .base import LoopbackSimulator

logger = logging.getLogger(__name__)

STORE_FILE = "messages.jsonl"
MAX_BODY_BYTES = 64 * 1024
MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
# The inbox shows times as the zones do (TIME_ZONE = "Asia/Shanghai"), whatever the machine's zone
# is; China keeps UTC+8 all year, so a fixed offset needs no time-zone database.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
FIELD_LIMITS = {"to": 11, "sign": 32, "template": 64, "text": 1000, "client_ref": 128}


class ValidationError(ValueError):
    pass


def validate_message(payload: Any) -> dict[str, str]:
    """Return the message fields of a send request, or raise ValidationError saying why not."""
    if not isinstance(payload, dict):
        raise ValidationError("body must be a JSON object")
    message: dict[str, str] = {}
    for field, limit in FIELD_LIMITS.items():
        value = payload.get(field)
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"{field} is required and must be a non-empty string")
        if len(value) > limit:
            raise ValidationError(f"{field} is longer than {limit} characters")
        message[field] = value
    if not MOBILE_RE.fullmatch(message["to"]):
        raise ValidationError("to must be an 11-digit mainland mobile number")
    return message


class MessageStore:
    """Recorded messages in memory, appended to a JSON Lines file; safe across threads."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / STORE_FILE
        self._lock = threading.Lock()
        self._messages: list[dict[str, str]] = []
        self._by_ref: dict[str, dict[str, str]] = {}
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
                self._messages.append(record)
                self._by_ref.setdefault(record["client_ref"], record)

    def add(self, message: dict[str, str]) -> tuple[dict[str, str], bool]:
        """Record `message` unless its client_ref is known; return (record, created)."""
        with self._lock:
            known = self._by_ref.get(message["client_ref"])
            if known is not None:
                return known, False
            record = {
                "id": f"sim-{uuid.uuid4().hex}",
                "received_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                **message,
            }
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                fh.flush()
            self._messages.append(record)
            self._by_ref[record["client_ref"]] = record
            return record, True

    def list(self, *, to: str | None = None) -> list[dict[str, str]]:
        with self._lock:
            found = [m for m in self._messages if to is None or m["to"] == to]
        return list(reversed(found))


class FailurePlan:
    """How many of the next sends to fail, and how."""

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


class SmsServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a burst of senders (50 residents asking for
    # codes at once) had connections refused or reset before a thread could accept them.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], store: MessageStore) -> None:
        super().__init__(address, SmsRequestHandler)
        self.store = store
        self.failures = FailurePlan()


class SmsRequestHandler(BaseHTTPRequestHandler):
    server: SmsServer
    server_version = "OneTripSmsSimulator/1"

    def log_message(self, format: str, *args: Any) -> None:
        # Request lines carry phone numbers in ?to=; keep them out of the logs.
        logger.debug("sms-simulator method=%s status=%s", self.command, args[1] if args else "")

    # --- helpers -------------------------------------------------------------------------------

    def _send_json(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read_json(self) -> Any:
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
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError("body is not valid JSON") from exc

    # --- routes --------------------------------------------------------------------------------

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        to = parse_qs(url.query).get("to", [None])[0]
        if url.path == "/v1/messages":
            self._send_json(HTTPStatus.OK, self.server.store.list(to=to))
        elif url.path == "/":
            data = render_inbox(self.server.store.list(to=to), to=to).encode()
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path == "/v1/messages":
            self._post_message()
        elif path == "/_control/fail-next":
            self._post_fail_next()
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def _post_message(self) -> None:
        try:
            message = validate_message(self._read_json())
        except ValidationError as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        failure = self.server.failures.take()
        if failure is not None:
            status, delay = failure
            if delay:
                time.sleep(delay)
            if not 200 <= status < 300:
                self._send_json(status, {"error": "simulated failure"})
                return
        record, created = self.server.store.add(message)
        logger.info("sms-simulator id=%s created=%s", record["id"], created)
        self._send_json(HTTPStatus.ACCEPTED, {"id": record["id"]})

    def _post_fail_next(self) -> None:
        try:
            body = self._read_json()
            if not isinstance(body, dict):
                raise ValidationError("body must be a JSON object")
            count = int(body.get("count", 1))
            status = int(body.get("status", 503))
            delay = float(body.get("delay", 0))
            if count < 0 or not 100 <= status <= 599 or not 0 <= delay <= 60:
                raise ValidationError("count >= 0, 100 <= status <= 599, 0 <= delay <= 60")
        except (TypeError, ValueError) as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        self.server.failures.set(count=count, status=status, delay=delay)
        self._send_json(HTTPStatus.OK, {"count": count, "status": status, "delay": delay})


INBOX_PAGE = """<!doctype html>
<html lang="zh-Hans">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="3">
<title>短信网关模拟器 · 收件箱</title>
<style>
body {{ font-family: system-ui, "Noto Sans CJK SC", "PingFang SC", sans-serif; margin: 0;
  padding: 1rem; color: #1a1a1a; background: #f6f7f9; line-height: 1.6; }}
h1 {{ font-size: 1.25rem; margin: 0 0 .25rem; }}
p.note {{ margin: 0 0 1rem; color: #444; }}
ol {{ list-style: none; padding: 0; margin: 0; }}
li {{ background: #fff; border: 1px solid #d0d5dd; border-radius: .5rem; padding: .75rem;
  margin-bottom: .75rem; }}
.meta {{ color: #444; font-size: .9rem; }}
.text {{ font-size: 1.05rem; margin-top: .25rem; word-break: break-all; }}
</style>
</head>
<body>
<main>
<h1>短信网关模拟器 · 收件箱</h1>
<p class="note">本页面仅用于演示，每 3 秒自动刷新。共 {count} 条短信{filter_note}。
时间为北京时间。</p>
{body}
</main>
</body>
</html>
"""


def render_inbox(messages: list[dict[str, str]], *, to: str | None = None) -> str:
    items = []
    for m in messages:
        items.append(
            "<li>"
            f'<div class="meta"><time datetime="{html.escape(m["received_at"])}">'
            f"{html.escape(_local_time(m['received_at']))}</time> · "
            f"发送至 {html.escape(m['to'])}</div>"
            f'<div class="text">{html.escape(m["text"])}</div>'
            "</li>"
        )
    body = "<ol>" + "".join(items) + "</ol>" if items else "<p>暂无短信。</p>"
    filter_note = f"（仅显示发送至 {html.escape(to)} 的短信）" if to else ""
    return INBOX_PAGE.format(count=len(messages), filter_note=filter_note, body=body)


def _local_time(iso: str) -> str:
    """A recorded UTC time as Beijing time, as both zones show times."""
    try:
        return datetime.fromisoformat(iso).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def make_server(host: str, port: int, store: Path) -> SmsServer:
    return SmsServer((host, port), MessageStore(store))


def serve(host: str = "127.0.0.1", port: int = 8025, *, store: Path) -> None:
    """Run the simulator in the foreground until interrupted."""
    server = make_server(host, port, store)
    logger.info("sms-simulator listening url=http://%s:%s store=%s", host, port, store)
    try:
        server.serve_forever()
    finally:
        server.server_close()


class SmsSimulator(LoopbackSimulator[SmsServer]):
    """The simulator on a free loopback port in a background thread, for tests and `make up`.

    >>> with SmsSimulator(store=tmp_path) as sim:
    ...     sim.url, sim.messages()
    """

    name = "sms"

    def _make_server(self) -> SmsServer:
        return make_server(self.host, self.port, self.store_dir)

    def messages(self, *, to: str | None = None) -> list[dict[str, str]]:
        """Recorded messages, newest first."""
        return self.server.store.list(to=to)

    def fail_next(self, count: int = 1, *, status: int = 503, delay: float = 0.0) -> None:
        """Make the next `count` sends answer `status` after `delay` seconds."""
        self.server.failures.set(count=count, status=status, delay=delay)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OneTrip SMS gateway simulator (loopback only)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--store", type=Path, default=Path("var/sms"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        serve(args.host, args.port, store=args.store)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
