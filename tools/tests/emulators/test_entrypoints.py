"""The ``python -m`` entrypoints serve the same emulators the in-process helper does."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from skyclust_tools.emulators import AdminError, AzureAdmin, GcpAdmin

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _process(*args: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_healthy(admin: GcpAdmin | AzureAdmin) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            admin.health()
            return
        except (AdminError, httpx.TransportError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_gcp_module_entrypoint(tmp_path: Path) -> None:
    port = _free_port()
    with _process(
        "skyclust_tools.emulators.gcp",
        "--port",
        str(port),
        "--duration",
        "0",
        "--log-level",
        "warning",
    ):
        admin = GcpAdmin(f"http://127.0.0.1:{port}")
        _wait_healthy(admin)
        key = admin.create_service_account_key("cli-project")
        assert key["token_uri"] == f"http://127.0.0.1:{port}/token"
        assert set(admin.durations().values()) == {0.0}
        admin.close()


def test_azure_module_entrypoint(tmp_path: Path) -> None:
    port = _free_port()
    with _process(
        "skyclust_tools.emulators.azure",
        "--port",
        str(port),
        "--tls-dir",
        str(tmp_path),
        "--duration-for",
        "network=0",
        "--log-level",
        "warning",
    ):
        deadline = time.monotonic() + 15
        while not (tmp_path / "ca.pem").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        admin = AzureAdmin(f"https://127.0.0.1:{port}", verify=str(tmp_path / "ca.pem"))
        _wait_healthy(admin)
        account = admin.create_account()
        assert account["ca_bundle"] == str(tmp_path / "ca.pem")
        assert admin.durations()["network"] == 0.0
        admin.close()


def test_azure_certificate_names_the_tls_names_given(tmp_path: Path) -> None:
    """In a compose network the services reach the emulator by its service name, which
    the certificate must hold for azure-core's TLS check to pass."""
    port = _free_port()
    with _process(
        "skyclust_tools.emulators.azure",
        "--host",
        "0.0.0.0",
        "--port",
        str(port),
        "--tls-dir",
        str(tmp_path),
        "--tls-name",
        "azure-emulator",
        "--log-level",
        "warning",
    ):
        deadline = time.monotonic() + 15
        while not (tmp_path / "ca.pem").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        admin = AzureAdmin(f"https://127.0.0.1:{port}", verify=str(tmp_path / "ca.pem"))
        _wait_healthy(admin)
        admin.close()
    leaf = x509.load_pem_x509_certificates((tmp_path / "server.pem").read_bytes())[0]
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "azure-emulator" in names.get_values_for_type(x509.DNSName)
    assert "localhost" in names.get_values_for_type(x509.DNSName)
