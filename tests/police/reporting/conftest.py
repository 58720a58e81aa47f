from tests.ferry.helpers import ferry_env  # noqa: F401
from tests.fixtures import *  # noqa: F403

from .helpers import *  # noqa: F403
