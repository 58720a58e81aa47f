"""The fault-injection driver: real agent processes, SIGKILLs, a hostile gateway, exact checks.

One run (`FaultRun.run`):

1. Start the portal and police agents as subprocesses (`tests.ferry.faults.agent`) on the
   on-disk test databases. For `dir` each gets its own ferry directory and the `Gateway` carries
   documents between them, with faults; for `amqp` both use RabbitMQ and faults are kills only.
2. Emit N pings from the portal in random chunks (at most `window` in flight), while at random
   moments one agent is SIGKILLed and restarted after a random pause. The police handler answers
   every ping with a pong, so both channels are loaded.
3. Once every ping is applied and every pong is back, stop the faults (restart any dead agent,
   let the gateway deliver what it holds, cleanly) and wait until every batch is acknowledged
   and every directory is empty. Stop the agents with SIGTERM.
4. Check, exactly: every ping applied once with the checksum it was sent with, one pong per
   ping (the handler's effect), every pong applied once, channel heads and hash chains equal on
   both sides, every tampered document the gateway delivered quarantined, and nothing else
   quarantined and no security alarm.

Every random decision comes from `random.Random(seed)`; timing still varies from run to run, so a
seed reproduces the faults' kinds and rates, not their exact interleaving.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.db import connections

from onetrip.ferry.agent.receiver import CONFLICT_REASON
from onetrip.ferry.protocol.channels import CHANNELS, POLICE_TO_PORTAL, PORTAL_TO_POLICE
from onetrip.ferry.protocol.envelope import sha256_hex
from onetrip.ferry.protocol.sealing import generate_encryption_key
from onetrip.ferry.protocol.signing import generate_key
from onetrip.ferry.registry import get_store

from .contracts import PING, PONG, emit_pings
from .gateway import ACKS, BATCHES, QUARANTINE, FaultRates, Gateway

REPO = Path(__file__).resolve().parents[3]
ZONES = ("portal", "police")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value.replace("_", "").replace(",", "")) if value else default


def env_seeds(default: str = "1") -> list[int]:
    text = os.environ.get("ONETRIP_FAULT_SEEDS", "").strip() or default
    return [int(s) for s in text.replace(" ", "").split(",") if s]


def database_url(alias: str) -> str:
    """A URL for the test database behind `alias`, for a child process's dj_database_url."""
    conf = connections[alias].settings_dict
    if conf["ENGINE"] == "django.db.backends.sqlite3":
        # The same 30 s lock timeout the settings give a file database (a URL gets 5 s).
        return f"sqlite:///{Path(conf['NAME']).resolve()}?timeout=30"
    user = quote(conf.get("USER") or "")
    password = f":{quote(conf['PASSWORD'])}" if conf.get("PASSWORD") else ""
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{conf['NAME']}"


@dataclass
class FaultConfig:
    seed: int
    transport: str = "dir"
    messages: int = 2000
    batch_max: int = 25
    resend_after: float = 1.0
    poll: float = 0.05
    window: int = 400  # pings emitted but not yet applied, at most
    kill_every: float = 2.0  # mean seconds between two SIGKILLs (of either agent)
    restart_pause: float = 0.6  # at most, before a killed agent is started again
    stall_seconds: float = 60.0  # no progress at all for this long fails the run
    heartbeat: float = 2.0  # an idle sender's heartbeat (v2 protocol), so some travel too
    rates: FaultRates = field(default_factory=FaultRates)
    amqp_url: str = ""
    amqp_prefix: str = ""
    close_connections_every: float = 4.0  # amqp: mean seconds between connection closings
    encrypt: bool = False  # seal batch bodies to the receiver's X25519 key (FERRY_ENCRYPT)

    @property
    def timeout(self) -> float:
        """A backstop only: a wedged channel fails much sooner, through `stall_seconds`."""
        return 300.0 + self.messages * 0.15

    def reproduce(self) -> str:
        test = "sealed" if self.encrypt else "exactly_once_under_faults"
        return (
            f"ONETRIP_FAULT_SEEDS={self.seed} ONETRIP_FAULT_MESSAGES={self.messages} "
            f".venv/bin/pytest tests/ferry/faults -m slow "
            f"-k '{test} and seed{self.seed}-{self.transport}'"
        )


class Agent:
    """One zone's agent process; killed and restarted at will."""

    def __init__(self, zone: str, env: dict[str, str], log: Path) -> None:
        self.zone, self.env, self.log = zone, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = self.kills = 0
        self.unexpected_exits: list[int] = []

    def start(self) -> None:
        with self.log.open("ab") as out:
            out.write(f"--- start #{self.starts + 1} ---\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.ferry.faults.agent", self.zone],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def check(self) -> None:
        """Note an exit we did not cause, and start the agent again (the suite must go on)."""
        if self.proc is not None and self.proc.poll() is not None:
            self.unexpected_exits.append(self.proc.returncode)
            self.proc = None

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
            self.proc = None
            self.kills += 1

    def stop(self) -> int:
        """SIGTERM: the agent finishes its batch and exits 0."""
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        return code

    def tail(self, chars: int = 2500) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""


class ConnectionCloser:
    """For `amqp`: at random moments, close the agents' broker connections with rabbitmqctl.

    Only connections whose name carries this run's queue prefix are closed (the broker may be
    shared). Runs in a thread because each rabbitmqctl call takes a second or two."""

    def __init__(self, prefix: str, mean_seconds: float, rng: random.Random) -> None:
        self.prefix, self.mean, self.rng = prefix, mean_seconds, rng
        self.closed = self.failures = 0
        self.last_failure = ""
        self.problem = "" if shutil.which("rabbitmqctl") else "rabbitmqctl not found"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        if not self.problem:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _ctl(self, *args: str) -> str:
        result = subprocess.run(
            ["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=30
        )
        if result.returncode != 0:  # e.g. the broker is down: try again next time
            self.failures += 1
            self.last_failure = f"rabbitmqctl {args[0]}: {result.stderr.strip()[:120]}"
        return result.stdout

    def _run(self) -> None:
        while not self._stop.wait(self.rng.expovariate(1 / self.mean)):
            listing = self._ctl("list_connections", "pid", "client_properties")
            for line in listing.splitlines():
                if f"onetrip-ferry {self.prefix} " in line:
                    self._ctl("close_connection", line.split("\t", 1)[0], "fault suite")
                    self.closed += 1


class FaultRunFailed(AssertionError):
    pass


class FaultRun:
    def __init__(self, config: FaultConfig, workdir: Path) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.workdir = workdir
        self.keys = workdir / "keys"
        self.roots = {"portal": workdir / "ferry-portal", "police": workdir / "ferry-police"}
        for channel in CHANNELS:
            generate_key(channel, self.keys)
            if config.encrypt:
                generate_encryption_key(channel, self.keys)
        self.gateway = (
            Gateway(self.roots, random.Random(self.rng.random()), config.rates)
            if config.transport == "dir"
            else None
        )
        self.closer = (
            ConnectionCloser(
                config.amqp_prefix, config.close_connections_every, random.Random(self.rng.random())
            )
            if config.transport == "amqp" and config.close_connections_every > 0
            else None
        )
        self.agents = {
            zone: Agent(zone, self._env(zone), workdir / f"{zone}.log") for zone in ZONES
        }
        self.sent: dict[str, tuple[int, str]] = {}
        self.started = time.monotonic()
        self.figures: dict[str, object] = {}

    def _env(self, zone: str) -> dict[str, str]:
        c = self.config
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "onetrip.settings.test",
            "ONETRIP_PORTAL_DATABASE_URL": database_url("default"),
            "ONETRIP_POLICE_DATABASE_URL": database_url("police"),
            "ONETRIP_FERRY_KEYS_DIR": str(self.keys),
            "ONETRIP_FERRY_POLL": str(c.poll),
            "ONETRIP_FERRY_BATCH_MAX": str(c.batch_max),
            "ONETRIP_FERRY_RESEND_AFTER": str(c.resend_after),
            "ONETRIP_FERRY_ENCRYPT": "1" if c.encrypt else "",
            "ONETRIP_FERRY_HEARTBEAT": str(c.heartbeat),
            "ONETRIP_FERRY_TRANSPORT": c.transport,
            "ONETRIP_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        if c.transport == "dir":
            env["ONETRIP_FERRY_DIR"] = str(self.roots[zone])
        else:
            env["ONETRIP_FERRY_DIR"] = str(self.workdir / "ferry-unused")
            env["ONETRIP_FERRY_AMQP_URL"] = c.amqp_url
            env["ONETRIP_FERRY_AMQP_PREFIX"] = c.amqp_prefix
        return env

    # -- the run ---------------------------------------------------------------------------------

    def run(self) -> dict[str, object]:
        try:
            self._drive()
            self._check()
        except Exception as exc:
            raise FaultRunFailed(self._failure(exc)) from exc
        finally:
            if self.closer is not None:
                self.closer.stop()
            for agent in self.agents.values():
                if agent.running:
                    agent.stop()
        self.figures["seconds"] = round(time.monotonic() - self.started, 1)
        return self.figures

    def _elapsed(self) -> float:
        return time.monotonic() - self.started

    def _drive(self) -> None:
        c, rng = self.config, self.rng
        for agent in self.agents.values():
            agent.start()
        if self.closer is not None:
            self.closer.start()
        now = time.monotonic()
        next_emit, next_kill = now, now + rng.expovariate(1 / c.kill_every)
        restart_at: dict[str, float] = {}
        applied = pongs = 0
        next_count = now
        deadline = self.started + c.timeout
        stall = _StallWatch(c.stall_seconds)
        # Phase 1: load and faults.
        while applied < c.messages or pongs < c.messages:
            now = time.monotonic()
            if now > deadline:
                raise AssertionError(
                    f"timed out with faults on: {applied} pings applied, {pongs} pongs back"
                )
            if now >= next_count:
                applied, pongs = self._progress()
                next_count = now + 0.2
                stall.see((len(self.sent), applied, pongs), now)
            emitted = len(self.sent)
            if emitted < c.messages and now >= next_emit and emitted - applied < c.window:
                count = min(rng.randint(1, 60), c.messages - emitted)
                self.sent.update(emit_pings(emitted, count, rng))
                next_emit = now + rng.uniform(0.0, 0.08)
            if now >= next_kill:
                zone = rng.choice(ZONES)
                if self.agents[zone].running:
                    self.agents[zone].kill()
                    restart_at[zone] = now + rng.uniform(0.0, c.restart_pause)
                next_kill = now + rng.expovariate(1 / c.kill_every)
            for zone, agent in self.agents.items():
                agent.check()
                if not agent.running and now >= restart_at.get(zone, 0.0):
                    agent.start()
                    restart_at.pop(zone, None)
            if self.gateway is not None:
                self.gateway.step(faults=True)
            time.sleep(0.01)
        self.figures["faults_seconds"] = round(self._elapsed(), 1)
        closer = self.closer
        if closer is not None:
            closer.stop()
            self.figures["connections_closed"] = closer.closed
            if closer.problem or closer.failures:
                self.figures["connection_closing"] = (
                    closer.problem
                    or f"{closer.failures} rabbitmqctl failures, last: {closer.last_failure}"
                )
        # Phase 2: calm. Every agent up, the gateway carries cleanly, until all is acknowledged.
        for agent in self.agents.values():
            agent.check()
            if not agent.running:
                agent.start()
        quiet_since = None
        stall = _StallWatch(c.stall_seconds)
        while True:
            now = time.monotonic()
            if now > deadline:
                raise AssertionError(f"timed out draining: {self._drain_state()}")
            stall.see(tuple(self._drain_state().values()), now)
            for agent in self.agents.values():
                agent.check()
                if not agent.running:
                    agent.start()
            moved = self.gateway.step(faults=False) if self.gateway is not None else 0
            if moved or not self._drained():
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since > 3 * c.poll + 0.3:
                break
            time.sleep(0.05)
        self.figures["drain_seconds"] = round(self._elapsed() - self.figures["faults_seconds"], 1)
        for zone, agent in self.agents.items():
            code = agent.stop()
            assert code == 0, f"{zone} agent exited {code} on SIGTERM"

    def _progress(self) -> tuple[int, int]:
        police, portal = get_store("police"), get_store("portal")
        applied = police.inbox._default_manager.filter(message_type=PING).count()
        pongs = portal.inbox._default_manager.filter(message_type=PONG).count()
        return applied, pongs

    def _drained(self) -> bool:
        return not any(self._drain_state().values())

    def _drain_state(self) -> dict[str, int]:
        state: dict[str, int] = {}
        applied, pongs = self._progress()
        state["pings_missing"] = self.config.messages - applied
        state["pongs_missing"] = self.config.messages - pongs
        for zone in ZONES:
            store = get_store(zone)
            state[f"{zone}_unbatched"] = store.outbox._default_manager.filter(
                sequence__isnull=True
            ).count()
            state[f"{zone}_unacked"] = store.sent_batch._default_manager.filter(
                acked_at__isnull=True
            ).count()
        if self.gateway is not None:
            state["gateway_held"] = len(self.gateway.held)
            state["files_waiting"] = len(self.gateway.pending_files())
        return state

    # -- the checks ------------------------------------------------------------------------------

    def _check(self) -> None:
        c = self.config
        police, portal = get_store("police"), get_store("portal")
        assert len(self.sent) == c.messages

        # Every ping applied exactly once, in sequence, none rejected (a rejected ping would be a
        # checksum mismatch: a corrupted payload got through).
        inbox = list(
            police.inbox._default_manager.filter(channel=PORTAL_TO_POLICE)
            .order_by("sequence")
            .values_list("message_id", "sequence", "status", "message_type")
        )
        assert len(inbox) == c.messages, f"police inbox has {len(inbox)} rows, sent {c.messages}"
        assert {str(m) for m, *_ in inbox} == set(self.sent), "applied pings differ from sent"
        assert [s for _, s, *_ in inbox] == list(range(1, c.messages + 1))
        assert Counter(st for _, _, st, _ in inbox) == Counter({"applied": c.messages})

        # The handler's effect exactly once: one pong per ping, carrying the ping's checksum.
        pongs = list(
            police.outbox._default_manager.filter(message_type=PONG).values_list(
                "message_id", "aggregate_id", "payload"
            )
        )
        per_ping = Counter(aggregate for _, aggregate, _ in pongs)
        twice = [ping for ping, n in per_ping.items() if n > 1]
        assert not twice, f"{len(twice)} pings took effect more than once, e.g. {twice[:3]}"
        assert set(per_ping) == set(self.sent), "some pings have no pong"
        for _, ping_id, payload in pongs:
            n, digest = self.sent[ping_id]
            assert (payload["n"], payload["sha256"], payload["ping_id"]) == (n, digest, ping_id)

        # Every pong applied exactly once at the portal.
        back = list(
            portal.inbox._default_manager.filter(channel=POLICE_TO_PORTAL)
            .order_by("sequence")
            .values_list("message_id", "sequence", "status")
        )
        assert len(back) == c.messages
        assert {m for m, *_ in back} == {m for m, *_ in pongs}, "applied pongs differ from sent"
        assert [s for _, s, _ in back] == list(range(1, c.messages + 1))
        assert {st for *_, st in back} == {"applied"}

        # Both ends agree on each channel's head, hash chain and batches; all acknowledged.
        for channel, sender, receiver in (
            (PORTAL_TO_POLICE, portal, police),
            (POLICE_TO_PORTAL, police, portal),
        ):
            out = sender.channel_state._default_manager.get(channel=channel)
            into = receiver.channel_state._default_manager.get(channel=channel)
            assert (out.last_seq, out.last_batch_sha256) == (
                into.last_seq,
                into.last_batch_sha256,
            ), f"{channel}: sender and receiver heads differ"
            assert out.last_seq == c.messages
            sent = dict(
                sender.sent_batch._default_manager.filter(channel=channel).values_list(
                    "first_seq", "sha256"
                )
            )
            got = dict(
                receiver.received_batch._default_manager.filter(channel=channel).values_list(
                    "first_seq", "sha256"
                )
            )
            assert sent == got, f"{channel}: applied batches differ from the batches sent"
            if c.encrypt:
                bodies = sender.sent_batch._default_manager.filter(channel=channel).values_list(
                    "body", flat=True
                )
                clear = [b for b in bodies if b'"encryption":' not in bytes(b).split(b"\n", 1)[0]]
                assert not clear, f"{channel}: {len(clear)} batches were sent unsealed"
            assert not sender.sent_batch._default_manager.filter(
                channel=channel, acked_at__isnull=True
            ).exists()
            self.figures[f"batches_{channel}"] = len(sent)
            self.figures[f"resends_{channel}"] = sum(
                sender.sent_batch._default_manager.filter(channel=channel).values_list(
                    "send_count", flat=True
                )
            ) - len(sent)

        self._check_quarantine()
        if self.gateway is not None:
            assert not self.gateway.held, "the gateway still holds documents"
            # A heartbeat may go out at any idle moment, even just before the agents stop.
            left = [p for p in self.gateway.pending_files() if not _HEARTBEAT.match(p.name)]
            assert not left, f"documents left behind: {[str(p) for p in left[:5]]}"
        for zone, agent in self.agents.items():
            assert not agent.unexpected_exits, (
                f"{zone} agent exited on its own: {agent.unexpected_exits}"
            )
            self.figures[f"kills_{zone}"] = agent.kills

    def _check_quarantine(self) -> None:
        """Every tampered document delivered was quarantined; nothing genuine was; no alarms."""
        tampered: dict[tuple[str, str], set[str]] = {}
        delivered: Counter[str] = Counter()
        for t in self.gateway.tampered if self.gateway is not None else []:
            if t.kind in (BATCHES, ACKS):
                tampered.setdefault((t.channel, t.kind), set()).add(t.sha256)
                delivered[f"{t.fault}:{t.kind}"] += 1
        events: Counter[str] = Counter()
        for channel in CHANNELS:
            for kind, zone in ((BATCHES, _receiver(channel)), (ACKS, _sender(channel))):
                store = get_store(zone)
                records = list(
                    store.quarantined_batch._default_manager.filter(
                        channel=channel, kind__in=_RECORD_KINDS[kind]
                    ).values_list("sha256", "reason", "times_seen", "file_name")
                )
                expected = tampered.get((channel, kind), set())
                for sha, reason, _seen, name in records:
                    assert sha in expected, (
                        f"{zone} quarantined a {kind} document the gateway did not tamper with: "
                        f"{channel}/{name}: {reason}"
                    )
                    assert reason != CONFLICT_REASON and "chain" not in reason, (
                        f"security alarm on {channel}/{name}: {reason}"
                    )
                events[kind] += sum(seen for _, _, seen, _ in records)
                evidence = {sha for sha, *_ in records}
                if self.gateway is not None:
                    files = _quarantine_dir_shas(self.roots[zone] / channel / QUARANTINE)
                    evidence |= set(files)
                    # A file moved aside but not recorded (SIGKILL in between) still counts.
                    events[kind] += max(0, len(files) - len(records))
                missed = expected - evidence
                assert not missed, (
                    f"{len(missed)} tampered {channel}/{kind} documents reached {zone} "
                    "and were not quarantined"
                )
        for kind in (BATCHES, ACKS):
            carried = sum(n for key, n in delivered.items() if key.endswith(f":{kind}"))
            assert events[kind] == carried, (
                f"{carried} tampered {kind} delivered, but {events[kind]} quarantine events"
            )
        self.figures["tampered_delivered"] = dict(sorted(delivered.items()))
        self._check_alarms()
        self.figures["quarantine_events"] = dict(events)
        if self.gateway is not None:
            self.figures["gateway"] = dict(sorted(self.gateway.stats.items()))

    def _check_alarms(self) -> None:
        tampered = {(t.channel, t.name) for t in self.gateway.tampered} if self.gateway else set()
        for zone in ZONES:
            rows = list(
                get_store(zone).alarm._default_manager.values_list("kind", "channel", "key")
            )
            bad = [r for r in rows if r[0] in FORBIDDEN_ALARMS]
            assert not bad, f"{zone} raised alarms no gateway fault may cause: {bad[:5]}"
            for kind, channel, key in rows:
                if kind in ("gap", "heartbeat_missing"):
                    continue  # delays and dead agents
                name = key.split(":", 1)[-1]
                assert (channel, name) in tampered, (
                    f"{zone} raised a {kind} alarm for {channel}/{key}, which was not tampered with"
                )
            self.figures[f"alarms_{zone}"] = dict(sorted(Counter(r[0] for r in rows).items()))

    def _failure(self, exc: Exception) -> str:
        c = self.config
        lines = [
            f"FAULT RUN FAILED: seed={c.seed} transport={c.transport} messages={c.messages} "
            f"after {self._elapsed():.1f}s: {type(exc).__name__}: {exc}",
            f"reproduce: {c.reproduce()}",
        ]
        try:
            lines.append(f"state: {json.dumps(self._drain_state())}")
        except Exception as state_exc:  # the database itself may be the problem
            lines.append(f"state unavailable: {state_exc!r}")
        if self.gateway is not None:
            lines.append(f"gateway: {json.dumps(dict(sorted(self.gateway.stats.items())))}")
        for zone, agent in self.agents.items():
            lines.append(
                f"--- {zone} agent: starts={agent.starts} kills={agent.kills} "
                f"unexpected exits={agent.unexpected_exits}; log tail ({agent.log}):"
            )
            lines.append(agent.tail())
        return "\n".join(lines)


class _StallWatch:
    """Fail early when nothing has moved for a while (a wedged channel), not at the timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.last: tuple[int, ...] | None = None
        self.since = time.monotonic()

    def see(self, state: tuple[int, ...], now: float) -> None:
        if state != self.last:
            self.last, self.since = state, now
        elif now - self.since > self.seconds:
            raise AssertionError(f"no progress for {self.seconds:.0f}s (stuck at {state})")


# QuarantinedBatch kinds of what travels in each directory: heartbeats share the batches
# directory, resend requests the acks directory.
_HEARTBEAT = re.compile(r"^heartbeat-[a-z]+\.jsonl$")
_RECORD_KINDS = {BATCHES: ("batch", "heartbeat"), ACKS: ("ack",)}
# Alarms a hostile gateway must never be able to raise: they need an authentic batch that
# conflicts, breaks the chain or is unknown. A tampered document may raise the others (a flipped
# key id reads as an unknown key), but only under a name the gateway tampered with.
FORBIDDEN_ALARMS = ("security_conflict", "chain_broken", "unknown_version")


def _sender(channel: str) -> str:
    return "portal" if channel == PORTAL_TO_POLICE else "police"


def _receiver(channel: str) -> str:
    return "police" if channel == PORTAL_TO_POLICE else "portal"


def _quarantine_dir_shas(directory: Path) -> list[str]:
    """The hashes of the files set aside in a quarantine directory (one per first sighting)."""
    if not directory.is_dir():
        return []
    return [sha256_hex(p.read_bytes()) for p in directory.iterdir() if p.is_file()]
