"""HTTPS webhooks: a receiver whose certificate chains to a CA in
`SKYCLUST_WEBHOOK_CA_BUNDLE` takes the delivery (verified for the URL's name although
the connection goes to the checked address); one whose certificate does not (another
CA, or another name) is a failed attempt in the delivery log, never a delivery."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError
from standardwebhooks import Webhook

from skyclust_notification.adapters.webhook_http import Address, WebhookSender
from skyclust_notification.domain.ssrf import parse_cidrs
from skyclust_notification.domain.webhooks import RetrySchedule
from skyclust_notification.handlers import webhook_delivery as sending
from skyclust_notification.handlers import webhooks
from skyclust_notification.handlers.common import WebhookDeps
from skyclust_notification.settings import NotificationSettings

from ..conftest import Receiver

pytestmark = pytest.mark.unit

NAME = "hooks.test"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def authority(common: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def leaf(
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey], host: str
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Any]:
    trusted, stranger = authority("Test CA"), authority("Stranger CA")
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(pem(trusted[0]))
    return {"trusted": trusted, "stranger": stranger, "bundle": str(bundle), "dir": tmp_path}


async def serve(pki: dict[str, Any], issuer: str, host: str) -> tuple[Receiver, Any]:
    cert, key = leaf(pki[issuer], host)
    cert_file, key_file = pki["dir"] / f"{issuer}.crt", pki["dir"] / f"{issuer}.key"
    cert_file.write_bytes(pem(cert))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0, ssl=context)
    receiver.port = server.sockets[0].getsockname()[1]
    return receiver, server


async def to_loopback(host: str, port: int) -> list[Address]:
    # hooks.test is a name no resolver knows: it answers the local receiver here.
    return [ipaddress.ip_address("127.0.0.1")]


def sender(bundle: str | None) -> WebhookSender:
    return WebhookSender(
        parse_cidrs("127.0.0.0/8"),
        connect_timeout=3,
        read_timeout=3,
        resolver=to_loopback,
        ca_bundle=bundle,
    )


@pytest.fixture
async def servers() -> AsyncIterator[list[Any]]:
    started: list[Any] = []
    yield started
    for server in started:
        server.close()
        await server.wait_closed()


async def channel_and_event(world: Any, deps: Any, url: str, deliver: Any) -> dict[str, Any]:
    made = await webhooks.create_channel(
        deps, uuid.UUID(world.workspace_id), name="tls", url=url, event_types=["ClusterFailed"]
    )
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    await sending.deliver_due(deps)
    return made


def wired(world: Any, bundle: str | None) -> Any:
    world.clock.now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    deps = world.deps
    deps.webhooks = WebhookDeps(
        sender=sender(bundle), schedule=RetrySchedule(waits=[5], jitter=0.0)
    )
    return deps


async def test_a_receiver_with_a_certificate_from_the_bundle_gets_the_delivery(
    world, pki, servers, deliver
):
    receiver, server = await serve(pki, "trusted", NAME)
    servers.append(server)
    deps = wired(world, pki["bundle"])
    made = await channel_and_event(world, deps, f"https://{NAME}:{receiver.port}/in", deliver)
    (only,) = world.db.tables["deliveries"].values()
    assert (only.status.value, only.last.status_code) == ("succeeded", 204)
    sent_headers, raw = receiver.requests[0]
    assert sent_headers["host"] == f"{NAME}:{receiver.port}"
    Webhook(made["secret"]).verify(raw, sent_headers)


@pytest.mark.parametrize(
    ("issuer", "host"),
    [("stranger", NAME), ("trusted", "other.test")],
    ids=["untrusted-ca", "wrong-name"],
)
async def test_a_bad_certificate_is_a_failed_attempt_and_nothing_is_sent(
    world, pki, servers, deliver, issuer, host
):
    receiver, server = await serve(pki, issuer, host)
    servers.append(server)
    deps = wired(world, pki["bundle"])
    await channel_and_event(world, deps, f"https://{NAME}:{receiver.port}/in", deliver)
    (only,) = world.db.tables["deliveries"].values()
    assert only.status.value == "pending" and only.last.status_code is None
    assert only.last.error == "connection failed: ConnectError"
    assert receiver.requests == []


async def test_without_the_bundle_the_private_ca_is_not_trusted(world, pki, servers, deliver):
    receiver, server = await serve(pki, "trusted", NAME)
    servers.append(server)
    deps = wired(world, None)
    await channel_and_event(world, deps, f"https://{NAME}:{receiver.port}/in", deliver)
    (only,) = world.db.tables["deliveries"].values()
    assert only.last.error == "connection failed: ConnectError" and receiver.requests == []


def test_a_ca_bundle_that_cannot_be_loaded_fails_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv("SKYCLUST_DATABASE_URL", "postgresql+asyncpg://u:p@127.0.0.1/db")
    with pytest.raises(ValidationError, match="CA bundle"):
        NotificationSettings(webhook_ca_bundle=str(tmp_path / "missing.pem"))
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(ValidationError, match="CA bundle"):
        NotificationSettings(webhook_ca_bundle=str(junk))
