"""Run one zone's ferry agent as its own process: `python -m tests.ferry.agent_process police`.

Used by the SIGKILL test. It is `onetrip ferry run` plus the test-only contracts and handlers,
which a real zone process would not have. Databases, ferry directories and keys come from the
environment (ONETRIP_*_DATABASE_URL, ONETRIP_FERRY_DIR, ONETRIP_FERRY_KEYS_DIR).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onetrip.settings.test")
    import django

    django.setup()

    from onetrip.ferry.agent.loop import run_forever
    from tests.ferry import pingpong  # noqa: F401  (registers the test contracts and handlers)

    run_forever(sys.argv[1])


if __name__ == "__main__":
    main()
