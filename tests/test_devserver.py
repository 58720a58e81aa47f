"""`onetrip up`: the banner lists the demo staff `load_demo_staff` keeps, the README the same
accounts and every environment variable the supervisor reads."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from onetrip import devserver
from onetrip.police.accounts.management.commands.load_demo_staff import DEMO_PASSWORD, DEMO_STAFF
from tests.fixtures import reference_data  # noqa: F401  (fixture used by name)

README = Path(settings.BASE_DIR) / "README.md"
DEVSERVER = Path(devserver.__file__)


def _report() -> str:
    out = StringIO()
    call_command("load_demo_staff", stdout=out)
    return out.getvalue()


@pytest.mark.django_db(databases=["default", "police"])
def test_banner_lists_every_demo_account_load_demo_staff_keeps(reference_data):  # noqa: F811
    staff = devserver.demo_staff(_report())
    heading, rows = staff
    assert [username for username, _ in rows] == [d.username for d in DEMO_STAFF]
    assert DEMO_PASSWORD in heading
    banner = devserver.banner(staff, {})
    for demo in DEMO_STAFF:
        assert demo.username in banner
    assert "北山派出所" in banner  # the scope comes along
    assert "development and demos only" in banner
    assert "DEBUG: off" in banner


def test_readme_lists_the_same_demo_accounts():
    section = README.read_text(encoding="utf-8").split("## Demo log-ins", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"`([a-z]+_[a-z]+)`", section)
    assert sorted(set(listed)) == sorted(d.username for d in DEMO_STAFF)
    assert DEMO_PASSWORD in section


def test_readme_documents_every_environment_variable_of_the_supervisor():
    names = set(re.findall(r"\b(ONETRIP_[A-Z_]+)\b", DEVSERVER.read_text(encoding="utf-8")))
    readme = README.read_text(encoding="utf-8")
    assert names >= {"ONETRIP_PORTAL_PORT", "ONETRIP_POLICE_PORT", "ONETRIP_SMS_PORT"}
    assert sorted(n for n in names if n not in readme) == []


def test_gunicorn_serves_one_app_on_one_address():
    cmd = devserver.gunicorn("127.0.0.1:9999", "onetrip.portal.wsgi")
    assert cmd[-3:] == ["-b", "127.0.0.1:9999", "onetrip.portal.wsgi"]
    assert Path(cmd[0]).name == "gunicorn"


def test_debug_is_off_unless_asked_for(monkeypatch):
    monkeypatch.delenv("ONETRIP_DEBUG", raising=False)
    assert devserver._env().get("ONETRIP_DEBUG") in (None, "0")
    assert "DEBUG: off" in devserver.banner(("", []), devserver._env())
    assert "DEBUG: on" in devserver.banner(("", []), {"ONETRIP_DEBUG": "1"})


def test_links_in_sms_lead_to_the_portal_started_here(monkeypatch):
    monkeypatch.delenv("ONETRIP_PORTAL_PUBLIC_URL", raising=False)
    monkeypatch.setattr(devserver, "HOST", "127.0.0.1")
    monkeypatch.setattr(devserver, "PORTAL_PORT", 8123)
    assert devserver._env()["ONETRIP_PORTAL_PUBLIC_URL"] == "http://127.0.0.1:8123"
    monkeypatch.setenv("ONETRIP_PORTAL_PUBLIC_URL", "https://jzz.example.cn")
    assert devserver._env()["ONETRIP_PORTAL_PUBLIC_URL"] == "https://jzz.example.cn"


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in state


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_service_ends_when_the_supervisor_is_killed_outright():
    """A service runs in a session of its own, out of reach of the supervisor's signals; when
    the supervisor is killed with SIGKILL (nothing of it runs to stop the services), the
    service still ends instead of serving on as an orphan."""
    supervisor = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys, time\n"
            "from onetrip.devserver import Service\n"
            "s = Service('sleeper', [sys.executable, '-c', 'import time; time.sleep(120)'],"
            " dict(os.environ))\n"
            "s.start()\n"
            "print(s.process.pid, flush=True)\n"
            "time.sleep(120)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert supervisor.stdout is not None
    child = int(supervisor.stdout.readline())
    time.sleep(0.5)  # the launcher has become the command
    assert not _gone(child)
    assert os.getsid(child) != os.getsid(0)
    supervisor.send_signal(signal.SIGKILL)
    supervisor.wait()
    deadline = time.monotonic() + 10
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(child)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_service_is_not_started_when_its_supervisor_is_already_gone():
    from onetrip import parentwatch

    with pytest.raises(SystemExit) as stopped:
        parentwatch.main([str(os.getppid() + 999_999), "true"])
    assert stopped.value.code == 0
