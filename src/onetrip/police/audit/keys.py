"""The audit chain's HMAC keys, from the settings — never from the audited database.

`AUDIT_KEYS_FILE` (a file holding "kid:base64key" entries, one a line, newest first) wins over
`AUDIT_KEYS` (the same entries, comma-separated, in the environment). The first key chains new
events and signs new anchors; the older ones stay configured for as long as events chained with
them are kept, or `audit verify` cannot check those events.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from onetrip.common.audit_chain import AuditKeyError, parse_keys

# The key id of the published development key in the settings: `audit verify` warns about it.
DEV_KEY_ID = "dev-public"


@lru_cache(maxsize=8)
def _from_spec(spec: str) -> Mapping[str, bytes]:
    return parse_keys(spec)


@lru_cache(maxsize=8)
def _from_file(path: str, mtime_ns: int, size: int) -> Mapping[str, bytes]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditKeyError(f"cannot read the audit key file {path}: {exc}") from None
    try:
        return parse_keys(text)
    except AuditKeyError as exc:
        raise AuditKeyError(f"{path}: {exc}") from None


def audit_keys() -> Mapping[str, bytes]:
    """Every configured audit key by id, newest first. AuditKeyError when there is none.

    The file is re-read when it changes, so a rotation needs no restart of long-running
    processes (the anchor loop, the ferry agent).
    """
    path = str(getattr(settings, "AUDIT_KEYS_FILE", "") or "")
    if path:
        try:
            stat = Path(path).stat()
        except OSError as exc:
            raise AuditKeyError(f"cannot read the audit key file {path}: {exc}") from None
        return _from_file(path, stat.st_mtime_ns, stat.st_size)
    return _from_spec(str(getattr(settings, "AUDIT_KEYS", "") or ""))


def current_audit_key() -> tuple[str, bytes]:
    """The id and key that chain new events and sign new anchors."""
    return next(iter(audit_keys().items()))


def uses_published_dev_key() -> bool:
    return DEV_KEY_ID in audit_keys()


def declared_legacy_through() -> int:
    """The last sequence allowed to be chained without a key (AUDIT_LEGACY_THROUGH)."""
    return int(getattr(settings, "AUDIT_LEGACY_THROUGH", 0) or 0)


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)
