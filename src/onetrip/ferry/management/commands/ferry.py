"""`onetrip --zone <zone> ferry keygen|run|once|status|rotate|retire|alarms|prune-events`
(DESIGN §3 "Operate").

keygen              create the zone's signing key if missing (and, with FERRY_ENCRYPT or
                    --encryption, its decryption key for the channel it receives on)
rotate [--stage]    stage the next signing key (trusted at once; copy its .pub to the peer), or
                    make the staged (or a fresh) key current; --key-id picks a staged key
rotate --encryption [--stage]
                    the same for the X25519 decryption key of the channel the zone receives on:
                    previous keys keep decrypting; copy the new .x25519.pub to the sender
retire --key-id ID  stop trusting a previous key (batches signed with it are then quarantined)
retire --encryption --key-id ID
                    stop decrypting with a previous X25519 key and delete its private key
                    (batches sealed to it are then quarantined)
alarms [--clear ID --reason TEXT [--actor NAME]]
                    list the open alarms, or clear one after investigation; the reason and the
                    actor (default: the login name) go into the zone's ferry events
prune-events [--older-than-days N]
                    delete the zone's audit rows (FerryEvent) older than N days, default
                    FERRY_EVENT_RETENTION_DAYS; meant for a daily timer
"""

from __future__ import annotations

import datetime as dt
import getpass
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from onetrip.common.errors import ApplicationError
from onetrip.ferry.agent import events
from onetrip.ferry.agent.alarms import open_alarms
from onetrip.ferry.agent.loop import run_forever, run_once
from onetrip.ferry.operations.actions import alarm_clear
from onetrip.ferry.operations.status import format_status, zone_status
from onetrip.ferry.protocol.channels import CHANNELS, ZONES, receiving_channel, sending_channel
from onetrip.ferry.protocol.sealing import (
    generate_encryption_key,
    retire_encryption_key,
    rotate_encryption_key,
    stage_encryption_key,
)
from onetrip.ferry.protocol.signing import (
    FerryKeyError,
    generate_key,
    retire_key,
    rotate_key,
    stage_key,
)

ACTIONS = ["keygen", "run", "once", "status", "rotate", "retire", "alarms", "prune-events"]


class Command(BaseCommand):
    help = "摆渡 ferry: " + " | ".join(ACTIONS)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument(
            "--zone-name",
            choices=ZONES,
            help="区域 zone to act for; required with the test settings, where both zones exist",
        )
        parser.add_argument(
            "--poll", type=float, default=None, help="空闲轮询秒数 idle poll seconds (run)"
        )
        parser.add_argument("--key-id", default=None, help="密钥编号 key id (rotate, retire)")
        parser.add_argument(
            "--stage",
            action="store_true",
            help="只生成下一把密钥 only create the next key, trusted but not yet used (rotate)",
        )
        parser.add_argument(
            "--encryption",
            action="store_true",
            help=(
                "加密密钥 X25519 decryption key: also create it (keygen); rotate or retire it "
                "instead of the signing key (rotate, retire)"
            ),
        )
        parser.add_argument(
            "--clear", type=int, default=None, help="解除告警 clear the alarm with this id (alarms)"
        )
        parser.add_argument(
            "--reason", default="", help="原因 why the alarm is cleared, required (alarms --clear)"
        )
        parser.add_argument(
            "--actor",
            default=None,
            help="操作人 who clears it; default the login name (alarms --clear)",
        )
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=None,
            help=(
                "保留天数 delete audit events older than this many days, at least 1; default "
                "FERRY_EVENT_RETENTION_DAYS (prune-events)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action: str = options["action"]
        zone_name: str | None = options["zone_name"]
        try:
            if action == "keygen":
                self._keygen(zone_name, bool(options["encryption"]))
                return
            if action == "retire":
                if options["encryption"]:
                    self._retire_encryption(zone_name, options["key_id"])
                else:
                    self._retire(zone_name, options["key_id"])
                return
            zone = self._zone(zone_name)
            if action == "run":
                run_forever(zone, poll=options["poll"])
            elif action == "once":
                report = run_once(zone)
                self.stdout.write(" ".join(f"{k}={v}" for k, v in vars(report).items()))
            elif action == "rotate" and options["encryption"]:
                self._rotate_encryption(zone, options["key_id"], bool(options["stage"]))
            elif action == "rotate":
                self._rotate(zone, options["key_id"], bool(options["stage"]))
            elif action == "prune-events":
                self._prune_events(zone, options["older_than_days"])
            elif action == "alarms":
                self._alarms(zone, options["clear"], options["reason"], options["actor"])
            else:
                self.stdout.write(format_status(zone_status(zone)))
        except FerryKeyError as exc:
            raise CommandError(str(exc)) from None
        except ApplicationError as exc:
            raise CommandError(f"{exc.message_zh} ({exc.message_en})") from None

    def _configured_zone(self) -> str:
        configured = str(settings.ZONE)
        return configured if configured in ZONES else ""

    def _zone(self, zone_name: str | None) -> str:
        configured = self._configured_zone()
        if configured:
            if zone_name and zone_name != configured:
                raise CommandError(
                    f"本进程属于 {configured} 区域 this process is configured for zone {configured}"
                )
            return configured
        if not zone_name:
            raise CommandError("请用 --zone-name portal|police 指明区域 (choose with --zone-name)")
        return zone_name

    def _keygen(self, zone_name: str | None, encryption: bool) -> None:
        """A zone creates only its own keys: the signing key of the channel it sends on and the
        decryption key of the channel it receives on. The test settings create both (or one)."""
        if self._configured_zone() or zone_name:
            zone = self._zone(zone_name)
            signing, receiving = [sending_channel(zone)], [receiving_channel(zone)]
        else:
            signing, receiving = list(CHANNELS), list(CHANNELS)
        for channel in signing:
            key_id, created = generate_key(channel)
            state = "已创建 created" if created else "已存在 exists"
            self.stdout.write(f"{channel}: key_id={key_id} {state}")
        if encryption or settings.FERRY_ENCRYPT:
            for channel in receiving:
                key_id, created = generate_encryption_key(channel)
                state = "已创建 created" if created else "已存在 exists"
                self.stdout.write(f"{channel}: x25519 key_id={key_id} {state}")

    def _rotate(self, zone: str, key_id: str | None, stage: bool) -> None:
        channel = sending_channel(zone)
        if stage:
            new_id = stage_key(channel)
            self.stdout.write(
                f"{channel}: 已生成下一把密钥 staged key_id={new_id}; "
                f"copy {channel}/{new_id}.pub to the receiving zone's keys dir, then rotate"
            )
            events.record_event(zone, events.KEY_CHANGED, channel, detail=f"staged {new_id}")
            return
        old_id, new_id = rotate_key(channel, key_id=key_id)
        self.stdout.write(
            f"{channel}: 已轮换 rotated {old_id} -> {new_id}; "
            f"{old_id} stays trusted until `ferry retire --key-id {old_id}`"
        )
        events.record_event(zone, events.KEY_CHANGED, channel, detail=f"rotated {old_id}>{new_id}")

    def _retire(self, zone_name: str | None, key_id: str | None) -> None:
        if not key_id:
            raise CommandError("请用 --key-id 指明要停用的密钥 (choose the key with --key-id)")
        channels = retire_key(key_id)
        if not channels:
            raise CommandError(f"未找到可停用的密钥 no trusted key {key_id} to retire")
        zone = self._configured_zone() or zone_name or ""
        for channel in channels:
            self.stdout.write(f"{channel}: 已停用 retired {key_id}")
            if zone:
                events.record_event(zone, events.KEY_CHANGED, channel, detail=f"retired {key_id}")

    def _rotate_encryption(self, zone: str, key_id: str | None, stage: bool) -> None:
        """The receiving zone rotates the key batches are sealed to; the sender follows when the
        new public key reaches it, and the old key keeps decrypting meanwhile."""
        channel = receiving_channel(zone)
        if stage:
            new_id = stage_encryption_key(channel)
            self.stdout.write(
                f"{channel}: 已生成下一把加密密钥 staged x25519 key_id={new_id}; it decrypts "
                "already; `ferry rotate --encryption` makes it current"
            )
            events.record_event(zone, events.KEY_CHANGED, channel, detail=f"x25519 staged {new_id}")
            return
        old_id, new_id = rotate_encryption_key(channel, key_id=key_id)
        self.stdout.write(
            f"{channel}: 已轮换加密密钥 rotated x25519 {old_id} -> {new_id}; "
            f"copy {channel}.x25519.pub to the sending zone's keys dir; {old_id} keeps "
            f"decrypting until `ferry retire --encryption --key-id {old_id}`"
        )
        events.record_event(
            zone, events.KEY_CHANGED, channel, detail=f"x25519 rotated {old_id}>{new_id}"
        )

    def _retire_encryption(self, zone_name: str | None, key_id: str | None) -> None:
        if not key_id:
            raise CommandError("请用 --key-id 指明要停用的密钥 (choose the key with --key-id)")
        channels = retire_encryption_key(key_id)
        if not channels:
            raise CommandError(
                f"未找到可停用的加密密钥 no previous or staged x25519 key {key_id} to retire"
            )
        zone = self._configured_zone() or zone_name or ""
        for channel in channels:
            self.stdout.write(f"{channel}: 已停用加密密钥 retired x25519 {key_id}")
            if zone:
                events.record_event(
                    zone, events.KEY_CHANGED, channel, detail=f"x25519 retired {key_id}"
                )

    def _prune_events(self, zone: str, older_than_days: int | None) -> None:
        days = older_than_days
        if days is None:
            days = int(settings.FERRY_EVENT_RETENTION_DAYS)
        if days < 1:
            raise CommandError(f"保留天数至少为 1 retention must be at least 1 day, not {days}")
        deleted = events.prune_events(zone, dt.timedelta(days=days))
        self.stdout.write(
            f"已删除 deleted {deleted} ferry events older than {days} days (zone {zone})"
        )

    def _alarms(self, zone: str, clear: int | None, reason: str, actor: str | None) -> None:
        if clear is not None:
            actor = actor or _login_name()
            if not actor:
                raise CommandError("请用 --actor 指明操作人 (name the operator with --actor)")
            alarm_clear(zone=zone, alarm_id=clear, actor=actor, reason=reason)
            self.stdout.write(f"已解除 cleared alarm #{clear}")
            return
        alarms = open_alarms(zone)
        if not alarms:
            self.stdout.write("无告警 no open alarms")
        for alarm in alarms:
            self.stdout.write(
                f"#{alarm.pk} {alarm.kind} {alarm.channel} {alarm.key} x{alarm.count} "
                f"raised {alarm.raised_at:%Y-%m-%d %H:%M:%S}: {alarm.detail}"
            )


def _login_name() -> str:
    """Who runs the command, as the operating system knows them ("" if it does not)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""
