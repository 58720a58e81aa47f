"""`onetrip --zone police card_production`: the signing key of the production batches, the
bureau's return, and a check of an exported file (docs/card-production.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from onetrip.common.errors import ApplicationError, command_error
from onetrip.police.permits.production import (
    RETURN_MAX_BYTES,
    BatchFileInvalid,
    production_file_verify,
    production_import,
    production_key_generate,
    production_public_key,
)


class Command(BaseCommand):
    help = (
        "居住证制证批次：签名密钥、导入制证回执、校验制证文件 (production batch signing key, "
        "import the card-printing bureau's return, verify an exported batch file)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("keygen", help="Create the signing key unless it exists.")
        actions.add_parser("pubkey", help="Print the key id and public key the bureau trusts.")
        imported = actions.add_parser("import", help="Apply the bureau's return (CSV).")
        imported.add_argument("file", help="The return CSV: permit_number,result,reason.")
        imported.add_argument(
            "--user",
            required=True,
            help="The member of staff the import is recorded for (a station clerk or "
            "administrator, or a district or city administrator).",
        )
        verify = actions.add_parser("verify", help="Check an exported batch file.")
        verify.add_argument("file", help="The batch ZIP.")
        verify.add_argument(
            "--public-key",
            default="",
            help="PEM file of the public key (default: this deployment's own key).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "keygen":
                key_id, created = production_key_generate()
                self.stdout.write(f"card-production key_id={key_id} created={created}")
            elif action == "pubkey":
                key_id, pem = production_public_key()
                self.stdout.write(f"key_id={key_id}\n{pem.decode()}")
            elif action == "import":
                self._import(Path(options["file"]), options["user"])
            else:
                self._verify(Path(options["file"]), options["public_key"])
        except ApplicationError as exc:
            if exc.errors:
                lines = "\n".join(e.message_zh for e in exc.errors)
                raise CommandError(f"{exc.message_zh}\n{lines}") from exc
            raise command_error(exc) from exc

    def _import(self, path: Path, username: str) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        with path.open("rb") as handle:
            content = handle.read(RETURN_MAX_BYTES + 1)
        result = production_import(user=user, content=content, file_name=path.name)
        self.stdout.write(
            f"card-production import rows={result.rows} printed={result.printed} "
            f"failed={result.failed} unchanged={result.unchanged} "
            f"already={result.already} batches={','.join(result.batches) or '-'}"
        )

    def _verify(self, path: Path, public_key_path: str) -> None:
        if public_key_path:
            key = serialization.load_pem_public_key(Path(public_key_path).read_bytes())
        else:
            key = serialization.load_pem_public_key(production_public_key()[1])
        if not isinstance(key, Ed25519PublicKey):
            raise CommandError("the public key is not an Ed25519 key")
        try:
            manifest = production_file_verify(path.read_bytes(), key)
        except BatchFileInvalid as exc:
            raise CommandError(f"制证文件校验未通过 (batch file does not verify): {exc}") from exc
        self.stdout.write(
            f"card-production verified batch={manifest['batch']} count={manifest['count']} "
            f"key_id={manifest['key_id']}"
        )
