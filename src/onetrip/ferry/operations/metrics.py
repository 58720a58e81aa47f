"""The ferry's figures as Prometheus metrics, read from the zone's database at scrape time.

There is no in-process counter to lose on a restart or to disagree between gunicorn workers: each
scrape asks `status.zone_status` and the zone's ferry tables, the same source as
`onetrip ferry status`. Counts of applied batches and messages are exposed as gauges (they are
row counts, which pruning may lower). Labels are zone, channel, kind and key ids — never anything
from a message.

`metrics_view` serves the text exposition at `/metrics` of each zone, to the monitoring network
only (docs/operations.md §5): a client whose address is outside `ONETRIP_METRICS_ALLOW` (loopback by
default) gets 403, and with `ONETRIP_METRICS_TOKEN` set a request without `Authorization: Bearer
<token>` gets 401. `settings.ONETRIP_METRICS_ENABLED = False` turns it off (404).
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Min, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from onetrip.common.http import client_address

from ..log import log_event
from ..protocol.channels import ZONES
from ..registry import get_store, registered_zones
from ..transports import close_transports
from .status import ZoneStatus, zone_status

PREFIX = "onetrip_ferry_"

# name (without prefix) → (help, label names)
_FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "up": ("1 if the zone's ferry state could be read at this scrape, else 0", ("zone",)),
    "last_sequence_built": (
        "Last sequence number assigned to an outgoing message",
        ("zone", "channel"),
    ),
    "last_sequence_sent": ("Last sequence written to the transport", ("zone", "channel")),
    "last_sequence_acked": ("Last sequence acknowledged by the receiver", ("zone", "channel")),
    "last_sequence_applied": ("Last incoming sequence applied", ("zone", "channel")),
    "outbox_unbatched_messages": (
        "Outbox messages not yet put into a batch",
        ("zone", "channel"),
    ),
    "outbox_oldest_unbatched_age_seconds": (
        "Age of the oldest outbox message not yet batched (0 if none)",
        ("zone", "channel"),
    ),
    "unexported_batches": ("Batches built but not yet written", ("zone", "channel")),
    "unacked_batches": ("Outgoing batches not yet acknowledged", ("zone", "channel")),
    "unacked_messages": ("Messages in outgoing batches not yet acknowledged", ("zone", "channel")),
    "oldest_unacked_age_seconds": (
        "Age of the oldest unacknowledged outgoing batch (0 if none)",
        ("zone", "channel"),
    ),
    "oldest_unacked_send_count": (
        "Times the oldest unacknowledged batch has been sent",
        ("zone", "channel"),
    ),
    "pending_batches": ("Incoming batches waiting in the transport", ("zone", "channel")),
    "parked_batches": ("Incoming batches parked behind a gap", ("zone", "channel")),
    "quarantined_batches": (
        "Quarantined documents (kind=batch or ack) awaiting an operator",
        ("zone", "channel", "kind"),
    ),
    "rejected_messages": ("Incoming messages rejected by business rules", ("zone", "channel")),
    "rejected_by_peer_messages": (
        "Outgoing messages the other zone rejected by business rules (seen in its acks)",
        ("zone", "channel"),
    ),
    "batches_applied": ("Incoming batches applied (rows in the received log)", ("zone", "channel")),
    "messages_applied": ("Incoming messages applied (inbox rows)", ("zone", "channel")),
    "open_alarms": ("Ferry alarms not yet resolved", ("zone",)),
    "open_alarms_by_kind": ("Ferry alarms not yet resolved, by kind", ("zone", "kind")),
    "lag_messages": (
        "Sequences built by the sender but not yet applied by the receiver, as this zone knows",
        ("zone", "channel", "direction"),
    ),
    "last_heard_timestamp_seconds": (
        "Unix time a valid batch or heartbeat last arrived from the other zone",
        ("zone",),
    ),
    "last_heartbeat_timestamp_seconds": (
        "Unix time of the last heartbeat received from the other zone",
        ("zone",),
    ),
    "signing_key_info": (
        "The key this zone signs with (1), or 0 with an empty key_id if it is missing",
        ("zone", "channel", "key_id"),
    ),
    "trusted_keys": ("Public keys trusted to verify a channel", ("zone", "channel")),
}

# Attributes another part of the ferry may add to ZoneStatus; read with getattr so this exporter
# works with and without them.
_ALARM_ATTRIBUTES = ("open_alarms", "alarms")
_HEARTBEAT_ATTRIBUTES = (
    "last_heartbeat_received_at",
    "last_heartbeat_at",
    "heartbeat_received_at",
    "last_heartbeat",
)


@dataclass(frozen=True)
class _Sample:
    name: str
    labels: tuple[str, ...]
    value: float


class FerryCollector:
    """A prometheus-client collector for the ferry state of `zones`."""

    def __init__(self, zones: Sequence[str]) -> None:
        self.zones = list(zones)

    def collect(self) -> Iterable[Metric]:
        families = {
            name: GaugeMetricFamily(PREFIX + name, help_text, labels=list(labels))
            for name, (help_text, labels) in _FAMILIES.items()
        }
        for zone in self.zones:
            try:
                samples = list(zone_samples(zone))
            except Exception as exc:
                # The database or the transport is down: say so in a metric instead of failing
                # the scrape, and log the class only (an error text may quote row values).
                log_event(logging.ERROR, "metrics_failed", zone=zone, error=type(exc).__name__)
                families["up"].add_metric([zone], 0)
                continue
            families["up"].add_metric([zone], 1)
            for sample in samples:
                families[sample.name].add_metric(list(sample.labels), sample.value)
        yield from families.values()


def _age_seconds(moment: dt.datetime | None, now: dt.datetime) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment is not None else 0.0


def _count_of(value: object) -> float | None:
    """A number of alarms, whether the status holds a count, a list or a mapping of counts."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        numbers = [v for v in value.values() if isinstance(v, int | float)]
        return float(sum(numbers)) if len(numbers) == len(value) else float(len(value))
    if isinstance(value, Sequence | set | frozenset) and not isinstance(value, str | bytes):
        return float(len(value))
    return None


def _optional(status: ZoneStatus, names: tuple[str, ...]) -> object:
    for name in names:
        if hasattr(status, name):
            return getattr(status, name)
    return None


def zone_samples(zone: str) -> Iterable[_Sample]:
    """Every sample for one zone; raises if its database or transport cannot be read."""
    status = zone_status(zone)
    store = get_store(zone)
    now = timezone.now()
    out, into = store.sends_on, store.receives_on

    def sample(name: str, value: float, *labels: str) -> _Sample:
        return _Sample(name, (zone, *labels), float(value))

    yield sample("last_sequence_built", status.last_seq_built, out)
    yield sample("last_sequence_sent", status.last_seq_sent, out)
    yield sample("last_sequence_acked", status.last_seq_acked, out)
    yield sample("last_sequence_applied", status.last_seq_applied, into)
    yield sample("outbox_unbatched_messages", status.unbatched, out)
    oldest_unbatched = store.outbox._default_manager.filter(
        channel=out, sequence__isnull=True
    ).aggregate(m=Min("created_at"))["m"]
    yield sample("outbox_oldest_unbatched_age_seconds", _age_seconds(oldest_unbatched, now), out)
    yield sample("unexported_batches", status.unexported, out)
    yield sample("unacked_batches", status.unacked, out)
    unacked = store.sent_batch._default_manager.filter(channel=out, acked_at__isnull=True)
    figures = unacked.aggregate(messages=Sum("message_count"), oldest=Min("created_at"))
    yield sample("unacked_messages", figures["messages"] or 0, out)
    yield sample("oldest_unacked_age_seconds", _age_seconds(figures["oldest"], now), out)
    yield sample("oldest_unacked_send_count", status.oldest_unacked_send_count, out)
    yield sample("pending_batches", status.pending_incoming, into)
    yield sample("parked_batches", status.parked, into)

    quarantined = {
        (row["channel"], row["kind"]): row["n"]
        for row in store.quarantined_batch._default_manager.values("channel", "kind").annotate(
            n=Count("id")
        )
    }
    # Always the two expected series, so an alert on them never sees "no data" when all is well.
    quarantined.setdefault((into, "batch"), 0)
    quarantined.setdefault((out, "ack"), 0)
    for (channel, kind), count in sorted(quarantined.items()):
        yield sample("quarantined_batches", count, channel, kind)

    yield sample("rejected_messages", status.rejected_messages, into)
    yield sample(
        "batches_applied",
        store.received_batch._default_manager.filter(channel=into).count(),
        into,
    )
    yield sample(
        "messages_applied",
        store.inbox._default_manager.filter(channel=into, status="applied").count(),
        into,
    )

    yield from _later_samples(status, sample, out, into)

    key_id = status.signing_key_id
    if not key_id or " " in key_id:  # zone_status writes "缺失 missing" when there is no key
        yield sample("signing_key_info", 0, out, "")
    else:
        yield sample("signing_key_info", 1, out, key_id)
    for channel, ids in sorted(status.trusted_key_ids.items()):
        yield sample("trusted_keys", len(ids), channel)


def _later_samples(
    status: ZoneStatus, sample: Callable[..., _Sample], out: str, into: str
) -> Iterable[_Sample]:
    """Figures the ferry status may or may not have yet (alarms, heartbeats, peer-reported lag)."""
    raw_alarms = _optional(status, _ALARM_ATTRIBUTES)
    alarms = _count_of(raw_alarms)
    if alarms is not None:
        yield sample("open_alarms", alarms)
    if isinstance(raw_alarms, Iterable) and not isinstance(raw_alarms, str | bytes | Mapping):
        kinds = Counter(
            str(kind) for kind in (getattr(a, "kind", None) for a in raw_alarms) if kind
        )
        for kind, count in sorted(kinds.items()):
            yield sample("open_alarms_by_kind", count, kind)
    heartbeat = _optional(status, _HEARTBEAT_ATTRIBUTES)
    if isinstance(heartbeat, dt.datetime):
        yield sample("last_heartbeat_timestamp_seconds", heartbeat.timestamp())
    heard = _optional(status, ("last_heard_at",))
    if isinstance(heard, dt.datetime):
        yield sample("last_heard_timestamp_seconds", heard.timestamp())
    surfaced = _optional(status, ("rejects_surfaced",))
    if isinstance(surfaced, int) and not isinstance(surfaced, bool):
        yield sample("rejected_by_peer_messages", surfaced, out)
    for attribute, channel, direction in (("lag_in", into, "in"), ("lag_out", out, "out")):
        lag = _optional(status, (attribute,))
        if isinstance(lag, int) and not isinstance(lag, bool):
            yield sample("lag_messages", lag, channel, direction)


def _default_zones() -> list[str]:
    configured = str(settings.ZONE)
    return [configured] if configured in ZONES else registered_zones()


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def allowed_networks(entries: Sequence[str]) -> list[IpNetwork]:
    """ONETRIP_METRICS_ALLOW as networks; a bare address is a network of one."""
    networks: list[IpNetwork] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"ONETRIP_METRICS_ALLOW: {entry!r} is not an address or a network"
            ) from exc
    return networks


def address_allowed(address: str, networks: Sequence[IpNetwork]) -> bool:
    """Whether the client `address` lies in one of `networks` (an IPv4 address mapped into IPv6,
    as a dual-stack listener reports it, counts as the IPv4 address)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    return any(
        candidate in network
        for candidate in candidates
        for network in networks
        if candidate.version == network.version
    )


def bearer_token_valid(request: HttpRequest, token: str) -> bool:
    scheme, _, given = str(request.META.get("HTTP_AUTHORIZATION", "")).partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """403 outside ONETRIP_METRICS_ALLOW, 401 without the bearer token when one is set."""
    address = client_address(request)
    if not address_allowed(address, allowed_networks(settings.ONETRIP_METRICS_ALLOW)):
        log_event(logging.WARNING, "metrics_refused", client=address or "-", status=403)
        return HttpResponse(
            "禁止访问 forbidden: this address may not read /metrics\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    token = str(settings.ONETRIP_METRICS_TOKEN)
    if token and not bearer_token_valid(request, token):
        log_event(logging.WARNING, "metrics_refused", client=address, status=401)
        response = HttpResponse(
            "需要认证 unauthorized: send Authorization: Bearer <token>\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return None


@require_safe
def metrics_view(request: HttpRequest, zone: str | None = None) -> HttpResponse:
    """Text exposition for Prometheus; mount with `{"zone": "<zone>"}` in each zone's urls."""
    if not settings.ONETRIP_METRICS_ENABLED:
        raise Http404("metrics are disabled")
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    zones = [zone] if zone else _default_zones()
    try:
        body = generate_latest(FerryCollector(zones))
    finally:
        close_transports()
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
