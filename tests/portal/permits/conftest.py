import pytest

from tests.ferry.helpers import ferry_env  # noqa: F401
from tests.fixtures import *  # noqa: F403


@pytest.fixture
def files_dir(tmp_path, settings):
    """The file store of this test alone, so a test can see every file it left behind."""
    settings.ONETRIP_FILES_DIR = tmp_path / "files"
    return settings.ONETRIP_FILES_DIR
