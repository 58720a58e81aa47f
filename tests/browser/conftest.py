"""Browser tests run the real `onetrip up` on spare ports with its own var/ directory and drive
Debian's Chromium through Playwright (no downloaded browser)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@dataclass
class Stack:
    portal: str
    police: str
    sms: str
    courier: str
    log: Path


@contextmanager
def _onetrip_up(var: Path) -> Iterator[Stack]:
    """`onetrip up` on spare ports with its data in `var`, until the block ends."""
    ports = {name: _free_port() for name in ("portal", "police", "sms", "courier")}
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ONETRIP_", "DJANGO_SETTINGS_MODULE"))
    }
    env.update(
        ONETRIP_VAR_DIR=str(var),
        ONETRIP_PORTAL_PORT=str(ports["portal"]),
        ONETRIP_POLICE_PORT=str(ports["police"]),
        ONETRIP_SMS_PORT=str(ports["sms"]),
        ONETRIP_COURIER_PORT=str(ports["courier"]),
        ONETRIP_FERRY_POLL="0.3",
    )
    log = var / "up.log"
    onetrip = str(Path(sys.executable).with_name("onetrip"))
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [onetrip, "up"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    stack = Stack(
        portal=f"http://127.0.0.1:{ports['portal']}",
        police=f"http://127.0.0.1:{ports['police']}",
        sms=f"http://127.0.0.1:{ports['sms']}",
        courier=f"http://127.0.0.1:{ports['courier']}",
        log=log,
    )
    try:
        _wait_http(stack.portal + "/", 180)
        _wait_http(stack.police + "/login/", 60)
        _wait_http(stack.sms + "/", 60)
        yield stack
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with _onetrip_up(tmp_path_factory.mktemp("var")) as running:
        yield running


@pytest.fixture(scope="module")
def fresh_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of the module's own, for a test that needs the demo data as `make up` leaves
    them (the demo resident with no permit application yet), whatever ran before it."""
    with _onetrip_up(tmp_path_factory.mktemp("var")) as running:
        yield running


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is not installed (apt-get install -y chromium fonts-noto-cjk)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()
