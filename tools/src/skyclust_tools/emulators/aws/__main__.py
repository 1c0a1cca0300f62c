"""``python -m skyclust_tools.emulators.aws -H 127.0.0.1 -p 8792``"""

from __future__ import annotations

import argparse
import os

from .._server import parse_duration_flags


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="SkyClust local AWS emulator (moto plus)")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=8792)
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds for every EKS operation kind"
    )
    parser.add_argument(
        "--duration-for",
        action="append",
        default=[],
        metavar="KIND=SECONDS",
        help="per-kind override; kinds: cluster_create (failing), cluster_update, nodegroup_update",
    )
    parser.add_argument(
        "--billing-speed",
        type=float,
        default=1.0,
        help="billing time per emulator second (1440: a billed day per real minute)",
    )
    args = parser.parse_args(argv)
    # moto builds some URLs (SQS queues, presigned S3...) from it, as moto_server sets it.
    os.environ.setdefault("MOTO_PORT", str(args.port))

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import run_simple

    from ._app import AwsEmulator

    app = AwsEmulator(
        parse_duration_flags(args.duration, args.duration_for), billing_speed=args.billing_speed
    )
    print(f"AWS emulator on http://{args.host}:{args.port}", flush=True)
    run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
