"""Reusable ferry fixtures for any test that moves messages between the zones.

Use from another test package::

    from tests.ferry.helpers import ferry_env, pump  # noqa: F401  (ferry_env is a fixture)

    @pytest.mark.django_db(databases=["default", "police"], transaction=True)
    def test_something(ferry_env):
        ...  # emit in one zone inside its transaction
        pump()  # until both agents are idle
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from onetrip.ferry.agent import AgentReport, run_once
from onetrip.ferry.channels import CHANNELS
from onetrip.ferry.signing import generate_key

from . import pingpong  # noqa: F401  (registers the test contracts and handlers)


@dataclass
class FerryEnv:
    """Where the ferry of this test keeps its files."""

    root: Path
    keys: Path

    def batches(self, channel: str) -> list[Path]:
        return sorted((self.root / channel / "batches").glob("*.jsonl"))

    def acks(self, channel: str) -> list[Path]:
        return sorted((self.root / channel / "acks").glob("*.json"))

    def quarantined(self, channel: str) -> list[Path]:
        return sorted((self.root / channel / "quarantine").glob("*"))

    def deliver(self, channel: str, name: str, body: bytes) -> Path:
        """Drop a batch file where the receiver of `channel` looks, as a gateway would."""
        directory = self.root / channel / "batches"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(body)
        return directory / name


@pytest.fixture
def ferry_env(tmp_path: Path, settings: Any) -> FerryEnv:
    """Point FERRY_DIR/FERRY_KEYS_DIR at tmp_path, use the dir transport, create both keys.

    Resends are off by default (a long timeout); set settings.FERRY_RESEND_AFTER_SECONDS = 0
    in a test to make every pass resend what is unacked."""
    root, keys = tmp_path / "ferry", tmp_path / "keys"
    settings.FERRY_DIR = root
    settings.FERRY_KEYS_DIR = keys
    settings.FERRY_TRANSPORT = "dir"
    settings.FERRY_RESEND_AFTER_SECONDS = 3600
    for channel in CHANNELS:
        generate_key(channel, keys)
    return FerryEnv(root=root, keys=keys)


def pump(times: int = 20) -> list[AgentReport]:
    """Run portal then police passes until a round in which neither moved anything.

    Fails if the ferry is still busy after `times` rounds (a livelock is a bug)."""
    reports: list[AgentReport] = []
    for _ in range(times):
        round_reports = [run_once("portal"), run_once("police")]
        reports.extend(round_reports)
        if not any(r.busy for r in round_reports):
            return reports
    raise AssertionError(f"ferry still busy after {times} rounds: {reports[-2:]}")
