from __future__ import annotations

import pytest

from tests.ferry.helpers import ferry_env  # noqa: F401
from tests.fixtures import *  # noqa: F403
from tests.fixtures import staff


@pytest.fixture
def editor(db):
    return staff("editor_one", "city_admin", None)


@pytest.fixture
def second_editor(db):
    return staff("editor_two", "city_admin", None)


@pytest.fixture
def seeded(db):
    from onetrip.police.guidance.seed import seed_entries
    from onetrip.police.guidance.services import guidance_seed_load

    return guidance_seed_load(entries=seed_entries())


FAQ_DRAFT = {
    "title": "居住证可以网上续签吗？",
    "body": "可以，在“我的居住证”申请签注。",
    "category": "endorsement",
    "applies_to": ["endorsement"],
}
