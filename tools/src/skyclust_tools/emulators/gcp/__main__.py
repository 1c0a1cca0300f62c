"""``python -m skyclust_tools.emulators.gcp --host 127.0.0.1 --port 8790``"""

from __future__ import annotations

import argparse

import uvicorn

from .._server import parse_duration_flags
from ._app import DEFAULT_DURATIONS, GcpEmulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="SkyClust local GCP emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds for every operation kind"
    )
    parser.add_argument(
        "--duration-for",
        action="append",
        default=[],
        metavar="KIND=SECONDS",
        help=f"per-kind override; kinds: {', '.join(DEFAULT_DURATIONS)}",
    )
    parser.add_argument("--token-lifetime", type=float, default=3600)
    parser.add_argument("--log-level", default="info")
    parser.add_argument(
        "--billing-speed",
        type=float,
        default=1.0,
        help="billing time per emulator second (1440: a billed day per real minute)",
    )
    args = parser.parse_args(argv)
    emulator = GcpEmulator(
        parse_duration_flags(args.duration, args.duration_for),
        token_lifetime=args.token_lifetime,
        billing_speed=args.billing_speed,
    )
    print(f"GCP emulator on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(emulator.app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
