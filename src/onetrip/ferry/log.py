"""Structured key=value log lines for every ferry step. Ids and counts only, never payloads:
payloads carry personal data (DESIGN §8)."""

from __future__ import annotations

import logging

logger = logging.getLogger("onetrip.ferry")


def _quote(value: object) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def log_event(level: int, event: str, **fields: object) -> None:
    parts = [f"event={event}", *(f"{k}={_quote(v)}" for k, v in fields.items())]
    logger.log(level, " ".join(parts))
