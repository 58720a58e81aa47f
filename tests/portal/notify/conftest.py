import pytest

from onetrip.simulators.sms import SmsSimulator


@pytest.fixture
def sms_simulator(tmp_path, settings):
    """The SMS gateway simulator on a free loopback port, wired in as the portal's gateway."""
    with SmsSimulator(store=tmp_path / "sms") as sim:
        settings.ONETRIP_SMS_GATEWAY_URL = sim.url
        yield sim
