"""Fault injection (DESIGN §3): SIGKILLed agents and a hostile gateway; every message exactly once.

    ONETRIP_FAULT_MESSAGES=2000   pings portal→police per run (each answered by a pong)
    ONETRIP_FAULT_SEEDS=1,2,3     one run per seed and transport (default: one seed, 1)
    ONETRIP_TEST_FERRY_TRANSPORT=amqp   also run over RabbitMQ (kills only), if reachable

`test_sealed_batches_exactly_once_under_faults` repeats the `dir` run with batch bodies sealed to
the receiver (FERRY_ENCRYPT).

A failing run names its seed and the command that repeats it. See harness.py for what a run does
and checks, gateway.py for the faults.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from .harness import FaultConfig, FaultRun, env_int, env_seeds

SEEDS = env_seeds()
MESSAGES = env_int("ONETRIP_FAULT_MESSAGES", 2000)
AMQP_HOST, AMQP_PORT = "127.0.0.1", 5672


def _amqp_unavailable() -> str:
    """Why the amqp runs cannot happen here, or "" if they can."""
    if os.environ.get("ONETRIP_TEST_FERRY_TRANSPORT", "dir") != "amqp":
        return "amqp fault runs need ONETRIP_TEST_FERRY_TRANSPORT=amqp"
    if importlib.util.find_spec("onetrip.ferry.transports.amqp") is None or not hasattr(
        settings, "FERRY_AMQP_URL"
    ):
        return "the amqp ferry transport is not available yet"
    try:
        with socket.create_connection((AMQP_HOST, AMQP_PORT), timeout=2):
            pass
    except OSError as exc:
        return f"RabbitMQ unreachable at {AMQP_HOST}:{AMQP_PORT} ({exc})"
    return ""


def _delete_queues(url: str, prefix: str) -> None:
    import pika

    from onetrip.ferry.protocol.channels import CHANNELS

    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        for ferry_channel in CHANNELS:
            for kind in ("batches", "acks", "quarantine"):
                channel.queue_delete(f"{prefix}.{ferry_channel}.{kind}")
    finally:
        connection.close()


@pytest.mark.slow
@pytest.mark.django_db(databases=["default", "police"], transaction=True)
@pytest.mark.parametrize("transport", ["dir", "amqp"])
@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s}" for s in SEEDS])
def test_every_message_exactly_once_under_faults(
    seed: int, transport: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = FaultConfig(seed=seed, transport=transport, messages=MESSAGES)
    if transport == "amqp":
        reason = _amqp_unavailable()
        if reason:
            pytest.skip(reason)
        config.amqp_url = str(settings.FERRY_AMQP_URL)
        config.amqp_prefix = f"onetrip-faults-{seed}-{uuid.uuid4().hex[:8]}"
    try:
        figures = FaultRun(config, tmp_path).run()
    finally:
        if transport == "amqp":
            with contextlib.suppress(Exception):  # never hide the run's own failure
                _delete_queues(config.amqp_url, config.amqp_prefix)
    with capsys.disabled():
        print(f"\nfault run seed={seed} transport={transport} messages={MESSAGES}: {figures}")


@pytest.mark.slow
@pytest.mark.django_db(databases=["default", "police"], transaction=True)
@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s}-dir" for s in SEEDS])
def test_sealed_batches_exactly_once_under_faults(
    seed: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same run with FERRY_ENCRYPT: flipped or cut ciphertext is quarantined like any other
    tampering, and resends of sealed batches still apply exactly once."""
    config = FaultConfig(seed=seed, transport="dir", messages=MESSAGES, encrypt=True)
    figures = FaultRun(config, tmp_path).run()
    with capsys.disabled():
        print(f"\nsealed fault run seed={seed} transport=dir messages={MESSAGES}: {figures}")
