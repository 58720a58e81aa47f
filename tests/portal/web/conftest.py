from tests.portal.notify.conftest import sms_simulator

__all__ = ["sms_simulator"]
