"""`onetrip up`: the whole platform on one machine, on SQLite, for a demo or development.

Prepares both zones (keys, migrations, reference and demo data), then runs and supervises the
citizen portal, the police workbench, both ferry agents, the task workers, the sweepers and the SMS
courier and department-data simulators.
A process that dies is restarted; Ctrl-C stops everything.

Environment: ONETRIP_HOST (127.0.0.1), ONETRIP_PORTAL_PORT (8000), ONETRIP_POLICE_PORT (8001),
ONETRIP_SMS_PORT (8025), ONETRIP_COURIER_PORT (8026), ONETRIP_VAR_DIR (./var: SQLite files, ferry
directory, keys, the simulators' stores), ONETRIP_WEB_WORKERS and ONETRIP_WEB_THREADS (2 and 4:
each zone's gunicorn processes and threads);
ONETRIP_SMS_GATEWAY_URL defaults to the simulator started here, and ONETRIP_PORTAL_PUBLIC_URL (the
address the links in SMS point at) to the portal started here; ONETRIP_COURIER_URL defaults to the
courier simulator started here, ONETRIP_COURIER_SECRET (the callbacks' shared secret, which the
simulator reads from the environment too) to the simulator's published development secret, and
ONETRIP_COURIER_CALLBACK_URL to the workbench's /courier/callbacks/; ONETRIP_EGOV_SOURCES and
ONETRIP_EGOV_SIGNING_KEY to the department-data simulator on ONETRIP_EGOV_PORT (8027) and its
published development keys. Every process gets the same
environment, so any setting of `onetrip.settings.base` (ONETRIP_DEBUG, ONETRIP_*_DATABASE_URL, …)
applies to all of them. DEBUG stays off unless ONETRIP_DEBUG=1: residents of a demo never see
Django's debug pages, and whitenoise serves the static files either way.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from onetrip.simulators.courier import DEV_SECRET as COURIER_DEV_SECRET
from onetrip.simulators.egov import dev_signing_setting, dev_sources_setting

PORTAL_PORT = int(os.environ.get("ONETRIP_PORTAL_PORT", "8000"))
POLICE_PORT = int(os.environ.get("ONETRIP_POLICE_PORT", "8001"))
SMS_PORT = int(os.environ.get("ONETRIP_SMS_PORT", "8025"))
COURIER_PORT = int(os.environ.get("ONETRIP_COURIER_PORT", "8026"))
EGOV_PORT = int(os.environ.get("ONETRIP_EGOV_PORT", "8027"))
HOST = os.environ.get("ONETRIP_HOST", "127.0.0.1")
# Each zone's gunicorn: worker processes, and threads in each.
WEB_WORKERS = int(os.environ.get("ONETRIP_WEB_WORKERS", "2"))
WEB_THREADS = int(os.environ.get("ONETRIP_WEB_THREADS", "4"))

# A row of `load_demo_staff`'s report: username, created|exists, role, scope.
_STAFF_ROW = re.compile(r"^\s+(?P<username>\S+)\s+(?:created|exists)\s+(?P<rest>\S.*?)\s*$")


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _onetrip(zone: str, *args: str) -> list[str]:
    return [_bin("onetrip"), "--zone", zone, *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("ONETRIP_SMS_GATEWAY_URL", f"http://{HOST}:{SMS_PORT}")
    # The links in SMS (a waitlist offer, "choose again") lead to this portal, on its port.
    env.setdefault("ONETRIP_PORTAL_PUBLIC_URL", f"http://{HOST}:{PORTAL_PORT}")
    # The courier simulator and the police zone share the callbacks' secret through the
    # environment (not the command line, where `ps` would show it).
    env.setdefault("ONETRIP_COURIER_URL", f"http://{HOST}:{COURIER_PORT}")
    env.setdefault("ONETRIP_COURIER_SECRET", COURIER_DEV_SECRET)
    env.setdefault(
        "ONETRIP_COURIER_CALLBACK_URL", f"http://{HOST}:{POLICE_PORT}/courier/callbacks/"
    )
    # The police zone asks the department-data simulator, signing with the published dev key.
    env.setdefault(
        "ONETRIP_EGOV_SOURCES", json.dumps(dev_sources_setting(f"http://{HOST}:{EGOV_PORT}"))
    )
    env.setdefault("ONETRIP_EGOV_SIGNING_KEY", dev_signing_setting())
    env.setdefault("PYTHONUNBUFFERED", "1")
    # A demo: the demo approvers and administrators get the published TOTP secret, so the
    # README's log-in works without enrolling an authenticator first (MLPS-3 d).
    env.setdefault("ONETRIP_DEMO", "1")
    return env


def demo_staff(report: str) -> tuple[str, list[tuple[str, str]]]:
    """The heading and the (username, role and scope) rows of `load_demo_staff`'s report: the
    banner shows the accounts that command keeps, never a list of its own."""
    lines = report.splitlines()
    heading = next((line.strip() for line in lines if line.strip()), "")
    rows = []
    for line in lines[1:]:
        match = _STAFF_ROW.match(line)
        if match:
            rows.append((match["username"], re.sub(r"\s{2,}", " · ", match["rest"])))
    return heading, rows


def prepare(env: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    """Keys, migrations, reference and demo data, static files; returns the demo staff."""
    staff: tuple[str, list[tuple[str, str]]] = ("", [])
    steps = [
        _onetrip("portal", "ferry", "keygen"),
        _onetrip("police", "ferry", "keygen"),
        _onetrip("police", "card_production", "keygen"),
        _onetrip("portal", "migrate", "--no-input", "-v", "0"),
        _onetrip("portal", "createcachetable"),
        _onetrip("police", "migrate", "--no-input", "-v", "0"),
        _onetrip("police", "createcachetable"),
        _onetrip("police", "load_reference"),
        _onetrip("police", "load_demo_guidance"),
        _onetrip("police", "load_demo_staff"),
        _onetrip("police", "load_demo_register"),
        _onetrip("portal", "load_demo_residents"),
        _onetrip("police", "load_demo_reporting"),
        _onetrip("portal", "load_demo_organisations"),
        _onetrip("portal", "collectstatic", "--no-input", "-v", "0"),
        _onetrip("police", "collectstatic", "--no-input", "-v", "0"),
    ]
    for cmd in steps:
        print("» " + " ".join(cmd[1:]), flush=True)
        if cmd[-1] == "load_demo_staff":
            done = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True)
            sys.stdout.write(done.stdout)
            staff = demo_staff(done.stdout)
        else:
            subprocess.run(cmd, env=env, check=True)
    return staff


@dataclass
class Service:
    name: str
    cmd: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "onetrip.parentwatch", str(os.getpid()), *self.cmd],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started_at = time.monotonic()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            sys.stdout.write(f"{self.name:>14} | {line.decode(errors='replace')}")
            sys.stdout.flush()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)


def gunicorn(bind: str, app: str) -> list[str]:
    """The command that serves one zone's WSGI `app` on `bind` (also used by benchmarks)."""
    return [
        _bin("gunicorn"),
        "--workers",
        str(WEB_WORKERS),
        "--threads",
        str(WEB_THREADS),
        "--no-control-socket",
        "--access-logfile",
        "-",
        "-b",
        bind,
        app,
    ]


def services(env: dict[str, str]) -> list[Service]:
    var = Path(env.get("ONETRIP_VAR_DIR", Path.cwd() / "var"))
    return [
        Service(
            "sms-simulator",
            [
                sys.executable,
                "-m",
                "onetrip.simulators.sms",
                "--host",
                HOST,
                "--port",
                str(SMS_PORT),
                "--store",
                str(var / "sms"),
            ],
            env,
        ),
        Service(
            "courier-sim",
            [
                sys.executable,
                "-m",
                "onetrip.simulators.courier",
                "--host",
                HOST,
                "--port",
                str(COURIER_PORT),
                "--store",
                str(var / "courier"),
            ],
            env,
        ),
        Service(
            "egov-sim",
            [
                sys.executable,
                "-m",
                "onetrip.simulators.egov",
                "--host",
                HOST,
                "--port",
                str(EGOV_PORT),
            ],
            env,
        ),
        Service("portal", gunicorn(f"{HOST}:{PORTAL_PORT}", "onetrip.portal.wsgi"), env),
        Service("police", gunicorn(f"{HOST}:{POLICE_PORT}", "onetrip.police.wsgi"), env),
        Service("ferry-portal", _onetrip("portal", "ferry", "run"), env),
        Service("ferry-police", _onetrip("police", "ferry", "run"), env),
        Service(
            "worker-portal",
            _onetrip(
                "portal",
                "db_worker",
                "--queue-name",
                "*",
                "--exclude-queues",
                "reporting",
                "--interval",
                "0.2",
                "--no-reload",
            ),
            env,
        ),
        # Organisations' files, on their own worker: a 500,000-row import never delays a login
        # code; a killed import is taken over by the sweeper from its last committed chunk.
        Service(
            "worker-reporting",
            _onetrip(
                "portal",
                "db_worker",
                "--queue-name",
                "reporting",
                "--interval",
                "0.5",
                "--no-reload",
            ),
            env,
        ),
        Service("import-sweeper", _onetrip("portal", "import_sweep", "--every", "60"), env),
        Service("sms-sweeper", _onetrip("portal", "sms_sweep", "--every", "60"), env),
        # Booking holds past their five minutes and lapsed waitlist offers are let go, and the
        # day-before reminders queued, once a minute (each reminder once: see booking_sweep).
        Service("booking-sweeper", _onetrip("portal", "booking_sweep", "--every", "60"), env),
        # Residence-permit cards: endorsement windows opened, unendorsed anniversaries
        # suspended (WF-3); idempotent, so a short period costs a few indexed reads.
        Service("card-sweeper", _onetrip("police", "card_sweep", "--every", "300"), env),
        # Card delivery: courier orders retried when due, the alarm for orders failing too
        # long, reminders for uncollected cards (each under its row lock, so idempotent).
        Service("delivery-sweeper", _onetrip("police", "delivery_sweep", "--every", "60"), env),
        # Proofs left "to be checked" while a department source was down are asked again.
        Service("egov-sweeper", _onetrip("police", "egov_sweep", "--every", "120"), env),
        Service("audit-anchor", _onetrip("police", "audit", "anchor", "--every", "60"), env),
        Service(
            "worker-police",
            _onetrip(
                "police", "db_worker", "--queue-name", "*", "--interval", "0.5", "--no-reload"
            ),
            env,
        ),
    ]


def banner(staff: tuple[str, list[tuple[str, str]]], env: dict[str, str]) -> str:
    heading, rows = staff
    accounts = "\n".join(f"    {username:<17} {what}" for username, what in rows)
    debug = "on" if env.get("ONETRIP_DEBUG") == "1" else "off (ONETRIP_DEBUG=1 turns it on)"
    return f"""
==============================================================================
 居住证服务平台 OneTrip is running — for development and demos only
   居民门户 citizen portal     http://{HOST}:{PORTAL_PORT}/
   民警工作台 police workbench  http://{HOST}:{POLICE_PORT}/
   短信模拟器 SMS simulator     http://{HOST}:{SMS_PORT}/   (login codes appear here)
   快递模拟器 courier simulator http://{HOST}:{COURIER_PORT}/   (card deliveries)
   部门数据模拟器 department data http://{HOST}:{EGOV_PORT}/_control/queries   (人社 住建 教育 人口)
 Residents: log in with any mobile number, e.g. 13800138000, and the code shown
            on the SMS simulator page.
 Organisations (单位报送, /org/): log in as the HR clerk of 杭州示例科技有限公司 with
            13705710001 (approved employer) or the rental agency's 13705710002;
            `onetrip import FILE --org 91330106MA2H00001E` imports from the shell.
 Staff — {heading}
{accounts}
 Django DEBUG: {debug}.
 Ctrl-C stops everything.
==============================================================================
""".rstrip()


def up(args: list[str]) -> int:
    env = _env()
    staff = prepare(env)
    running = services(env)
    stopping = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    for service in running:
        service.start()
    time.sleep(1.5)
    print(banner(staff, env), flush=True)
    while not stopping.wait(0.5):
        for service in running:
            assert service.process is not None
            if service.process.poll() is not None:
                service.restarts += 1
                delay = min(30, 2**service.restarts)
                if time.monotonic() - service.started_at > 60:
                    service.restarts, delay = 0, 1
                print(
                    f"{service.name} exited ({service.process.returncode}); restarting in {delay}s"
                )
                time.sleep(delay)
                service.start()
    for service in running:
        service.stop()
    deadline = time.monotonic() + 10
    for service in running:
        assert service.process is not None
        try:
            service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            service.kill()
    return 0
