"""A loopback stand-in for the department data services, for `make up`, demos and tests.

One server answers for four sources, each under its own path and signing with its own Ed25519
key, as the real departments would:

- `POST /population/v1/identity` `{"id_number", "name", "photo": bool}` → `{"match"}`, and when
  the name and number belong together `hukou_address`, `ethnicity` and, if asked,
  `photo_base64` (a JPEG, DOC-5);
- `POST /social_insurance/v1/contributions` `{"id_number"}` → `{"found", "months": [{"month":
  "YYYY-MM", "employer", "region", "back_paid"}], "employment_registration": {"employer",
  "since"} | null}` (HZ-2);
- `POST /housing/v1/residences` `{"id_number"}` → `{"properties": [{"community_code",
  "address", "certificate": "C19"|"C20"}], "leases": [{"community_code", "address", "filed_on",
  "until", "land": "state"|"collective"}]}` (HZ-3);
- `POST /education/v1/enrolments` `{"id_number"}` → `{"enrolments": [{"school", "since",
  "until"}]}` (HZ-4).

Each request body is `{"request_id", "issued_at", "client", "requester", "case", "purpose",
"operation", "query"}`, signed in `X-Egov-Signature: <key id>:<base64 Ed25519>` with a client key
the simulator trusts; an unsigned or forged request answers 401, one without requester, case or
purpose 400. Each answer is `{"request_id", "source", "answered_at", "result"}`, signed the same
way with the source's key.

The people are deterministic: the demo residents and a few named cases (`_named`), everyone
else derived from the SHA-256 of the ID number, so every run, demo and test sees the same data.
Months are counted back from the current month.

Controls (tests and demos; no department has these)
- `POST /_control/fail-next` `{"source", "mode", "count": 1, "delay": 2.0}` — the next `count`
  questions to `source` are answered by `mode`: `timeout` (wait `delay`, then answer, too late
  for a client with a shorter timeout), `slow` (wait `delay`, then answer well), `5xx` (503),
  `malformed` (signed bytes that are not JSON), `forged` (a good answer signed with a key the
  client does not trust), `wrong_request` (signed, but answering another request id);
- `POST /_control/outage` `{"source", "down": true|false}` — while down, every connection to
  `source` is closed without an answer;
- `POST /_control/reset` — forget failure plans, outages and the query log;
- `GET /_control/queries` — the questions received (request id, source, operation, requester,
  case, purpose, whether the signature verified), newest last.

Published development keys (`dev_source_key`, `dev_client_key`) sign a demo on one machine and
never a deployment. Run: `python -m onetrip.simulators.egov --port 8027`.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import logging
import os
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from onetrip.common.egov_signing import (
    SIGNATURE_HEADER,
    SignatureError,
    canonical,
    key_from_seed,
    public_b64,
    public_key,
    sign,
    verify,
)

from .base import LoopbackSimulator

logger = logging.getLogger(__name__)

SOURCES = {
    "population": "identity",
    "social_insurance": "contributions",
    "housing": "residences",
    "education": "enrolments",
}
MODES = ("timeout", "slow", "5xx", "malformed", "forged", "wrong_request")
MAX_BODY_BYTES = 64 * 1024
CLIENT_KEY_ID = "onetrip-dev-client"
CITY_REGIONS = ("330102", "330105", "330106", "330108", "330110")
EMPLOYERS = (
    "杭州示例科技有限公司",
    "杭州西湖数码科技有限公司",
    "杭州钱塘物流有限公司",
    "杭州湖滨餐饮管理有限公司",
    "浙江之江建设集团有限公司",
    "杭州拱墅家政服务有限公司",
)
SCHOOLS = ("浙江工业大学", "杭州师范大学", "杭州市西湖职业高级中学", "杭州市文三街小学")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
PROVINCES = {
    "11": "北京市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "36": "江西省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "51": "四川省",
    "52": "贵州省",
}
STREETS = ("曙光路", "文三路", "教工路", "保俶路", "天目山路", "古墩路")


def dev_source_key(source: str) -> Ed25519PrivateKey:
    """The published development key `source` signs with."""
    return key_from_seed(f"onetrip-dev-egov-source-{source}")


def dev_source_key_id(source: str) -> str:
    return f"dev-{source}-1"


def dev_client_key() -> Ed25519PrivateKey:
    """The published development key of the police zone's questions."""
    return key_from_seed("onetrip-dev-egov-client")


def dev_sources_setting(url: str) -> dict[str, Any]:
    """`ONETRIP_EGOV_SOURCES` for a police zone that asks this simulator at `url`."""
    return {
        source: {
            "url": f"{url.rstrip('/')}/{source}",
            "keys": {dev_source_key_id(source): public_b64(dev_source_key(source))},
        }
        for source in SOURCES
    }


def dev_signing_setting() -> str:
    """`ONETRIP_EGOV_SIGNING_KEY` matching `dev_client_key`."""
    from onetrip.common.egov_signing import private_b64

    return f"{CLIENT_KEY_ID}:{private_b64(dev_client_key())}"


# -- the people ------------------------------------------------------------------------------


def _months_back(today: dt.date, n: int) -> dt.date:
    """The first day of the month `n` months before this one."""
    index = today.year * 12 + today.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


def _insurance(
    today: dt.date, *, months: int, employer: str, region: str = "330106", back_paid_at: int = -1
) -> dict[str, Any]:
    rows = [
        {
            "month": _months_back(today, k).strftime("%Y-%m"),
            "employer": employer,
            "region": region,
            "back_paid": k == back_paid_at,
        }
        for k in range(months, 0, -1)
    ]
    registration = None
    if months:
        registration = {"employer": employer, "since": _months_back(today, months).isoformat()}
    return {"found": bool(months), "months": rows, "employment_registration": registration}


def _lease(today: dt.date, community: str, address: str, land: str = "state") -> dict[str, Any]:
    return {
        "community_code": community,
        "address": address,
        "filed_on": (today - dt.timedelta(days=200)).isoformat(),
        "until": (today + dt.timedelta(days=300)).isoformat(),
        "land": land,
    }


def _named(id_number: str, today: dt.date) -> dict[str, Any] | None:
    """The demo residents and the named cases the tests and the README use."""
    from onetrip.common.demo import DEMO_RESIDENT as demo

    people: dict[str, dict[str, Any]] = {
        demo.id_number: {
            "name": demo.name,
            "ethnicity": "汉族",
            "social_insurance": _insurance(today, months=26, employer=demo.employer_name),
            "housing": {
                "properties": [],
                "leases": [_lease(today, demo.community_code, demo.address_detail)],
            },
        },
        # 14 months of continuous contributions and a filed lease: the employment route with
        # nothing to bring but a photo.
        "33010619900101123X": {
            "name": "张三",
            "ethnicity": "汉族",
            "social_insurance": _insurance(today, months=14, employer="杭州西湖数码科技有限公司"),
            "housing": {
                "properties": [],
                "leases": [_lease(today, "330106002001", "曙光路 12 号 3 幢 201 室")],
            },
        },
        # 20 months, but the month three months ago was paid late (补缴): continuity breaks.
        "330106198505050035": {
            "name": "李娜",
            "ethnicity": "汉族",
            "social_insurance": _insurance(
                today, months=20, employer="杭州钱塘物流有限公司", back_paid_at=3
            ),
            "housing": {
                "properties": [
                    {
                        "community_code": "330106002001",
                        "address": "保俶路 5 号 1 幢 602 室",
                        "certificate": "C19",
                    }
                ],
                "leases": [],
            },
        },
        # Only 8 months of contributions.
        "411522199607120046": {
            "name": "周敏",
            "ethnicity": "回族",
            "social_insurance": _insurance(today, months=8, employer="杭州湖滨餐饮管理有限公司"),
            "housing": {"properties": [], "leases": []},
        },
        # A student, enrolled since September two years ago.
        "33010220050901006X": {
            "name": "赵磊",
            "ethnicity": "汉族",
            "social_insurance": _insurance(today, months=0, employer=""),
            "housing": {"properties": [], "leases": []},
            "enrolments": [
                {
                    "school": "浙江工业大学",
                    "since": dt.date(today.year - 2, 9, 1).isoformat(),
                    "until": None,
                }
            ],
        },
    }
    return people.get(id_number)


def person(id_number: str, today: dt.date | None = None) -> dict[str, Any]:
    """Everything the four sources know of `id_number`."""
    today = today or dt.date.today()
    h = hashlib.sha256(id_number.encode()).digest()
    province = PROVINCES.get(id_number[:2], "浙江省")
    derived: dict[str, Any] = {
        "name": "".join(
            (SURNAMES[h[0] % len(SURNAMES)], GIVEN[h[1] % len(GIVEN)], GIVEN[h[2] % len(GIVEN)])
        ),
        "ethnicity": "汉族" if h[3] % 10 else "回族",
        "hukou_address": f"{province}{id_number[:6]}行政区 {STREETS[h[4] % len(STREETS)]} "
        f"{h[5] % 200 + 1} 号",
        "social_insurance": _insurance(
            today,
            months=h[6] % 37,
            employer=EMPLOYERS[h[7] % len(EMPLOYERS)],
            region=CITY_REGIONS[h[8] % len(CITY_REGIONS)],
            back_paid_at=(h[9] % 12) if h[10] % 7 == 0 else -1,
        ),
        "housing": {"properties": [], "leases": []},
        "enrolments": [],
    }
    community = f"{CITY_REGIONS[h[11] % len(CITY_REGIONS)]}002001"
    address = f"{STREETS[h[12] % len(STREETS)]} {h[13] % 120 + 1} 号 {h[14] % 9 + 1} 幢"
    if h[15] % 3 == 0:
        derived["housing"]["properties"].append(
            {"community_code": community, "address": address, "certificate": "C19"}
        )
    elif h[15] % 3 == 1:
        derived["housing"]["leases"].append(_lease(today, community, address))
    try:
        born = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        born = None
    if born is not None and 6 <= (today - born).days // 365 <= 22:
        derived["enrolments"].append(
            {
                "school": SCHOOLS[h[16] % len(SCHOOLS)],
                "since": dt.date(today.year - 1, 9, 1).isoformat(),
                "until": None,
            }
        )
    named = _named(id_number, today)
    if named is not None:
        derived.update(named)
    return derived


def photo_jpeg(id_number: str) -> bytes:
    """A GA 461-sized head-and-shoulders stand-in on white, the same for the same person."""
    from PIL import Image, ImageDraw

    shade = hashlib.sha256(id_number.encode()).digest()[0] // 4 + 60
    image = Image.new("RGB", (358, 441), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse((104, 60, 254, 240), fill=(shade + 120, shade + 90, shade + 70))
    draw.rectangle((60, 260, 298, 441), fill=(shade, shade, shade + 30))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def answer(source: str, query: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """The `result` one source gives to one question."""
    id_number = query.get("id_number")
    if not isinstance(id_number, str) or len(id_number) != 18:
        raise ValueError("query.id_number must be an 18-character ID number")
    facts = person(id_number, today)
    if source == "population":
        if query.get("name") != facts["name"]:
            return {"match": False}
        result: dict[str, Any] = {
            "match": True,
            "hukou_address": facts["hukou_address"],
            "ethnicity": facts["ethnicity"],
        }
        if query.get("photo") is True:
            result["photo_base64"] = base64.b64encode(photo_jpeg(id_number)).decode()
        return result
    if source == "social_insurance":
        return dict(facts["social_insurance"])
    if source == "housing":
        return dict(facts["housing"])
    return {"enrolments": list(facts.get("enrolments", []))}


# -- the server ------------------------------------------------------------------------------


class EgovServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        source_keys: dict[str, tuple[str, Ed25519PrivateKey]],
        client_keys: dict[str, Ed25519PublicKey],
    ) -> None:
        super().__init__(address, EgovRequestHandler)
        self.source_keys = source_keys
        self.client_keys = client_keys
        self.lock = threading.Lock()
        self.plans: dict[str, list[tuple[str, float]]] = {}
        self.down: set[str] = set()
        self.queries: list[dict[str, Any]] = []
        # Signs answers in `forged` mode: a key no client trusts.
        self.forger = key_from_seed("onetrip-egov-forger")

    def take(self, source: str) -> tuple[str, float] | None:
        with self.lock:
            plan = self.plans.get(source)
            return plan.pop(0) if plan else None


class EgovRequestHandler(BaseHTTPRequestHandler):
    server: EgovServer
    server_version = "OneTripEgovSimulator/1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("egov-simulator method=%s status=%s", self.command, args[1] if args else "")

    def _send(self, status: int, body: bytes, signature: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if signature:
            self.send_header(SIGNATURE_HEADER, signature)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body, ensure_ascii=False).encode())

    def _read(self) -> bytes:
        length = int(self.headers.get("Content-Length", "0") or 0)
        if not 0 < length <= MAX_BODY_BYTES:
            raise ValueError("body missing or too large")
        return self.rfile.read(length)

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/_control/queries":
            with self.server.lock:
                self._send_json(HTTPStatus.OK, list(self.server.queries))
            return
        self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        try:
            raw = self._read()
        except ValueError as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        if path.startswith("/_control/"):
            self._control(path, raw)
            return
        source, _sep, rest = path.strip("/").partition("/")
        if source not in SOURCES or rest != f"v1/{SOURCES[source]}":
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        self._question(source, raw)

    def _question(self, source: str, raw: bytes) -> None:
        server = self.server
        if source in server.down:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)
            return
        try:
            verify(self.headers.get(SIGNATURE_HEADER), raw, server.client_keys)
            signed = True
        except SignatureError:
            signed = False
        try:
            body = json.loads(raw.decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError("body must be an object")
        except (UnicodeDecodeError, ValueError):
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "body is not JSON"})
            return
        with server.lock:
            server.queries.append(
                {
                    "request_id": body.get("request_id"),
                    "source": source,
                    "operation": body.get("operation"),
                    "requester": body.get("requester"),
                    "case": body.get("case"),
                    "purpose": body.get("purpose"),
                    "signed": signed,
                }
            )
        if not signed:
            self._send_json(HTTPStatus.UNAUTHORIZED, {"error": "request signature invalid"})
            return
        named = ("requester", "case", "purpose")
        if not all(isinstance(body.get(k), str) and body[k] for k in named):
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "requester, case and purpose needed"})
            return
        query = body.get("query")
        try:
            result = answer(source, query if isinstance(query, dict) else {})
        except ValueError as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        key_id, key = server.source_keys[source]
        request_id = body.get("request_id")
        plan = server.take(source)
        mode, delay = plan if plan else ("", 0.0)
        if mode in ("timeout", "slow"):
            time.sleep(delay)
        if mode == "5xx":
            self._send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "simulated failure"})
            return
        if mode == "wrong_request":
            request_id = "0" * 32
        payload = canonical(
            {
                "request_id": request_id,
                "source": source,
                "answered_at": dt.datetime.now(dt.UTC).isoformat(),
                "result": result,
            }
        )
        if mode == "malformed":
            payload = payload[: len(payload) // 2]
        if mode == "forged":
            self._send(HTTPStatus.OK, payload, sign(server.forger, key_id, payload))
            return
        with contextlib.suppress(OSError):
            self._send(HTTPStatus.OK, payload, sign(key, key_id, payload))

    def _control(self, path: str, raw: bytes) -> None:
        server = self.server
        try:
            body = json.loads(raw.decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError("body must be an object")
            if path == "/_control/reset":
                with server.lock:
                    server.plans.clear()
                    server.down.clear()
                    server.queries.clear()
                self._send_json(HTTPStatus.OK, {"reset": True})
                return
            source = body.get("source")
            if source not in SOURCES:
                raise ValueError(f"source must be one of {sorted(SOURCES)}")
            if path == "/_control/outage":
                down = body.get("down", True)
                with server.lock:
                    (server.down.add if down else server.down.discard)(source)
                self._send_json(HTTPStatus.OK, {"source": source, "down": bool(down)})
                return
            if path == "/_control/fail-next":
                mode = body.get("mode")
                count = int(body.get("count", 1))
                delay = float(body.get("delay", 2.0))
                if mode not in MODES or not 0 <= count <= 100 or not 0 <= delay <= 60:
                    raise ValueError(f"mode in {MODES}, 0 <= count <= 100, 0 <= delay <= 60")
                with server.lock:
                    server.plans[source] = [(mode, delay)] * count
                self._send_json(HTTPStatus.OK, {"source": source, "mode": mode, "count": count})
                return
        except (UnicodeDecodeError, ValueError, TypeError) as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})


def dev_keys() -> tuple[dict[str, tuple[str, Ed25519PrivateKey]], dict[str, Ed25519PublicKey]]:
    sources = {s: (dev_source_key_id(s), dev_source_key(s)) for s in SOURCES}
    clients = {CLIENT_KEY_ID: dev_client_key().public_key()}
    return sources, clients


def make_server(
    host: str,
    port: int,
    *,
    source_keys: dict[str, tuple[str, Ed25519PrivateKey]] | None = None,
    client_keys: dict[str, Ed25519PublicKey] | None = None,
) -> EgovServer:
    dev_sources, dev_clients = dev_keys()
    return EgovServer(
        (host, port),
        source_keys=source_keys or dev_sources,
        client_keys=client_keys or dev_clients,
    )


class EgovSimulator(LoopbackSimulator[EgovServer]):
    """The simulator on a free loopback port in a background thread, for tests and demos.
    Keys default to the published development keys."""

    name = "egov"

    def __init__(
        self,
        store: Path | None = None,
        *,
        source_keys: dict[str, tuple[str, Ed25519PrivateKey]] | None = None,
        client_keys: dict[str, Ed25519PublicKey] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(store, host=host, port=port)
        self.source_keys = source_keys
        self.client_keys = client_keys

    def _make_server(self) -> EgovServer:
        return make_server(
            self.host, self.port, source_keys=self.source_keys, client_keys=self.client_keys
        )

    def fail_next(self, source: str, mode: str, *, count: int = 1, delay: float = 2.0) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        with self.server.lock:
            self.server.plans[source] = [(mode, delay)] * count

    def outage(self, source: str, *, down: bool = True) -> None:
        with self.server.lock:
            (self.server.down.add if down else self.server.down.discard)(source)

    def queries(self) -> list[dict[str, Any]]:
        with self.server.lock:
            return list(self.server.queries)

    def reset(self) -> None:
        with self.server.lock:
            self.server.plans.clear()
            self.server.down.clear()
            self.server.queries.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OneTrip department data simulator (loopback)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8027)
    parser.add_argument(
        "--client-key",
        default=os.environ.get("ONETRIP_EGOV_SIMULATOR_CLIENT_KEY", ""),
        help="base64 public key the police zone signs with (default: the development key)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    clients = {CLIENT_KEY_ID: public_key(args.client_key)} if args.client_key else None
    server = make_server(args.host, args.port, client_keys=clients)
    logger.info("egov-simulator listening url=http://%s:%s", args.host, args.port)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
