"""The gateway's composition root."""

from __future__ import annotations

from fastapi import FastAPI

from skyclust_common.runtime import Runtime, ServiceSpec

from .app import attach, create_app
from .auth import follow_revocations
from .settings import GatewaySettings

SERVICE = "gateway"


async def wire(runtime: Runtime, app: FastAPI, settings: GatewaySettings) -> None:
    attach(app, runtime.bus, settings)
    await follow_revocations(runtime.bus, app.state.verifier.revocations)


async def wire_app(runtime: Runtime, settings: GatewaySettings) -> None:
    """The spec's wire: onto the app the runtime built from `SPEC.app`."""
    if runtime.app is None:
        raise RuntimeError("the gateway is wired onto its own app: ServiceSpec.app builds it")
    await wire(runtime, runtime.app, settings)


def address(settings: GatewaySettings) -> tuple[str, int]:
    return settings.gateway_host, settings.gateway_port


SPEC = ServiceSpec(
    name=SERVICE,
    settings=GatewaySettings,
    wire=wire_app,
    app=create_app,
    address=address,
)
