"""Run a command that ends when the process that started it ends, however that one ended.

`onetrip up` starts every service in a session of its own, so that stopping it stops the
service's own children too (a gunicorn's workers). A session of its own also means the
terminal's Ctrl-C and a supervisor killed outright (SIGKILL, a test's timeout) reach no child:
services kept serving, holding their ports and CPUs, long after `onetrip up` was gone. On Linux
the kernel can tell a process when its parent dies (`PR_SET_PDEATHSIG`); the setting survives
`exec`, so this small launcher asks for SIGTERM, the signal every service shuts down cleanly on,
then becomes the command.

Usage: python -m onetrip.parentwatch <parent pid> <command> [args…]
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> None:
    parent, command = int(argv[0]), argv[1:]
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the kernel was asked
            sys.exit(0)
    os.execvp(command[0], command)  # noqa: S606 (the command as given, as Popen would)


if __name__ == "__main__":
    main(sys.argv[1:])
