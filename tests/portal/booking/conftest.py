import pytest

from tests.fixtures import *  # noqa: F403

from .booking_helpers import booking_window, residents  # noqa: F401


@pytest.fixture(autouse=True)
def no_challenge_unless_asked(settings):
    """Tests hold many times as one resident; the challenge has its own test."""
    settings.ONETRIP_BOOKING_CAPTCHA_AFTER_HOLDS = 1000
    settings.ONETRIP_BOOKING_HOLDS_PER_RESIDENT_PER_HOUR = 1000
