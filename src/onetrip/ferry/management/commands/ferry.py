"""`onetrip --zone <zone> ferry keygen|run|once|status` (DESIGN §3 "Operate")."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from onetrip.ferry.agent import run_forever, run_once
from onetrip.ferry.channels import CHANNELS, ZONES, sending_channel
from onetrip.ferry.signing import generate_key
from onetrip.ferry.status import format_status, zone_status


class Command(BaseCommand):
    help = "摆渡 ferry: keygen | run | once | status"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["keygen", "run", "once", "status"])
        parser.add_argument(
            "--zone-name",
            choices=ZONES,
            help="区域 zone to act for; required with the test settings, where both zones exist",
        )
        parser.add_argument(
            "--poll", type=float, default=None, help="空闲轮询秒数 idle poll seconds (run)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action: str = options["action"]
        zone_name: str | None = options["zone_name"]
        if action == "keygen":
            self._keygen(zone_name)
            return
        zone = self._zone(zone_name)
        if action == "run":
            run_forever(zone, poll=options["poll"])
        elif action == "once":
            report = run_once(zone)
            self.stdout.write(" ".join(f"{k}={v}" for k, v in vars(report).items()))
        else:
            self.stdout.write(format_status(zone_status(zone)))

    def _zone(self, zone_name: str | None) -> str:
        configured = str(getattr(settings, "ZONE", ""))
        if configured in ZONES:
            if zone_name and zone_name != configured:
                raise CommandError(
                    f"本进程属于 {configured} 区域 this process is configured for zone {configured}"
                )
            return configured
        if not zone_name:
            raise CommandError("请用 --zone-name portal|police 指明区域 (choose with --zone-name)")
        return zone_name

    def _keygen(self, zone_name: str | None) -> None:
        """A zone creates only its own sending key; the test settings create both (or one)."""
        configured = str(getattr(settings, "ZONE", ""))
        if configured in ZONES or zone_name:
            channels = [sending_channel(self._zone(zone_name))]
        else:
            channels = list(CHANNELS)
        for channel in channels:
            key_id, created = generate_key(channel)
            state = "已创建 created" if created else "已存在 exists"
            self.stdout.write(f"{channel}: key_id={key_id} {state}")
