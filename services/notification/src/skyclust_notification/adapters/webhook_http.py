"""Sends one signed webhook: the host is resolved once, every answer is checked against
the address policy, and the connection goes to the checked address (the name is kept for
the Host header and TLS), so a name that answers differently the second time (DNS
rebinding) reaches nothing new. Redirects are not followed; time and size are capped."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import certifi
import httpx

from ..domain.ssrf import Address, Network, check_addresses
from ..domain.webhooks import parse_url

Resolver = Callable[[str, int], Awaitable[list[Address]]]


async def resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    seen: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


@dataclass(frozen=True)
class Response:
    status_code: int | None
    latency_ms: int
    retry_after: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def tls_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """The public CAs (certifi's, as httpx trusts by default), and the operator's own
    bundle when given (e.g. an internal CA in front of a receiver)."""
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


class WebhookSender:
    def __init__(
        self,
        allowed: Sequence[Network],
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        max_response_bytes: int = 64 * 1024,
        resolver: Resolver = resolve,
        ca_bundle: str | None = None,
    ) -> None:
        self.allowed = tuple(allowed)
        self.timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self.max_response_bytes = max_response_bytes
        self.resolver = resolver
        # Built once: a context per request would reload the CA file every send.
        self.tls = tls_context(ca_bundle)

    async def check(self, url: str) -> Address:
        """The address `url` would be sent to; WebhookUrlInvalid / WebhookAddressRefused."""
        _, host, port = parse_url(url)
        return check_addresses(host, await self.resolver(host, port), self.allowed)

    async def send(self, url: str, body: str, headers: dict[str, str]) -> Response:
        scheme, host, port = parse_url(url)
        address = check_addresses(host, await self.resolver(host, port), self.allowed)
        literal = f"[{address}]" if address.version == 6 else str(address)
        target = httpx.URL(url).copy_with(host=literal.strip("[]"), port=port)
        started = time.monotonic()
        extensions = {"sni_hostname": host} if scheme == "https" else {}
        try:
            async with httpx.AsyncClient(
                timeout=self.timeout,
                follow_redirects=False,
                verify=self.tls,
                trust_env=False,
            ) as client:
                request = client.build_request(
                    "POST",
                    target,
                    content=body.encode(),
                    headers={
                        **headers,
                        "host": host if port in (80, 443) else f"{host}:{port}",
                        "content-type": "application/cloudevents+json",
                        "user-agent": "SkyClust-Webhooks/1",
                    },
                    extensions=extensions,
                )
                response = await client.send(request, stream=True)
                try:
                    # Read no more than the cap: a receiver's answer is only its status.
                    size = 0
                    async for chunk in response.aiter_raw():
                        size += len(chunk)
                        if size > self.max_response_bytes:
                            break
                finally:
                    await response.aclose()
        except httpx.TimeoutException:
            return Response(None, _ms(started), error="timeout")
        except httpx.HTTPError as exc:
            return Response(None, _ms(started), error=f"connection failed: {type(exc).__name__}")
        return Response(
            response.status_code, _ms(started), retry_after=response.headers.get("retry-after")
        )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
