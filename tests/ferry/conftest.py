from .helpers import ferry_env  # noqa: F401  (fixture)
