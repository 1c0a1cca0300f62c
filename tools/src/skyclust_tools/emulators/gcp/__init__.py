"""Local GCP emulator: OAuth token endpoint, GKE v1, Compute v1 networking, Resource Manager.

Start it with ``python -m skyclust_tools.emulators.gcp`` or, in tests, ``run_in_thread()``.
See tools/EMULATORS.md for client configuration and the admin API.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

from .._admin import GcpAdmin
from .._server import EmulatorServer
from ._app import DEFAULT_DURATIONS, GcpEmulator


class RunningGcpEmulator:
    """A started emulator: ``url`` for clients, ``admin`` for the admin API."""

    def __init__(self, emulator: GcpEmulator, server: EmulatorServer) -> None:
        self.emulator = emulator
        self._server = server
        self.url = server.url
        self.admin = GcpAdmin(server.url)

    def stop(self) -> None:
        self.admin.close()
        self._server.stop()

    def __enter__(self) -> RunningGcpEmulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_in_thread(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    durations: Mapping[str, float] | None = None,
    token_lifetime: float = 3600,
    log_level: str = "warning",
    billing_speed: float = 1.0,
) -> RunningGcpEmulator:
    """Serve a fresh emulator from a background thread; usable as a context manager.

    ``port=0`` picks a free port. ``durations`` may hold ``default`` and per-kind seconds.
    """
    emulator = GcpEmulator(durations, token_lifetime=token_lifetime, billing_speed=billing_speed)
    server = EmulatorServer(emulator.app, host=host, port=port, log_level=log_level).start()
    return RunningGcpEmulator(emulator, server)


__all__ = ["DEFAULT_DURATIONS", "GcpAdmin", "GcpEmulator", "RunningGcpEmulator", "run_in_thread"]
