"""`python -m skyclust_identity.keys rotate`: make a new token-signing key active.
Tokens signed by the old key keep verifying until they expire."""

from __future__ import annotations

import argparse
import asyncio
import sys

from skyclust_common.contracts import load_registry
from skyclust_common.errors import SkyclustError
from skyclust_common.messaging import Bus, connect_nats
from skyclust_common.runtime import bus_config
from skyclust_common.settings import ServiceSettings


async def rotate(settings: ServiceSettings) -> str:
    nc = await connect_nats(
        settings.nats_url,
        name="identity-keys",
        user=settings.nats_user,
        password=settings.nats_password.get_secret_value() if settings.nats_password else None,
        attempts=3,
    )
    bus = Bus(nc, load_registry(settings.contracts_dir), bus_config("identity", settings))
    try:
        result = await bus.request("identity", "RotateSigningKey", {})
    finally:
        await nc.close()
    return str(result["kid"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["rotate"])
    parser.parse_args()
    try:
        kid = asyncio.run(rotate(ServiceSettings()))
    except SkyclustError as exc:
        print(f"rotation failed: {exc.message}", file=sys.stderr)
        sys.exit(1)
    print(f"new signing key: {kid}")


if __name__ == "__main__":
    main()
