"""What every loopback simulator shares: its HTTP server on a free port in a background thread,
a store directory (a temporary one unless given), and start, stop and `with` handling. Each
simulator says only how its server is made (`_make_server`) and what it offers on top."""

from __future__ import annotations

import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Generic, Self, TypeVar

ServerT = TypeVar("ServerT", bound=ThreadingHTTPServer)


class LoopbackSimulator(Generic[ServerT]):
    name = "simulator"

    def __init__(self, store: Path | None = None, *, host: str = "127.0.0.1", port: int = 0):
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        if store is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix=f"onetrip-{self.name}-")
            store = Path(self._tempdir.name)
        self.store_dir = Path(store)
        self.host = host
        self.port = port
        self._server: ServerT | None = None
        self._thread: threading.Thread | None = None

    def _make_server(self) -> ServerT:
        raise NotImplementedError

    def _before_shutdown(self, server: ServerT) -> None:
        """Let work the server started finish before it goes (nothing by default)."""

    @property
    def server(self) -> ServerT:
        if self._server is None:
            raise RuntimeError("simulator not started")
        return self._server

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._server = self._make_server()
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._before_shutdown(self._server)
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def close(self) -> None:
        self.stop()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
