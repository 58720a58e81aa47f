"""The police zone's courier adapter against the courier simulator, over real HTTP on loopback:
creating shipments through failures and timeouts, and verifying the status callbacks the
courier sends to a receiver of our own."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from onetrip.police.courier import (
    SIGNATURE_HEADER,
    CallbackRefused,
    CourierEvent,
    CourierRejected,
    CourierUnavailable,
    HttpCourierClient,
    Party,
    get_courier,
)
from onetrip.police.courier.callbacks import signature_for, verify_callback
from onetrip.simulators.courier import CourierSimulator

SECRET = "test-courier-secret"
RECIPIENT = Party(name="张三", phone="13800138000", address="浙江省杭州市北山街道北山路1号")
SENDER = Party(name="北山派出所", phone="0571-87654321", address="杭州市北山路100号")


class Receiver:
    """A tiny HTTP endpoint that keeps each callback's headers and raw body, as they came."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._cond:
                    receiver.received.append((dict(self.headers.items()), body))
                    receiver._cond.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/courier/callbacks"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[dict[str, str], bytes]]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.received) >= count, timeout=timeout), (
                f"{len(self.received)} callbacks arrived, {count} expected"
            )
            return list(self.received)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def sim(tmp_path):
    with CourierSimulator(store=tmp_path / "courier", secret=SECRET) as sim:
        yield sim


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def courier(sim, sleeps):
    client = HttpCourierClient(
        sim.url, secret=SECRET, timeout=1.0, backoff=0.01, sleep=sleeps.append
    )
    yield client
    client.close()


def create(courier, receiver, client_ref: str = "card-0001"):
    return courier.create_shipment(
        client_ref=client_ref, recipient=RECIPIENT, sender=SENDER, callback_url=receiver.url
    )


def control(sim, what: str, **body) -> httpx.Response:
    response = httpx.post(f"{sim.url}/_control/{what}", json=body)
    assert response.status_code in (200, 202), response.text
    return response


def advance(sim, tracking_number: str, *script: str, delay: float = 0.0) -> list[str]:
    answer = control(
        sim, "advance", tracking_number=tracking_number, script=list(script), delay=delay
    )
    return answer.json()["event_ids"]


def verified(courier, received) -> list[CourierEvent]:
    return [courier.verify_callback(headers, body) for headers, body in received]


# --- creating shipments -------------------------------------------------------------------------


def test_create_books_a_shipment_and_the_same_client_ref_again_books_nothing_new(
    sim, courier, receiver
):
    first = create(courier, receiver)
    again = create(courier, receiver)
    assert first.tracking_number == again.tracking_number
    assert first.tracking_number.startswith("CN") and len(first.tracking_number) == 14
    assert (first.client_ref, first.status) == ("card-0001", "created")
    assert sim.shipment_count() == 1
    assert create(courier, receiver, "card-0002").tracking_number != first.tracking_number
    assert sim.shipment_count() == 2


def test_create_retries_two_503s_with_backoff_and_books_one_shipment(
    sim, courier, receiver, sleeps
):
    control(sim, "fail-next", count=2, status=503)
    shipment = create(courier, receiver)
    assert sim.shipment(shipment.tracking_number)["status"] == "created"
    assert sim.shipment_count() == 1
    assert sleeps == [0.01, 0.02]  # doubling backoff between the three attempts


def test_create_that_keeps_failing_is_unavailable_and_retryable(sim, courier, receiver, sleeps):
    control(sim, "fail-next", count=5, status=503)
    with pytest.raises(CourierUnavailable) as caught:
        create(courier, receiver)
    assert caught.value.retryable and caught.value.code == "courier.unavailable"
    assert caught.value.status == 503
    assert "快递" in caught.value.message_zh
    assert len(sleeps) == 2 and sim.shipment_count() == 0


def test_create_refused_with_4xx_is_not_retried(sim, courier, receiver, sleeps):
    control(sim, "fail-next", count=1, status=400)
    with pytest.raises(CourierRejected) as caught:
        create(courier, receiver)
    assert not caught.value.retryable and caught.value.code == "courier.rejected"
    assert sleeps == [] and sim.shipment_count() == 0


def test_a_timed_out_create_is_retried_and_the_lost_answer_books_no_second_shipment(sim, receiver):
    courier = HttpCourierClient(sim.url, secret=SECRET, timeout=0.3, backoff=0.01)
    # The courier books the shipment but answers too late for us.
    control(sim, "fail-next", count=1, status=201, delay=0.8)
    shipment = create(courier, receiver)
    time.sleep(0.6)  # the slow first request finishes booking
    assert sim.shipment_count() == 1
    assert create(courier, receiver).tracking_number == shipment.tracking_number
    courier.close()


def test_timeouts_on_every_attempt_raise_unavailable(sim, receiver):
    courier = HttpCourierClient(sim.url, secret=SECRET, timeout=0.2, attempts=2, backoff=0.01)
    control(sim, "fail-next", count=2, status=503, delay=0.6)
    with pytest.raises(CourierUnavailable) as caught:
        create(courier, receiver)
    assert "timeout" in caught.value.message_en
    courier.close()


def test_a_courier_that_is_not_listening_is_unavailable(receiver, sleeps):
    courier = HttpCourierClient(
        "http://127.0.0.1:9", secret=SECRET, backoff=0.01, sleep=sleeps.append
    )
    with pytest.raises(CourierUnavailable):
        create(courier, receiver)
    assert len(sleeps) == 2


def test_a_restarted_courier_keeps_its_shipments(tmp_path, receiver):
    with CourierSimulator(store=tmp_path / "c", secret=SECRET) as sim:
        courier = HttpCourierClient(sim.url, secret=SECRET)
        shipment = create(courier, receiver)
        advance(sim, shipment.tracking_number, "picked_up")
        receiver.wait_for(1)
        courier.close()
    with CourierSimulator(store=tmp_path / "c", secret=SECRET) as sim:
        courier = HttpCourierClient(sim.url, secret=SECRET)
        assert create(courier, receiver).tracking_number == shipment.tracking_number
        shown = httpx.get(f"{sim.url}/v1/shipments/{shipment.tracking_number}").json()
        assert shown["status"] == "picked_up" and len(shown["events"]) == 1
        courier.close()


# --- status callbacks ---------------------------------------------------------------------------


def test_a_normal_delivery_calls_back_each_status_in_order_signed(sim, courier, receiver):
    shipment = create(courier, receiver)
    script = ("picked_up", "in_transit", "out_for_delivery", "delivered")
    ids = advance(sim, shipment.tracking_number, *script, delay=0.02)
    received = receiver.wait_for(4)
    events = verified(courier, received)
    assert [e.status for e in events] == list(script)
    assert [e.event_id for e in events] == ids
    assert {e.tracking_number for e in events} == {shipment.tracking_number}
    assert events[-1].is_final and not events[0].is_final
    assert events[0].detail == "快递员已揽收"
    assert all(e.at.tzinfo is not None for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    shown = httpx.get(f"{sim.url}/v1/shipments/{shipment.tracking_number}").json()
    assert shown["status"] == "delivered"
    assert [e["event_id"] for e in shown["events"]] == ids
    assert "recipient" not in shown  # the courier's API shows no personal data back


def test_a_failed_attempt_then_delivery(sim, courier, receiver):
    shipment = create(courier, receiver)
    advance(sim, shipment.tracking_number, "picked_up", "out_for_delivery", "failed_attempt")
    advance(sim, shipment.tracking_number, "out_for_delivery", "delivered")
    sim.wait_idle()
    events = verified(courier, receiver.wait_for(5))
    assert [e.status for e in events] == [
        "picked_up",
        "out_for_delivery",
        "failed_attempt",
        "out_for_delivery",
        "delivered",
    ]
    assert not events[2].is_final and events[4].is_final


def test_a_returned_shipment(sim, courier, receiver):
    shipment = create(courier, receiver)
    advance(
        sim,
        shipment.tracking_number,
        "picked_up",
        "failed_attempt",
        "failed_attempt",
        "returned_to_sender",
    )
    events = verified(courier, receiver.wait_for(4))
    assert events[-1].status == "returned_to_sender" and events[-1].is_final


def test_duplicated_callbacks_arrive_twice_with_the_same_event_id(sim, courier, receiver):
    shipment = create(courier, receiver)
    control(sim, "callbacks", duplicate=True)
    ids = advance(sim, shipment.tracking_number, "picked_up", "in_transit", "delivered")
    sim.wait_idle()
    events = verified(courier, receiver.wait_for(6))
    assert len(events) == 6
    assert sorted(e.event_id for e in events) == sorted(ids * 2)
    assert len({e.event_id for e in events}) == 3  # the event id tells a duplicate apart
    # The plan was for one advance only.
    advance(sim, shipment.tracking_number, "delivered")
    sim.wait_idle()
    assert len(receiver.wait_for(7)) == 7


def test_reordered_callbacks_arrive_newest_first_and_their_times_tell_the_order(
    sim, courier, receiver
):
    shipment = create(courier, receiver)
    control(sim, "callbacks", reorder=True)
    script = ["picked_up", "in_transit", "out_for_delivery", "delivered"]
    ids = advance(sim, shipment.tracking_number, *script)
    sim.wait_idle()
    events = verified(courier, receiver.wait_for(4))
    assert [e.status for e in events] == list(reversed(script))
    assert [e.event_id for e in sorted(events, key=lambda e: e.at)] == ids


def test_duplicated_and_reordered_together(sim, courier, receiver):
    shipment = create(courier, receiver)
    control(sim, "callbacks", duplicate=True, reorder=True)
    advance(sim, shipment.tracking_number, "picked_up", "delivered")
    sim.wait_idle()
    events = verified(courier, receiver.wait_for(4))
    assert [e.status for e in events] == ["delivered", "delivered", "picked_up", "picked_up"]


# --- refused callbacks --------------------------------------------------------------------------


def _one_real_callback(sim, courier, receiver) -> tuple[dict[str, str], bytes]:
    shipment = create(courier, receiver)
    advance(sim, shipment.tracking_number, "picked_up")
    [received] = receiver.wait_for(1)
    return received


def test_a_tampered_body_is_refused(sim, courier, receiver):
    headers, body = _one_real_callback(sim, courier, receiver)
    forged = body.replace(b"picked_up", b"delivered")
    with pytest.raises(CallbackRefused) as caught:
        courier.verify_callback(headers, forged)
    assert caught.value.code == "courier.callback_signature" and caught.value.status == 401
    assert caught.value.message_zh.startswith("快递回调签名无效")


def test_a_callback_signed_with_another_secret_is_refused(sim, courier, receiver):
    _headers, body = _one_real_callback(sim, courier, receiver)
    t = int(time.time())
    forged = {SIGNATURE_HEADER: f"t={t},v1={signature_for('guessed', body, t)}"}
    with pytest.raises(CallbackRefused, match="签名"):
        courier.verify_callback(forged, body)


def test_a_missing_signature_or_secret_is_refused(sim, courier, receiver):
    headers, body = _one_real_callback(sim, courier, receiver)
    with pytest.raises(CallbackRefused):
        courier.verify_callback({}, body)
    unconfigured = HttpCourierClient(sim.url, secret="")
    with pytest.raises(CallbackRefused) as caught:
        unconfigured.verify_callback(headers, body)
    assert "no courier secret" in caught.value.message_en


def test_a_callback_older_or_newer_than_five_minutes_is_refused(sim, receiver):
    courier = HttpCourierClient(sim.url, secret=SECRET)
    headers, body = _one_real_callback(sim, courier, receiver)
    late = HttpCourierClient(sim.url, secret=SECRET, clock=lambda: time.time() + 301)
    early = HttpCourierClient(sim.url, secret=SECRET, clock=lambda: time.time() - 301)
    for client in (late, early):
        with pytest.raises(CallbackRefused) as caught:
            client.verify_callback(headers, body)
        assert caught.value.code == "courier.callback_expired"
    in_time = HttpCourierClient(sim.url, secret=SECRET, clock=lambda: time.time() + 250)
    assert in_time.verify_callback(headers, body).status == "picked_up"
    courier.close()


def _signed(body: bytes) -> dict[str, str]:
    t = int(time.time())
    return {SIGNATURE_HEADER.lower(): f"t={t},v1={signature_for(SECRET, body, t)}"}


EVENT = {
    "tracking_number": "CN123456789012",
    "event_id": "ev-1",
    "status": "delivered",
    "at": "2026-01-05T08:00:00+00:00",
    "detail": "已签收",
}


@pytest.mark.parametrize(
    "change",
    [
        {"status": "lost"},
        {"tracking_number": "SF123"},
        {"event_id": "x" * 65},
        {"at": "2026-01-05T08:00:00"},
        {"at": "yesterday"},
        {"detail": "签收\x00"},
        {"detail": 5},
        {"extra": [[[[{"deep": 1}]]]]},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_signed_but_malformed_callback_is_refused(change):
    body = json.dumps({**EVENT, **change}).encode()
    with pytest.raises(CallbackRefused) as caught:
        verify_callback(secret=SECRET, headers=_signed(body), body=body)
    assert caught.value.code == "courier.callback_invalid" and caught.value.status == 400


@pytest.mark.parametrize(
    "body",
    [b"x" * (16 * 1024 + 1), b"[" * 5000, b"\xff\xfe", b"[]", b'"CN123456789012"'],
    ids=["too-large", "too-deep", "not-utf8", "not-an-object", "a-string"],
)
def test_a_signed_body_that_is_not_an_event_is_refused(body):
    with pytest.raises(CallbackRefused):
        verify_callback(secret=SECRET, headers=_signed(body), body=body)


def test_a_well_formed_signed_event_is_accepted():
    body = json.dumps(EVENT, ensure_ascii=False).encode()
    event = verify_callback(secret=SECRET, headers=_signed(body), body=body)
    assert (event.tracking_number, event.status, event.detail) == (
        "CN123456789012",
        "delivered",
        "已签收",
    )


# --- arbitrary input ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
events = st.fixed_dictionaries(
    {},
    optional={
        "tracking_number": st.one_of(st.just("CN123456789012"), st.text(max_size=16)),
        "event_id": st.one_of(st.just("ev-1"), st.text(max_size=70)),
        "status": st.one_of(st.sampled_from(["delivered", "picked_up"]), st.text(max_size=12)),
        "at": st.one_of(st.just("2026-01-05T08:00:00+08:00"), st.text(max_size=40)),
        "detail": st.one_of(st.text(max_size=40), json_values),
        "extra": json_values,
    },
)
header_values = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda t, v: f"t={t},v1={v}",
        st.one_of(st.integers(), st.text(max_size=15)),
        st.one_of(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64), st.text()),
    ),
)
header_maps = st.dictionaries(
    st.one_of(st.sampled_from([SIGNATURE_HEADER, SIGNATURE_HEADER.lower()]), st.text(max_size=20)),
    header_values,
    max_size=4,
)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=2048), headers=header_maps)
def test_verify_callback_raises_only_its_own_error_on_arbitrary_input(body, headers):
    with contextlib.suppress(CallbackRefused):
        verify_callback(secret=SECRET, headers=headers, body=body)


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    body=st.one_of(st.binary(max_size=2048), events.map(lambda e: json.dumps(e).encode())),
    skew=st.integers(min_value=-1000, max_value=1000),
)
def test_a_validly_signed_arbitrary_body_is_an_event_or_refused_with_its_own_error(body, skew):
    t = int(time.time()) + skew
    headers = {SIGNATURE_HEADER: f"t={t},v1={signature_for(SECRET, body, t)}"}
    try:
        event = verify_callback(secret=SECRET, headers=headers, body=body)
    except CallbackRefused:
        return
    assert abs(skew) <= 300
    assert isinstance(event, CourierEvent) and event.at.tzinfo is not None


# --- configuration ------------------------------------------------------------------------------


def test_get_courier_reads_its_settings_with_defaults(settings):
    default = get_courier()
    assert default.base_url == "http://127.0.0.1:8026" and default.secret == ""  # type: ignore[attr-defined]
    settings.ONETRIP_COURIER_URL = "http://127.0.0.1:9999/"
    settings.ONETRIP_COURIER_SECRET = "s"
    settings.ONETRIP_COURIER_TIMEOUT = 2
    configured = get_courier()
    assert configured.base_url == "http://127.0.0.1:9999"  # type: ignore[attr-defined]
    assert configured.timeout.read == 2.0  # type: ignore[attr-defined]
    assert get_courier() is configured
