"""DESIGN §2 invariant 4 under the harshest crash: a real agent process killed with SIGKILL in
the middle of a transfer, restarted, and every message applied exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connections

from onetrip.ferry.agent.loop import run_once
from onetrip.ferry.protocol.channels import PORTAL_TO_POLICE
from onetrip.police.ferrybox import models as police_box
from onetrip.portal.ferrybox import models as portal_box

from ..helpers import FerryEnv, pump
from ..pingpong import send_pings

REPO = Path(__file__).resolve().parents[3]
MESSAGES = 3000
BATCH = 50


def database_url(alias: str) -> str:
    """A URL for the test database behind `alias`, for a child process's dj_database_url."""
    conf = connections[alias].settings_dict
    if conf["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(conf['NAME']).resolve()}"
    user = quote(conf.get("USER") or "")
    password = f":{quote(conf['PASSWORD'])}" if conf.get("PASSWORD") else ""
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{conf['NAME']}"


def start_agent(zone: str, ferry_env: FerryEnv, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "onetrip.settings.test",
        "ONETRIP_PORTAL_DATABASE_URL": database_url("default"),
        "ONETRIP_POLICE_DATABASE_URL": database_url("police"),
        "ONETRIP_FERRY_DIR": str(ferry_env.root),
        "ONETRIP_FERRY_KEYS_DIR": str(ferry_env.keys),
        "ONETRIP_FERRY_POLL": "0.05",
        "ONETRIP_FERRY_BATCH_MAX": str(BATCH),
        "ONETRIP_FERRY_RESEND_AFTER": "3600",
        "ONETRIP_LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.ferry.agent_process", zone],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(condition, timeout: float, what: str, proc: subprocess.Popen[bytes], log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            pytest.fail(f"agent exited ({proc.returncode}) waiting for {what}:\n{log.read_text()}")
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


@pytest.mark.slow
@pytest.mark.django_db(databases=["default", "police"], transaction=True)
def test_sigkilled_agent_applies_every_message_exactly_once(
    ferry_env: FerryEnv, settings, tmp_path: Path
) -> None:
    settings.FERRY_BATCH_MAX_MESSAGES = BATCH
    ping_ids = send_pings("portal", MESSAGES)
    run_once("portal")
    assert len(ferry_env.batches(PORTAL_TO_POLICE)) == MESSAGES // BATCH
    log = tmp_path / "agent.log"

    def applied() -> int:
        return police_box.InboxMessage.objects.count()

    # Kill it twice, at increasing progress, while it is applying and exporting.
    for target in (MESSAGES // 5, MESSAGES // 2):
        proc = start_agent("police", ferry_env, log)
        wait_for(lambda t=target: applied() >= t, 25, f"{target} applied", proc, log)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
        assert applied() < MESSAGES, "the agent finished before it could be killed"

    proc = start_agent("police", ferry_env, log)

    def drained() -> bool:
        return (
            applied() == MESSAGES
            and not police_box.OutboxMessage.objects.filter(sequence__isnull=True).exists()
            and not police_box.SentBatch.objects.filter(exported_at__isnull=True).exists()
        )

    wait_for(drained, 25, "all messages applied and answered", proc, log)
    proc.send_signal(signal.SIGTERM)  # graceful stop
    assert proc.wait(timeout=15) == 0

    inbox = list(police_box.InboxMessage.objects.order_by("sequence"))
    assert [str(m.message_id) for m in inbox] == ping_ids
    assert [m.sequence for m in inbox] == list(range(1, MESSAGES + 1))
    assert {m.status for m in inbox} == {"applied"}
    pongs = list(
        police_box.OutboxMessage.objects.filter(message_type="test.pong").values_list(
            "aggregate_id", flat=True
        )
    )
    assert len(pongs) == MESSAGES and sorted(pongs) == sorted(ping_ids)  # effects exactly once
    state = police_box.ChannelState.objects.get(channel=PORTAL_TO_POLICE)
    assert state.last_seq == MESSAGES
    assert police_box.QuarantinedBatch.objects.count() == 0
    assert ferry_env.batches(PORTAL_TO_POLICE) == []

    pump(times=50)
    assert not portal_box.SentBatch.objects.filter(acked_at__isnull=True).exists()
    assert portal_box.InboxMessage.objects.filter(message_type="test.pong").count() == MESSAGES
