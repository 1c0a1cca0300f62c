"""``python -m skyclust_tools.emulators.azure --host 127.0.0.1 --port 8791 --tls-dir .azure-tls``
(``--tls-name azure-emulator`` adds a host name to the certificate)"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import uvicorn

from .._server import generate_tls, parse_duration_flags
from ._app import DEFAULT_DURATIONS, AzureEmulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="SkyClust local Azure emulator (HTTPS)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument(
        "--tls-dir",
        default=None,
        help="where to write ca.pem, server.pem and server-key.pem (default: a temp directory)",
    )
    parser.add_argument(
        "--tls-name",
        action="append",
        default=[],
        metavar="NAME",
        help="another host name for the certificate, e.g. the emulator's name in a compose "
        "network (localhost, 127.0.0.1, ::1 and --host are always in it)",
    )
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
    directory = Path(args.tls_dir or tempfile.mkdtemp(prefix="skyclust-azure-tls-"))
    tls = generate_tls(directory, [args.host, *args.tls_name])
    emulator = AzureEmulator(
        parse_duration_flags(args.duration, args.duration_for),
        token_lifetime=args.token_lifetime,
        tls=tls,
        billing_speed=args.billing_speed,
    )
    print(f"Azure emulator on https://{args.host}:{args.port} (CA: {tls.ca_path})", flush=True)
    uvicorn.run(
        emulator.app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        ssl_certfile=str(tls.cert_path),
        ssl_keyfile=str(tls.key_path),
    )


if __name__ == "__main__":
    main()
