"""Ferry messages the portal applies for guidance."""

from __future__ import annotations

from onetrip.contracts.base import Contract
from onetrip.contracts.guidance import GuidanceEntryPublishedV1, GuidancePictureV1
from onetrip.ferry.agent.handlers import Envelope, register_handler

from .services import entry_published_apply, picture_apply


@register_handler(zone="portal", message_type="guidance.picture")
def on_guidance_picture(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, GuidancePictureV1)
    picture_apply(message=message)


@register_handler(zone="portal", message_type="guidance.entry_published")
def on_guidance_entry_published(envelope: Envelope, message: Contract) -> None:
    assert isinstance(message, GuidanceEntryPublishedV1)
    entry_published_apply(message=message)
