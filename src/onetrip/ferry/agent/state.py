"""The per-channel state row, which doubles as the channel's lock."""

from __future__ import annotations

from django.utils import timezone

from ..models import ChannelState
from ..registry import Store


def ensure_channel_state(store: Store, channel: str, direction: str) -> None:
    """Create the row in autocommit, before any transaction that locks it (see lock_channel)."""
    store.channel_state._default_manager.get_or_create(
        channel=channel, defaults={"direction": direction}
    )


def lock_channel(store: Store, channel: str) -> ChannelState:
    """Lock the channel's state row for the rest of the current transaction.

    The UPDATE comes first on purpose: on PostgreSQL it takes the row lock (as SELECT … FOR UPDATE
    would), and on SQLite a write as the first statement takes the database write lock before the
    transaction reads anything, so two agents serialise instead of one failing on a stale snapshot.
    """
    manager = store.channel_state._default_manager
    manager.filter(channel=channel).update(updated_at=timezone.now())
    return manager.select_for_update().get(channel=channel)


def read_channel_state(store: Store, channel: str) -> ChannelState | None:
    return store.channel_state._default_manager.filter(channel=channel).first()
