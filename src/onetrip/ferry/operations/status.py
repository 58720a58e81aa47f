"""The figures `onetrip ferry status` prints (and a metrics exporter or a web page can reuse).

`ZoneStatus` only ever gains fields, so its readers keep working. Lag each way: incoming, the last
sequence the sender says it has built (heartbeats, manifests) minus the last applied here;
outgoing, the last sequence built here minus the last the receiver says it has applied (acks,
heartbeats).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max

from ..agent.state import read_channel_state
from ..models import ChannelState
from ..protocol.sealing import encryption_key_ids, load_decryption_key, load_encryption_key
from ..protocol.signing import FerryKeyError, key_ids, keys_dir, known_public_keys, load_signing_key
from ..registry import Store, get_store
from ..transports import get_transport

QUARANTINE_SHOWN = 50


@dataclass
class ParkedInfo:
    channel: str
    file_name: str
    first_seq: int
    last_seq: int
    reason: str
    detail: str
    since: dt.datetime


@dataclass
class QuarantineInfo:
    id: int
    channel: str
    kind: str
    file_name: str
    reason: str
    times_seen: int
    quarantined_at: dt.datetime
    last_seen_at: dt.datetime


@dataclass
class AlarmInfo:
    id: int
    kind: str
    channel: str
    key: str
    detail: str
    raised_at: dt.datetime
    last_seen_at: dt.datetime
    count: int


@dataclass
class ZoneStatus:
    zone: str
    sends_on: str
    receives_on: str
    last_seq_built: int = 0
    last_seq_sent: int = 0
    last_seq_acked: int = 0
    unbatched: int = 0
    unexported: int = 0
    unacked: int = 0
    oldest_unacked_send_count: int = 0
    last_seq_applied: int = 0
    pending_incoming: int = 0
    parked: int = 0
    quarantined: int = 0
    rejected_messages: int = 0
    signing_key_id: str = ""
    trusted_key_ids: dict[str, list[str]] = field(default_factory=dict)
    # -- v2: lag, liveness, gaps, alarms, keys ---------------------------------------------------
    peer_last_seq_sent: int = 0  # what the sender of our receiving channel says it has built
    lag_in: int = 0
    peer_applied_through: int = 0  # what the receiver of our sending channel says it applied
    lag_out: int = 0
    last_heartbeat_received_at: dt.datetime | None = None
    last_heartbeat_sent_at: dt.datetime | None = None
    last_heard_at: dt.datetime | None = None  # last valid batch or heartbeat from the peer
    gap: str = ""  # missing ranges last asked for, e.g. "5-7"
    gap_since: dt.datetime | None = None
    parked_batches: list[ParkedInfo] = field(default_factory=list)
    quarantined_items: list[QuarantineInfo] = field(default_factory=list)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    open_alarms: list[AlarmInfo] = field(default_factory=list)
    current_key_ids: dict[str, str] = field(default_factory=dict)
    retired_key_ids: dict[str, list[str]] = field(default_factory=dict)
    staged_key_ids: dict[str, list[str]] = field(default_factory=dict)
    encrypt: bool = False
    encryption_key_id: str = ""  # the receiver's key we seal our batches to
    decryption_key_id: str = ""  # our key for sealed batches arriving
    # -- v3: encryption key rotation: every key id we still decrypt with (current, previous,
    # staged), and the retired ones, for the channel we receive on.
    accepted_decryption_key_ids: list[str] = field(default_factory=list)
    staged_decryption_key_ids: list[str] = field(default_factory=list)
    retired_decryption_key_ids: list[str] = field(default_factory=list)
    rejects_surfaced: int = 0  # our messages the other zone rejected (seen in acks)


def zone_status(zone: str) -> ZoneStatus:
    store = get_store(zone)
    status = ZoneStatus(zone=zone, sends_on=store.sends_on, receives_on=store.receives_on)
    out_state = read_channel_state(store, store.sends_on)
    in_state = read_channel_state(store, store.receives_on)
    status.last_seq_built = out_state.last_seq if out_state else 0
    status.last_seq_applied = in_state.last_seq if in_state else 0
    sent = store.sent_batch._default_manager.filter(channel=store.sends_on)
    status.last_seq_sent = (
        sent.filter(exported_at__isnull=False).aggregate(m=Max("last_seq"))["m"] or 0
    )
    status.last_seq_acked = (
        sent.filter(acked_at__isnull=False).aggregate(m=Max("last_seq"))["m"] or 0
    )
    status.unbatched = store.outbox._default_manager.filter(sequence__isnull=True).count()
    status.unexported = sent.filter(exported_at__isnull=True).count()
    unacked = sent.filter(acked_at__isnull=True).order_by("first_seq")
    status.unacked = unacked.count()
    oldest = unacked.first()
    status.oldest_unacked_send_count = oldest.send_count if oldest else 0
    status.pending_incoming = get_transport().count_batches(store.receives_on)
    status.quarantined = store.quarantined_batch._default_manager.count()
    status.rejected_messages = store.inbox._default_manager.filter(status="rejected").count()
    status.rejects_surfaced = store.outbox._default_manager.filter(
        reject_seen_at__isnull=False
    ).count()
    try:
        status.signing_key_id = load_signing_key(store.sends_on).key_id
    except FerryKeyError:
        status.signing_key_id = "缺失 missing"
    for channel in (store.sends_on, store.receives_on):
        status.trusted_key_ids[channel] = sorted(known_public_keys(channel))
        ids = key_ids(channel)
        status.current_key_ids[channel] = ids.current
        status.retired_key_ids[channel] = ids.retired
        status.staged_key_ids[channel] = ids.staged
    _peer_figures(status, out_state, in_state)
    _tables_figures(status, store)
    status.encrypt = bool(settings.FERRY_ENCRYPT)
    try:
        status.encryption_key_id = load_encryption_key(store.sends_on)[0]
    except FerryKeyError:
        status.encryption_key_id = ""
    try:
        status.decryption_key_id = load_decryption_key(store.receives_on)[0]
    except FerryKeyError:
        status.decryption_key_id = ""
    decryption_ids = encryption_key_ids(store.receives_on)
    status.accepted_decryption_key_ids = decryption_ids.accepted
    status.staged_decryption_key_ids = decryption_ids.staged
    status.retired_decryption_key_ids = decryption_ids.retired
    return status


def _peer_figures(
    status: ZoneStatus, out_state: ChannelState | None, in_state: ChannelState | None
) -> None:
    if in_state is not None:
        status.peer_last_seq_sent = max(in_state.peer_last_seq, in_state.last_seq)
        status.lag_in = status.peer_last_seq_sent - in_state.last_seq
        status.last_heartbeat_received_at = in_state.heartbeat_received_at
        status.last_heard_at = in_state.peer_seen_at
        status.gap = in_state.resend_requested_range if in_state.gap_since else ""
        status.gap_since = in_state.gap_since
    if out_state is not None:
        status.peer_applied_through = max(out_state.peer_applied_through, status.last_seq_acked)
        status.lag_out = max(0, status.last_seq_built - status.peer_applied_through)
        status.last_heartbeat_sent_at = out_state.heartbeat_sent_at


def _tables_figures(status: ZoneStatus, store: Store) -> None:
    parked = store.parked_batch._default_manager.filter(channel=status.receives_on)
    status.parked_batches = [
        ParkedInfo(
            channel=row.channel,
            file_name=row.file_name,
            first_seq=row.first_seq,
            last_seq=row.last_seq,
            reason=row.reason,
            detail=row.detail,
            since=row.first_seen_at,
        )
        for row in parked.order_by("first_seq")
    ]
    status.parked = len(status.parked_batches)
    quarantined = store.quarantined_batch._default_manager.order_by("-last_seen_at", "-id")
    status.quarantined_items = [
        QuarantineInfo(
            id=row.pk,
            channel=row.channel,
            kind=row.kind,
            file_name=row.file_name,
            reason=row.reason,
            times_seen=row.times_seen,
            quarantined_at=row.quarantined_at,
            last_seen_at=row.last_seen_at,
        )
        for row in quarantined[:QUARANTINE_SHOWN]
    ]
    reasons: dict[str, int] = {}
    for reason in store.quarantined_batch._default_manager.values_list("reason", flat=True):
        reasons[reason] = reasons.get(reason, 0) + 1
    status.quarantine_reasons = dict(sorted(reasons.items()))
    alarms = store.alarm._default_manager.filter(cleared_at__isnull=True).order_by("raised_at")
    status.open_alarms = [
        AlarmInfo(
            id=row.pk,
            kind=row.kind,
            channel=row.channel,
            key=row.key,
            detail=row.detail,
            raised_at=row.raised_at,
            last_seen_at=row.last_seen_at,
            count=row.count,
        )
        for row in alarms
    ]


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "无 never"


def format_status(status: ZoneStatus) -> str:
    """Plain text, Chinese first."""
    trusted = "; ".join(
        f"{channel}: {', '.join(ids) or '无 none'}"
        for channel, ids in status.trusted_key_ids.items()
    )
    retired = "; ".join(
        f"{channel}: {', '.join(ids) or '无 none'}"
        for channel, ids in status.retired_key_ids.items()
    )
    current = "; ".join(
        f"{channel}: {key_id or '无 none'}" for channel, key_id in status.current_key_ids.items()
    )
    rows: list[tuple[str, object]] = [
        ("区域 zone", status.zone),
        ("密钥目录 keys dir", str(keys_dir())),
        (f"发送通道 sending {status.sends_on}", ""),
        ("  已编号至 last seq built", status.last_seq_built),
        ("  已发送至 last seq sent", status.last_seq_sent),
        ("  已确认至 last seq acked", status.last_seq_acked),
        ("  对方已应用至 peer applied through", status.peer_applied_through),
        ("  发送滞后 lag out", status.lag_out),
        ("  待打包消息 unbatched messages", status.unbatched),
        ("  待导出批次 batches not yet written", status.unexported),
        ("  未确认批次 unacked batches", status.unacked),
        ("  最早未确认批次发送次数 sends of oldest unacked", status.oldest_unacked_send_count),
        ("  对方拒绝的消息 our messages rejected", status.rejects_surfaced),
        ("  最近发出心跳 last heartbeat sent", _when(status.last_heartbeat_sent_at)),
        (f"接收通道 receiving {status.receives_on}", ""),
        ("  已应用至 last seq applied", status.last_seq_applied),
        ("  对方已编号至 peer last seq", status.peer_last_seq_sent),
        ("  接收滞后 lag in", status.lag_in),
        ("  最近收到心跳 last heartbeat received", _when(status.last_heartbeat_received_at)),
        ("  最近收到对方消息 last heard from peer", _when(status.last_heard_at)),
        ("  缺号 missing", f"{status.gap} since {_when(status.gap_since)}" if status.gap else ""),
        ("  待处理批次 pending batches", status.pending_incoming),
        ("  暂存批次 parked batches", status.parked),
        ("  业务拒绝消息 rejected messages", status.rejected_messages),
        ("隔离批次/回执 quarantined batches/acks", status.quarantined),
        ("告警 open alarms", len(status.open_alarms)),
        ("签名密钥 signing key id", status.signing_key_id),
        ("当前公钥 current key ids", current),
        ("信任公钥 trusted key ids", trusted),
        ("停用公钥 retired key ids", retired),
        (
            "加密 encryption",
            f"{'开 on' if status.encrypt else '关 off'}; "
            f"to {status.encryption_key_id or '-'}, from {status.decryption_key_id or '-'}; "
            f"可解密 accepted {', '.join(status.accepted_decryption_key_ids) or '-'}; "
            f"待用 staged {', '.join(status.staged_decryption_key_ids) or '-'}; "
            f"停用 retired {', '.join(status.retired_decryption_key_ids) or '-'}",
        ),
    ]
    lines = [f"{label}: {value}" if value != "" else label for label, value in rows]
    for parked in status.parked_batches:
        lines.append(
            f"  暂存 parked {parked.first_seq}-{parked.last_seq} {parked.reason}: {parked.detail}"
        )
    for item in status.quarantined_items:
        lines.append(
            f"  隔离 quarantined #{item.id} {item.channel} {item.kind} {item.file_name} "
            f"x{item.times_seen}: {item.reason}"
        )
    for alarm in status.open_alarms:
        lines.append(
            f"  告警 alarm #{alarm.id} {alarm.kind} {alarm.channel} {alarm.key} "
            f"x{alarm.count} since {_when(alarm.raised_at)}: {alarm.detail}"
        )
    return "\n".join(lines)
