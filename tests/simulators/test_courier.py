"""The courier simulator's own API over real HTTP on loopback: what it refuses, and its store."""

import json
import socket
import subprocess
import sys
import time

import httpx
import pytest

from onetrip.simulators.courier import CourierSimulator, sign

PARTY = {"name": "张三", "phone": "13800138000", "address": "杭州市北山路1号"}


def shipment(**overrides):
    body = {
        "client_ref": "ref-1",
        "recipient": PARTY,
        "sender": {**PARTY, "phone": "0571-87654321"},
        "item": "居住证",
        "callback_url": "http://127.0.0.1:9/cb",
    }
    body.update(overrides)
    return body


@pytest.fixture
def sim(tmp_path):
    with CourierSimulator(store=tmp_path, secret="s") as sim:
        yield sim


@pytest.mark.parametrize(
    "change",
    [
        {"client_ref": ""},
        {"recipient": {**PARTY, "phone": "12345"}},
        {"sender": "北山派出所"},
        {"callback_url": "file:///etc/passwd"},
        {"item": "x" * 33},
    ],
    ids=["client_ref", "recipient-phone", "sender", "callback-scheme", "item"],
)
def test_a_malformed_create_is_refused_with_400(sim, change):
    response = httpx.post(f"{sim.url}/v1/shipments", json=shipment(**change))
    assert response.status_code == 400 and "error" in response.json()
    assert sim.shipment_count() == 0


def test_controls_refuse_what_they_cannot_do(sim):
    tracking = httpx.post(f"{sim.url}/v1/shipments", json=shipment()).json()["tracking_number"]
    post = lambda what, body: httpx.post(f"{sim.url}/_control/{what}", json=body).status_code  # noqa: E731
    assert post("advance", {"tracking_number": "CN000000000000", "script": ["delivered"]}) == 404
    assert post("advance", {"tracking_number": tracking, "script": ["lost"]}) == 400
    assert post("advance", {"tracking_number": tracking, "script": []}) == 400
    assert post("fail-next", {"count": -1}) == 400
    assert post("callbacks", {"duplicate": "yes"}) == 400
    assert httpx.get(f"{sim.url}/v1/shipments/CN000000000000").status_code == 404
    assert httpx.post(f"{sim.url}/nowhere", json={}).status_code == 404


def test_the_store_survives_a_torn_last_line(tmp_path):
    with CourierSimulator(store=tmp_path, secret="s") as sim:
        httpx.post(f"{sim.url}/v1/shipments", json=shipment())
    with (tmp_path / "shipments.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"type": "shipm')
    with CourierSimulator(store=tmp_path, secret="s") as sim:
        assert sim.shipment_count() == 1


def test_signature_covers_the_timestamp_and_the_body():
    assert sign("s", b"{}", 1) != sign("s", b"{}", 2)
    assert sign("s", b"{}", 1) != sign("s", b"{ }", 1)
    assert sign("s", b"{}", 1).startswith("t=1,v1=")


@pytest.mark.slow
def test_runs_as_a_module(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "onetrip.simulators.courier", "--port", str(port)),
            *("--store", str(tmp_path), "--secret", "s"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                response = httpx.post(f"http://127.0.0.1:{port}/v1/shipments", json=shipment())
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert response.status_code == 201
        line = (tmp_path / "shipments.jsonl").read_text(encoding="utf-8").splitlines()[0]
        assert json.loads(line)["type"] == "shipment"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
