from __future__ import annotations

import pytest

from tests.ferry.helpers import ferry_env  # noqa: F401
from tests.fixtures import *  # noqa: F403


def apply_police_outbox() -> int:
    """What the portal's agent does with the police zone's guidance messages, without the
    transport (the end-to-end test moves them over the real ferry)."""
    from onetrip.contracts.base import contract_for
    from onetrip.ferry.agent.handlers import handler_for
    from onetrip.ferry.registry import get_store

    rows = get_store("police").outbox.objects.filter(message_type__startswith="guidance.")
    count = 0
    for row in rows.order_by("id"):
        message = contract_for(row.message_type, row.version).model_validate(row.payload)
        handler = handler_for("portal", row.message_type)
        assert handler is not None
        handler(None, message)  # type: ignore[arg-type]
        count += 1
    return count


@pytest.fixture
def published(db):
    """The packaged guidance, published in the police zone and applied on the portal."""
    from onetrip.police.guidance.seed import seed_entries
    from onetrip.police.guidance.services import guidance_seed_load

    guidance_seed_load(entries=seed_entries())
    return apply_police_outbox()
