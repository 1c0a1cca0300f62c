"""The gateway's composition root."""

from __future__ import annotations

from skyclust_common.runtime import Runtime, ServiceSpec

from .app import attach, create_app
from .auth import follow_revocations
from .settings import GatewaySettings

SERVICE = "gateway"


async def wire(runtime: Runtime, settings: GatewaySettings) -> None:
    app = runtime.app
    if app is None:
        raise RuntimeError("the gateway is wired onto its own app: ServiceSpec.app builds it")
    attach(app, runtime.bus, settings)
    await follow_revocations(runtime.bus, app.state.verifier.revocations)


def address(settings: GatewaySettings) -> tuple[str, int]:
    return settings.gateway_host, settings.gateway_port


SPEC = ServiceSpec(
    name=SERVICE,
    settings=GatewaySettings,
    wire=wire,
    app=create_app,
    address=address,
)
