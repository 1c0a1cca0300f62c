"""The gateway's own cost on a cached read, without the network or the server: CPU time
per request of the gateway's whole ASGI app (its middlewares, routing, dependencies, token
check, read answered from memory) against the bare app of `bench.read_path` answering the
same envelope, both driven in this one process by the same loop of ASGI calls (a').

CPU time of one process is far less sensitive to what else the machine runs than
requests per second through a socket, so this figure moves with the gateway's code, not
with the machine: `bench.read_path` says what a client sees, this says what changed.
No platform is started."""

from __future__ import annotations

import asyncio
import json
import os
import platform as host
import statistics
import time
import uuid
from pathlib import Path
from typing import Any, cast

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from bench.bare_app import build as bare_app
from skyclust_common.messaging import Bus
from skyclust_gateway.app import create_app
from skyclust_gateway.auth import JwksCache, TokenVerifier
from skyclust_gateway.routers.deps import Services
from skyclust_gateway.settings import GatewaySettings

PATH = "/api/v1/aws/kubernetes/clusters"
REQUESTS = int(os.environ.get("GATEWAY_STACK_REQUESTS", "3000"))
ROUNDS = int(os.environ.get("GATEWAY_STACK_ROUNDS", "5"))
KEY = Ed25519PrivateKey.generate()
WORKSPACE = str(uuid.uuid4())


class _Keys(JwksCache):
    def __init__(self) -> None:
        super().__init__(bus=cast(Bus, None), ttl=3600)

    async def jwks(self) -> dict[str, Any]:
        public: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(KEY.public_key()))
        return {"keys": [{**public, "kid": "k1", "alg": "EdDSA", "use": "sig"}]}


class _Answers(Services):
    """Provisioning's answer from memory, as the read cache gives it on a hit."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"items": self.items}


def _token() -> str:
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "wid": WORKSPACE,
        "role": "viewer",
        "iss": "skyclust",
        "aud": "skyclust-api",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
        "typ": "access",
        "sid": "bench",
    }
    return jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": "k1"})


def _items() -> list[dict[str, Any]]:
    """Three clusters shaped like provisioning's views (the read path's workspace)."""
    return [
        {
            "id": str(uuid.uuid4()),
            "workspace_id": WORKSPACE,
            "provider": "aws",
            "name": f"read-path-{n}",
            "version": "1.30",
            "region": "us-east-1",
            "status": "READY",
            "step": None,
            "progress": 100,
            "endpoint": f"https://{n}.eks.example",
            "tags": {"team": "platform"},
            "conditions": [
                {
                    "type": "ControlPlaneReady",
                    "status": "True",
                    "reason": "Ready",
                    "message": None,
                    "last_transition_time": "2026-01-01T00:00:00+00:00",
                }
            ],
            "created_at": "2026-01-01T00:00:00+00:00",
            "updated_at": "2026-01-01T00:00:00+00:00",
        }
        for n in range(3)
    ]


def _scope(token: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "headers": [(b"host", b"gateway"), (b"authorization", f"Bearer {token}".encode())],
        "server": ("gateway", 80),
        "client": ("127.0.0.1", 40000),
        "root_path": "",
    }


async def _cpu_us_per_request(app: Any, scope: dict[str, Any], n: int) -> float:
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    start = time.process_time()
    for _ in range(n):
        await app(dict(scope), receive, send)
    spent = time.process_time() - start
    if set(statuses) != {200}:
        raise SystemExit(f"unexpected statuses: {sorted(set(statuses))}")
    return spent / n * 1e6


async def _measure() -> dict[str, Any]:
    items = _items()
    settings = GatewaySettings(
        nats_url="nats://127.0.0.1:1",
        rate_limit_per_client_per_minute=10**9,
        rate_limit_per_workspace_per_minute=10**9,
    )
    gateway = create_app(settings)
    gateway.state.verifier = TokenVerifier(_Keys(), "skyclust", "skyclust-api")
    gateway.state.services = _Answers(items)
    apps = {"gateway": gateway, "bare": bare_app(items)}
    scope = _scope(_token())
    for app in apps.values():  # warm-up: the first requests build FastAPI's caches
        await _cpu_us_per_request(app, scope, 300)
    rounds: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(ROUNDS):  # alternated, so both see the same machine
        for name, app in apps.items():
            rounds[name].append(round(await _cpu_us_per_request(app, scope, REQUESTS), 1))
    medians = {name: statistics.median(values) for name, values in rounds.items()}
    return {
        "cpu_us_per_request": {name: round(value, 1) for name, value in medians.items()},
        "rounds": rounds,
        "gateway_over_bare": round(medians["gateway"] / medians["bare"], 2),
        "gateway_extra_us": round(medians["gateway"] - medians["bare"], 1),
    }


def main() -> dict[str, Any]:
    load_before = [round(x, 2) for x in os.getloadavg()]
    measured = asyncio.run(_measure())
    result = {
        "machine": f"{host.machine()}, {os.cpu_count()} cores, Python {host.python_version()}",
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "requests_per_round": REQUESTS,
        "rounds": ROUNDS,
        **measured,
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "gateway_stack.json").write_text(json.dumps(result, indent=2) + "\n")
    cpu = measured["cpu_us_per_request"]
    print(
        f"gateway stack: {cpu['gateway']} us of CPU per cached read, bare {cpu['bare']} us "
        f"({measured['gateway_over_bare']}x, +{measured['gateway_extra_us']} us)"
    )
    return result


if __name__ == "__main__":
    main()
