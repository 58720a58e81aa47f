"""`onetrip --zone police audit verify` — check the audit log's hash chain (DOMAIN MLPS-5)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from onetrip.police.audit.selectors import audit_triggers_installed, audit_verify


class Command(BaseCommand):
    help = "审计日志 / audit log: verify"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="检查审计链 / check the hash chain; exit 1 if broken")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self.verify()

    def verify(self) -> None:
        if not audit_triggers_installed():
            self.stderr.write(
                "警告 / warning: 审计表未受触发器保护 / the audit table's append-only "
                "triggers are missing"
            )
        report = audit_verify()
        if report.ok:
            self.stdout.write(f"审计链完整 / audit chain intact: {report.checked} events")
            return
        self.stderr.write(
            f"审计链损坏 / audit chain broken at sequence {report.first_bad_sequence}: "
            f"{report.reason} ({report.checked} events verified before it)"
        )
        raise SystemExit(1)
