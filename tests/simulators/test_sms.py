"""The SMS gateway simulator over real HTTP on loopback."""

import subprocess
import sys
import time

import httpx
import pytest

from onetrip.simulators.sms import SmsSimulator


def message(**overrides):
    body = {
        "to": "13800138000",
        "sign": "杭州公安",
        "template": "login_code",
        "text": "【杭州公安】您的登录验证码为123456，5分钟内有效。请勿泄露给他人。",
        "client_ref": "ref-1",
    }
    body.update(overrides)
    return body


@pytest.fixture
def sim(tmp_path):
    with SmsSimulator(store=tmp_path) as sim:
        yield sim


def test_send_is_accepted_and_recorded(sim):
    response = httpx.post(f"{sim.url}/v1/messages", json=message())
    assert response.status_code == 202
    sent_id = response.json()["id"]
    [recorded] = sim.messages()
    assert recorded["id"] == sent_id
    assert recorded["to"] == "13800138000"
    assert recorded["template"] == "login_code"
    assert "123456" in recorded["text"]


def test_same_client_ref_returns_same_id_and_records_once(sim):
    first = httpx.post(f"{sim.url}/v1/messages", json=message()).json()["id"]
    again = httpx.post(f"{sim.url}/v1/messages", json=message(text="changed")).json()["id"]
    other = httpx.post(f"{sim.url}/v1/messages", json=message(client_ref="ref-2")).json()["id"]
    assert first == again != other
    assert [m["client_ref"] for m in sim.messages()] == ["ref-2", "ref-1"]


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"[1, 2]",
        b"",
        b"\xff\xfe",
    ],
)
def test_bad_body_is_400(sim, content):
    response = httpx.post(
        f"{sim.url}/v1/messages", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert sim.messages() == []


@pytest.mark.parametrize("field", ["to", "sign", "template", "text", "client_ref"])
def test_missing_field_is_400(sim, field):
    body = message()
    del body[field]
    response = httpx.post(f"{sim.url}/v1/messages", json=body)
    assert response.status_code == 400
    assert field in response.json()["error"]


@pytest.mark.parametrize("to", ["12800138000", "1380013800", "+8613800138000", "abc"])
def test_malformed_number_is_400(sim, to):
    assert httpx.post(f"{sim.url}/v1/messages", json=message(to=to)).status_code == 400


def test_list_is_newest_first_and_filters_by_number(sim):
    httpx.post(f"{sim.url}/v1/messages", json=message(client_ref="a"))
    httpx.post(f"{sim.url}/v1/messages", json=message(client_ref="b", to="13900139000"))
    httpx.post(f"{sim.url}/v1/messages", json=message(client_ref="c"))
    listed = httpx.get(f"{sim.url}/v1/messages").json()
    assert [m["client_ref"] for m in listed] == ["c", "b", "a"]
    only = httpx.get(f"{sim.url}/v1/messages", params={"to": "13800138000"}).json()
    assert [m["client_ref"] for m in only] == ["c", "a"]


def test_inbox_page_lists_messages_and_refreshes(sim):
    httpx.post(f"{sim.url}/v1/messages", json=message(text="验证码 654321 <b>"))
    page = httpx.get(f"{sim.url}/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<meta http-equiv="refresh" content="3">' in page.text
    assert "短信网关模拟器" in page.text
    assert "13800138000" in page.text
    assert "验证码 654321 &lt;b&gt;" in page.text


def test_messages_survive_a_restart(tmp_path):
    with SmsSimulator(store=tmp_path) as sim:
        first = httpx.post(f"{sim.url}/v1/messages", json=message()).json()["id"]
    with SmsSimulator(store=tmp_path) as sim:
        assert [m["id"] for m in sim.messages()] == [first]
        again = httpx.post(f"{sim.url}/v1/messages", json=message()).json()["id"]
        assert again == first
        assert len(sim.messages()) == 1


def test_fail_next_fails_that_many_sends_then_recovers(sim):
    control = httpx.post(f"{sim.url}/_control/fail-next", json={"count": 2, "status": 503})
    assert control.status_code == 200
    assert httpx.post(f"{sim.url}/v1/messages", json=message()).status_code == 503
    assert httpx.post(f"{sim.url}/v1/messages", json=message()).status_code == 503
    assert httpx.post(f"{sim.url}/v1/messages", json=message()).status_code == 202
    assert len(sim.messages()) == 1


def test_fail_next_rejects_nonsense(sim):
    response = httpx.post(f"{sim.url}/_control/fail-next", json={"count": "x"})
    assert response.status_code == 400


def test_unknown_path_is_404(sim):
    assert httpx.get(f"{sim.url}/nope").status_code == 404
    assert httpx.post(f"{sim.url}/nope", json={}).status_code == 404


@pytest.mark.slow
def test_module_runs_as_a_command(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "onetrip.simulators.sms", "--port", str(port), "--store", tmp_path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                response = httpx.post(f"{url}/v1/messages", json=message())
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert response.status_code == 202
        assert (tmp_path / "messages.jsonl").read_text(encoding="utf-8").count("\n") == 1
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_a_burst_of_senders_connecting_at_once_is_accepted(sim):
    """50 connections opened before any is served are all answered. The listen backlog holds
    them all (socketserver's default of 5 left the kernel dropping the rest until the senders
    retried, seconds later, which a sender with a short timeout saw as a transport error)."""
    import socket

    from onetrip.simulators.sms import SmsServer

    assert SmsServer.request_queue_size >= 50

    host, port = sim.url.removeprefix("http://").split(":")
    body = (
        '{"to": "13800138000", "sign": "x", "template": "login_code", "text": "t", '
        '"client_ref": "%s"}'
    )
    sockets = []
    for n in range(50):
        s = socket.create_connection((host, int(port)), timeout=10)
        payload = (body % f"burst-{n}").encode()
        s.sendall(
            b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )
        sockets.append(s)
    answers = []
    for s in sockets:
        with s:
            answers.append(s.makefile("rb").readline())
    assert all(a.startswith(b"HTTP/1.0 202") or a.startswith(b"HTTP/1.1 202") for a in answers)
    assert len(sim.messages()) == 50
