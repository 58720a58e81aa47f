"""Where each zone's concrete ferry v2 tables are: alarms, the audit of steps, parked batches.

Kept beside `registry.Store` (the v1 tables) rather than in it, so code that builds a `Store`
keeps working. Each zone's `ferrybox` app registers both from `AppConfig.ready()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import models as abstract
from .protocol.channels import check_zone


@dataclass(frozen=True)
class Tables:
    zone: str
    alarm: type[abstract.Alarm]
    event: type[abstract.FerryEvent]
    parked_batch: type[abstract.ParkedBatch]


_TABLES: dict[str, Tables] = {}


def register_tables(
    *,
    zone: str,
    alarm: type[abstract.Alarm],
    event: type[abstract.FerryEvent],
    parked_batch: type[abstract.ParkedBatch],
) -> Tables:
    check_zone(zone)
    tables = Tables(zone=zone, alarm=alarm, event=event, parked_batch=parked_batch)
    existing = _TABLES.get(zone)
    if existing is not None and existing != tables:
        raise ValueError(f"ferry tables for zone {zone!r} registered twice with different models")
    _TABLES[zone] = tables
    return tables


def get_tables(zone: str) -> Tables:
    check_zone(zone)
    try:
        return _TABLES[zone]
    except KeyError:
        raise LookupError(
            f"zone {zone!r} has no ferry tables; is onetrip.{zone}.ferrybox in INSTALLED_APPS?"
        ) from None
