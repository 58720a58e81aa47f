"""`onetrip --zone police audit verify|anchor|keygen` (DOMAIN MLPS-5).

`verify` checks the keyed hash chain and every signed checkpoint in the anchor file; exit 1 when
either does not hold. `anchor` appends one checkpoint of the chain's head (or, with `--every`,
keeps doing so whenever the head has moved). `keygen` prints a new audit key entry for
ONETRIP_AUDIT_KEYS / ONETRIP_AUDIT_KEYS_FILE. docs/operations.md, "Audit anchors", says how to
run them.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from onetrip.common.audit_chain import LEGACY_KEY_ID, AnchorError, AuditKeyError, Checkpoint
from onetrip.police.audit.selectors import (
    AuditVerification,
    audit_triggers_installed,
    audit_verify,
)
from onetrip.police.audit.services import AnchorRefused, audit_anchor

logger = logging.getLogger("onetrip.police.audit")


class Command(BaseCommand):
    help = "审计日志 / audit log: verify, anchor, keygen"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "verify", help="检查审计链和锚点 / check the chain and its anchors; exit 1 if broken"
        )
        anchor = sub.add_parser(
            "anchor", help="写入链头检查点 / append a signed checkpoint of the chain's head"
        )
        anchor.add_argument(
            "--every",
            type=float,
            default=0,
            help="Keep running and anchor every this many seconds when the head has moved "
            "(default: write one checkpoint and exit).",
        )
        sub.add_parser("keygen", help="生成审计密钥 / print a new audit key entry")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "verify":
            self.verify()
        elif action == "anchor":
            self.anchor(float(options["every"]))
        elif action == "keygen":
            self.keygen()

    def verify(self) -> None:
        if not audit_triggers_installed():
            self.stderr.write(
                "警告 / warning: 审计表未受触发器保护 / the audit table's append-only "
                "triggers are missing"
            )
        try:
            result = audit_verify()
        except AuditKeyError as exc:
            raise CommandError(f"审计密钥 / audit key: {exc}") from None
        self._warnings(result)
        if result.ok:
            self.stdout.write(f"审计链完整 / audit chain intact: {result.checked} events")
            self._notes(result)
            return
        where = (
            f"at sequence {result.first_bad_sequence}"
            if result.first_bad_sequence is not None
            else f"after {result.checked} events"
        )
        self.stderr.write(
            f"审计链损坏 / audit chain broken {where}: {result.reason} "
            f"({result.checked} events verified before it)"
        )
        if result.reason.startswith("undeclared legacy record"):
            self.stderr.write(
                f"  旧记录 / legacy rows: only sequences 1–{result.legacy_declared} are declared "
                f"legacy (ONETRIP_AUDIT_LEGACY_THROUGH); raise it only to the count at the "
                "upgrade to keyed chains, never to whatever the table holds today"
            )
        raise SystemExit(1)

    def _warnings(self, result: AuditVerification) -> None:
        if result.published_dev_key:
            self.stderr.write(
                "警告 / warning: 使用公开的开发密钥 / the audit key is the published development "
                "key: anyone can recompute the chain; set ONETRIP_AUDIT_KEYS(_FILE)"
            )
        if not result.anchor_file_exists:
            self.stderr.write(
                f"警告 / warning: 无锚点文件 / no anchor file at {result.anchor_file}: nothing "
                "outside the database vouches for the chain (run `audit anchor`)"
            )

    def _notes(self, result: AuditVerification) -> None:
        report = result.report
        if report.key_ids:
            keyed_from = report.legacy_through + 1
            self.stdout.write(
                f"  密钥 / keyed: sequences {keyed_from}–{report.last_sequence} chained with "
                f"HMAC-SHA256, key ids {', '.join(report.key_ids)}"
            )
        if report.legacy_through:
            pinned = (
                f"pinned by the checkpoint at sequence {result.last_anchor.sequence}"
                if result.last_anchor and result.last_anchor.sequence >= report.legacy_through
                else "not yet pinned by any checkpoint"
            )
            self.stdout.write(
                f"  注意 / note: sequences 1–{report.legacy_through} are legacy rows "
                f"({LEGACY_KEY_ID}, unkeyed, from before audit keys): weaker — anyone with "
                f"write access to the database could have recomputed them; {pinned}"
            )
        if result.last_anchor is not None:
            after = report.last_sequence - result.last_anchor.sequence
            self.stdout.write(
                f"  锚点 / anchors: {result.anchors} checkpoints in {result.anchor_file} match; "
                f"last at sequence {result.last_anchor.sequence} "
                f"({result.last_anchor.anchored_at}); "
                f"{after} later events are protected by the key alone"
            )

    def anchor(self, every: float) -> None:
        while True:
            try:
                checkpoint = audit_anchor(only_if_moved=every > 0)
            except (AnchorRefused, AnchorError, AuditKeyError) as exc:
                message = f"审计锚定被拒绝 / anchoring refused: {exc}"
                if every <= 0:
                    raise CommandError(message) from None
                logger.error("event=audit_anchor_refused reason=%s", exc)
            except (DatabaseError, OSError) as exc:
                if every <= 0:
                    raise
                logger.warning("event=audit_anchor_failed error=%s", exc)
            else:
                if checkpoint is not None:
                    self._anchored(checkpoint)
            if every <= 0:
                return
            time.sleep(every)

    def _anchored(self, checkpoint: Checkpoint) -> None:
        self.stdout.write(
            f"已锚定 / anchored: sequence {checkpoint.sequence} hash {checkpoint.hash[:16]}… "
            f"at {checkpoint.anchored_at} (key {checkpoint.key_id})"
        )

    def keygen(self) -> None:
        key_id = f"audit-{dt.datetime.now(tz=dt.UTC):%Y%m%d%H%M}"
        self.stdout.write(f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}")
        self.stderr.write(
            "把这一项放在最前 / put this entry first in ONETRIP_AUDIT_KEYS or the key file; keep "
            "every older key configured for as long as events chained with it are kept"
        )
