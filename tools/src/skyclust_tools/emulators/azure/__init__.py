"""Local Azure emulator: Entra ID client-credential tokens and ARM (AKS, VNets, NSGs), over HTTPS.

MSAL and azure-core refuse plain-http authorities and bearer tokens, so the emulator always
serves TLS with a throwaway CA; clients pass that CA as ``connection_verify``.
Start it with ``python -m skyclust_tools.emulators.azure`` or, in tests, ``run_in_thread()``.
See tools/EMULATORS.md for client configuration and the admin API.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from .._admin import AzureAdmin
from .._server import EmulatorServer, TlsFiles, generate_tls
from ._app import DEFAULT_DURATIONS, AzureEmulator


class RunningAzureEmulator:
    """A started emulator: ``url`` for clients, ``ca_bundle`` to trust, ``admin`` to steer it."""

    def __init__(
        self,
        emulator: AzureEmulator,
        server: EmulatorServer,
        tls: TlsFiles,
        owned_dir: Path | None,
    ) -> None:
        self.emulator = emulator
        self._server = server
        self._owned_dir = owned_dir
        self.url = server.url
        self.ca_bundle = str(tls.ca_path)
        self.admin = AzureAdmin(server.url, verify=self.ca_bundle)

    def stop(self) -> None:
        self.admin.close()
        self._server.stop()
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)

    def __enter__(self) -> RunningAzureEmulator:
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
    tls_dir: str | Path | None = None,
    log_level: str = "warning",
    billing_speed: float = 1.0,
) -> RunningAzureEmulator:
    """Serve a fresh emulator over HTTPS from a background thread; usable as a context manager.

    TLS material goes to ``tls_dir`` (kept) or a temporary directory (removed on stop).
    """
    owned = None if tls_dir is not None else Path(tempfile.mkdtemp(prefix="skyclust-azure-tls-"))
    directory = Path(tls_dir) if tls_dir is not None else owned
    assert directory is not None
    tls = generate_tls(directory, [host])
    emulator = AzureEmulator(
        durations, token_lifetime=token_lifetime, tls=tls, billing_speed=billing_speed
    )
    server = EmulatorServer(
        emulator.app, host=host, port=port, tls=tls, log_level=log_level
    ).start()
    return RunningAzureEmulator(emulator, server, tls, owned)


__all__ = [
    "DEFAULT_DURATIONS",
    "AzureAdmin",
    "AzureEmulator",
    "RunningAzureEmulator",
    "run_in_thread",
]
