from __future__ import annotations

from functools import partial

from skyclust_common.runtime import run

from .app import create_app
from .bootstrap import SERVICE, wire
from .settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    app = create_app(settings)
    run(
        SERVICE,
        settings,
        partial(wire, app=app, settings=settings),
        app=app,
        port=settings.gateway_port,
    )


if __name__ == "__main__":
    main()
