"""One zone's ferry agent for the fault suite: `python -m tests.ferry.faults.agent police`.

`onetrip ferry run` plus the suite's test-only contracts and handlers. Databases, ferry
directory, keys, transport and timings come from the environment (see harness.agent_env).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onetrip.settings.test")
    import django

    django.setup()

    from onetrip.ferry.agent.loop import run_forever
    from tests.ferry.faults import contracts  # noqa: F401  (registers contracts and handlers)

    run_forever(sys.argv[1])


if __name__ == "__main__":
    main()
