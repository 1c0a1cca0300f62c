"""The gateway's composition root."""

from __future__ import annotations

from fastapi import FastAPI

from skyclust_common.runtime import Runtime

from .app import attach
from .auth import follow_revocations
from .settings import GatewaySettings

SERVICE = "gateway"


async def wire(runtime: Runtime, app: FastAPI, settings: GatewaySettings) -> None:
    attach(app, runtime.bus, settings)
    await follow_revocations(runtime.bus, app.state.verifier.revocations)
