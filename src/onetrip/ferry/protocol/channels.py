"""The two ferry channels and which zone sends on which."""

from __future__ import annotations

PORTAL_TO_POLICE = "portal_to_police"
POLICE_TO_PORTAL = "police_to_portal"
CHANNELS = (PORTAL_TO_POLICE, POLICE_TO_PORTAL)
ZONES = ("portal", "police")

_SENDS = {"portal": PORTAL_TO_POLICE, "police": POLICE_TO_PORTAL}
_RECEIVES = {"portal": POLICE_TO_PORTAL, "police": PORTAL_TO_POLICE}


def check_zone(zone: str) -> str:
    """Fail early on a typo: a wrong zone name would otherwise route nowhere."""
    if zone not in ZONES:
        raise ValueError(f"unknown ferry zone {zone!r}; expected one of {ZONES}")
    return zone


def sending_channel(zone: str) -> str:
    return _SENDS[check_zone(zone)]


def receiving_channel(zone: str) -> str:
    return _RECEIVES[check_zone(zone)]


def sender_of(channel: str) -> str:
    """The zone that sends on `channel` (and so signs its batches)."""
    for zone, sent in _SENDS.items():
        if sent == channel:
            return zone
    raise ValueError(f"unknown ferry channel {channel!r}")
