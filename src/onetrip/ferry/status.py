"""The figures `onetrip ferry status` prints (and a metrics exporter can reuse)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Max

from .batch import BATCH_NAME_RE
from .registry import get_store
from .signing import FerryKeyError, keys_dir, known_public_keys, load_signing_key
from .state import read_channel_state
from .transports import get_transport


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
    pending = [
        name
        for name in get_transport().list_batches(store.receives_on)
        if BATCH_NAME_RE.match(name)
    ]
    status.pending_incoming = len(pending)
    status.parked = sum(1 for name in pending if int(name[:12]) > status.last_seq_applied + 1)
    status.quarantined = store.quarantined_batch._default_manager.count()
    status.rejected_messages = store.inbox._default_manager.filter(status="rejected").count()
    try:
        status.signing_key_id = load_signing_key(store.sends_on).key_id
    except FerryKeyError:
        status.signing_key_id = "缺失 missing"
    for channel in (store.sends_on, store.receives_on):
        status.trusted_key_ids[channel] = sorted(known_public_keys(channel))
    return status


def format_status(status: ZoneStatus) -> str:
    """Plain text, Chinese first."""
    trusted = "; ".join(
        f"{channel}: {', '.join(ids) or '无 none'}"
        for channel, ids in status.trusted_key_ids.items()
    )
    rows = [
        ("区域 zone", status.zone),
        ("密钥目录 keys dir", str(keys_dir())),
        (f"发送通道 sending {status.sends_on}", ""),
        ("  已编号至 last seq built", status.last_seq_built),
        ("  已发送至 last seq sent", status.last_seq_sent),
        ("  已确认至 last seq acked", status.last_seq_acked),
        ("  待打包消息 unbatched messages", status.unbatched),
        ("  待导出批次 batches not yet written", status.unexported),
        ("  未确认批次 unacked batches", status.unacked),
        ("  最早未确认批次发送次数 sends of oldest unacked", status.oldest_unacked_send_count),
        (f"接收通道 receiving {status.receives_on}", ""),
        ("  已应用至 last seq applied", status.last_seq_applied),
        ("  待处理批次 pending batches", status.pending_incoming),
        ("  暂存(缺号)批次 parked batches (gap)", status.parked),
        ("  业务拒绝消息 rejected messages", status.rejected_messages),
        ("隔离批次/回执 quarantined batches/acks", status.quarantined),
        ("签名密钥 signing key id", status.signing_key_id),
        ("信任公钥 trusted key ids", trusted),
    ]
    return "\n".join(f"{label}: {value}" if value != "" else label for label, value in rows)
