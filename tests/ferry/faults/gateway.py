"""A hostile boundary gateway for the `dir` transport.

Each agent gets its own FERRY_DIR (portal: A, police: B). A channel's sender writes its batches
under <own dir>/<channel>/batches, which the real receiver never reads; the gateway *takes* them
from there and delivers them to <receiver's dir>/<channel>/batches. Everything else under a
channel (acks, and whatever the receiver writes back for the sender) travels the other way:

    A/portal_to_police/batches  →  B/portal_to_police/batches
    B/portal_to_police/acks     →  A/portal_to_police/acks
    B/police_to_portal/batches  →  A/police_to_portal/batches
    A/police_to_portal/acks     →  B/police_to_portal/acks

`quarantine` directories stay where they are. While carrying, the gateway drops, duplicates,
delays (which reorders), truncates, flips bits and misnames documents, drawing every decision from
a seeded `random.Random`. A tampered copy replaces the genuine document (only the sender's resend
can then get it through) and is recorded in `tampered`, so the suite can check the receiver
quarantined every one of them.

Delivery is atomic (hidden temporary name, then rename), like the real transport's writes. The
gateway never overwrites a different document still waiting under the same name in the target
directory: it keeps its copy until the name is free. That keeps the accounting exact (every
tampered file delivered was seen by the receiver) without changing what the receiver can be sent.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import random
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from onetrip.ferry.protocol.channels import CHANNELS, sender_of

BATCHES = "batches"
ACKS = "acks"
QUARANTINE = "quarantine"
TAMPER_KINDS = (BATCHES, ACKS)
_BATCH_NAME = re.compile(r"^(\d{12})-([0-9a-f-]{36}\.jsonl)$")
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_SIGNATURE = re.compile(rb'"signature":"([A-Za-z0-9+/=]*)"')


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class FaultRates:
    """Per carried document; whatever is left over is delivered at once, untouched."""

    drop: float = 0.05
    duplicate: float = 0.05
    delay: float = 0.10
    bitflip: float = 0.04
    truncate: float = 0.03
    misname: float = 0.02
    max_delay: float = 3.0


@dataclass(frozen=True)
class Route:
    channel: str
    kind: str
    source: Path
    target: Path


@dataclass(frozen=True)
class Tamper:
    """A corrupted document the gateway delivered to `route.target`."""

    channel: str
    kind: str
    name: str
    sha256: str
    fault: str


@dataclass(order=True)
class _Held:
    due: float
    order: int
    route: Route = field(compare=False)
    name: str = field(compare=False)
    body: bytes = field(compare=False)
    fault: str = field(compare=False, default="")


class Gateway:
    def __init__(
        self,
        roots: dict[str, Path],
        rng: random.Random,
        rates: FaultRates | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.roots = roots
        self.rng = rng
        self.rates = rates or FaultRates()
        self.clock = clock
        self.held: list[_Held] = []
        self.tampered: list[Tamper] = []
        self.stats: Counter[str] = Counter()
        self._order = 0

    # -- routes ----------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        routes = []
        for channel in CHANNELS:
            sender = sender_of(channel)
            receiver = next(zone for zone in self.roots if zone != sender)
            kinds = {BATCHES, ACKS}
            for zone in (sender, receiver):
                base = self.roots[zone] / channel
                if base.is_dir():
                    kinds.update(p.name for p in base.iterdir() if p.is_dir())
            kinds.discard(QUARANTINE)
            for kind in sorted(kinds):
                src, dst = (sender, receiver) if kind == BATCHES else (receiver, sender)
                routes.append(
                    Route(
                        channel=channel,
                        kind=kind,
                        source=self.roots[src] / channel / kind,
                        target=self.roots[dst] / channel / kind,
                    )
                )
        return routes

    # -- one step --------------------------------------------------------------------------------

    def step(self, *, faults: bool = True) -> int:
        """Take every waiting document, decide its fate, deliver what is due. Returns how many
        documents were taken or delivered (0 means the gateway had nothing to do)."""
        moved = 0
        now = self.clock()
        for route in self.routes():
            for name in _names(route.source):
                body = _take(route.source / name)
                if body is None:
                    continue
                moved += 1
                self.stats[f"taken:{route.channel}/{route.kind}"] += 1
                self._decide(route, name, body, now, faults)
        moved += self._deliver_due(now if faults else float("inf"))
        return moved

    def idle(self) -> bool:
        return not self.held and not any(_names(r.source) for r in self.routes())

    def pending_files(self) -> list[Path]:
        """Documents lying in any source or target directory (not quarantine, not hidden)."""
        paths = []
        for route in self.routes():
            for directory in (route.source, route.target):
                paths.extend(directory / name for name in _names(directory))
        return sorted(set(paths))

    # -- faults ----------------------------------------------------------------------------------

    def _hold(self, due: float, route: Route, name: str, body: bytes, fault: str = "") -> None:
        self._order += 1
        heapq.heappush(self.held, _Held(due, self._order, route, name, body, fault))

    def _decide(self, route: Route, name: str, body: bytes, now: float, faults: bool) -> None:
        r = self.rates
        if not faults:
            self._hold(now, route, name, body)
            return
        tamperable = route.kind in TAMPER_KINDS and bool(body)
        fault = _pick(
            self.rng.random(),
            [
                ("drop", r.drop),
                ("duplicate", r.duplicate),
                ("delay", r.delay),
                ("bitflip", r.bitflip if tamperable else 0.0),
                ("truncate", r.truncate if tamperable else 0.0),
                ("misname", r.misname if route.kind == BATCHES and _BATCH_NAME.match(name) else 0),
            ],
        )
        self.stats[f"{fault}:{route.kind}"] += 1
        later = now + self.rng.uniform(0.05, r.max_delay)
        if fault == "drop":
            return
        if fault == "deliver":
            self._hold(now, route, name, body)
        elif fault == "duplicate":
            self._hold(now, route, name, body)
            self._hold(later, route, name, body)
        elif fault == "delay":
            self._hold(later, route, name, body)
        elif fault == "bitflip":
            self._hold(now, route, name, flip_bit(body, self.rng), fault)
        elif fault == "truncate":
            self._hold(now, route, name, body[: self.rng.randrange(len(body))], fault)
        elif fault == "misname":
            self._hold(now, route, misname(name, self.rng), body, fault)

    def _deliver_due(self, now: float) -> int:
        due: list[_Held] = []
        while self.held and self.held[0].due <= now:
            due.append(heapq.heappop(self.held))
        self.rng.shuffle(due)  # documents due together arrive in any order
        delivered = 0
        for item in due:
            target = item.route.target / item.name
            existing = _read(target)
            if existing is not None:
                if existing == item.body:
                    self.stats["coalesced"] += 1  # the same document is already waiting
                    continue
                # Never clobber a different document the receiver has not read yet.
                item.due = self.clock() + 0.05
                self._hold(item.due, item.route, item.name, item.body, item.fault)
                continue
            _put(target, item.body)
            delivered += 1
            self.stats[f"delivered:{item.route.kind}"] += 1
            if item.fault:
                self.tampered.append(
                    Tamper(
                        channel=item.route.channel,
                        kind=item.route.kind,
                        name=item.name,
                        sha256=sha256(item.body),
                        fault=item.fault,
                    )
                )
        return delivered


def _pick(x: float, options: list[tuple[str, float]]) -> str:
    """The option whose probability slice holds `x` (uniform in [0, 1)), else "deliver"."""
    for name, p in options:
        if x < p:
            return name
        x -= p
    return "deliver"


# -- corruption ------------------------------------------------------------------------------------


def _signature_span(body: bytes) -> tuple[int, int] | None:
    first_line = body.split(b"\n", 1)[0]
    match = _SIGNATURE.search(first_line)
    return match.span(1) if match else None


def flip_bit(body: bytes, rng: random.Random) -> bytes:
    """Flip one random bit (anywhere: every byte of a document is covered by its checks)."""
    tampered = bytearray(body)
    tampered[rng.randrange(len(body))] ^= 1 << rng.randrange(8)
    return bytes(tampered)


def malleable_signature_flip(body: bytes) -> bytes:
    """Change the signature's last significant base64 character in one of its 4 ignored bits."""
    span = _signature_span(body)
    assert span is not None, "no signature in the first line"
    signature = body[span[0] : span[1]].decode()
    index = len(signature.rstrip("=")) - 1
    value = _B64.index(signature[index])
    forged = signature[:index] + _B64[value ^ 1] + signature[index + 1 :]
    return body[: span[0]] + forged.encode() + body[span[1] :]


def misname(name: str, rng: random.Random) -> str:
    """The same document under another sequence number (the manifest no longer matches)."""
    match = _BATCH_NAME.match(name)
    assert match, f"not a batch name: {name}"
    seq = int(match.group(1))
    other = seq
    while other == seq:
        other = rng.randrange(1, 10**12)
    return f"{other:012d}-{match.group(2)}"


# -- files -----------------------------------------------------------------------------------------


def _names(directory: Path) -> list[str]:
    try:
        return sorted(
            e.name for e in os.scandir(directory) if e.is_file() and not e.name.startswith(".")
        )
    except FileNotFoundError:
        return []


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _take(path: Path) -> bytes | None:
    """Read and remove, as a gateway carrying the file away. A resend that replaced the file in
    between wrote the same bytes, so nothing is lost by removing it."""
    body = _read(path)
    if body is not None:
        path.unlink(missing_ok=True)
    return body


def _put(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".gw-{path.name}.{secrets.token_hex(4)}.tmp"
    temp.write_bytes(body)
    os.replace(temp, path)
