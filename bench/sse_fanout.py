"""SSE fan-out: 1,000 and 10,000 streams on one gateway process, one workspace, events
published at a steady rate; side by side, in the same run, a bare sse-starlette app
that fans the same events out from memory (one core NATS subscription, a queue per
stream).

The gateway is the real one (`python -m skyclust_gateway`, uvloop + httptools), against
a real nats-server; this process answers identity's `GetJwks` and `CheckSession` on the
bus (a signing key of its own, every session live) and publishes the events to
JetStream, each carrying the moment it was published. The load is two client processes
holding raw sockets (half the streams each), counting every event on every stream.

Reported per target and stream count: publish -> client p50/p99 (ms), memory per
stream (the server's RSS growth from before the streams to all of them open, divided
by their number, KB), and events missed (expected deliveries minus distinct ones
received). Targets: p99 < 100 ms at 1,000 streams, <= 100 KB per stream, 0 missed at
10,000. Results go to bench/results/sse_fanout.json.

SSE_FANOUT_STREAMS ("1000,10000"), SSE_FANOUT_EVENTS (20), SSE_FANOUT_RATE (1 per second,
as in the issue's measurement) and SSE_FANOUT_SETTLE_SECONDS (10: how long after the last
publish a late delivery still counts) change the run. The load average is recorded:
the machine is shared, and both targets are measured under the same conditions."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import multiprocessing as mp
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any

import httpx

from skyclust_tools.embedded import NatsServer, free_port, scratch_dir

STREAMS = [int(n) for n in os.environ.get("SSE_FANOUT_STREAMS", "1000,10000").split(",")]
EVENTS = int(os.environ.get("SSE_FANOUT_EVENTS", "20"))
RATE = float(os.environ.get("SSE_FANOUT_RATE", "1"))
SETTLE = float(os.environ.get("SSE_FANOUT_SETTLE_SECONDS", "10"))
CLIENTS = 2
TARGETS = {"p99_ms_at_1000": 100.0, "kb_per_stream": 100.0, "missed_at_10000": 0}
RESULTS = Path(__file__).parent / "results" / "sse_fanout.json"
_MARK = re.compile(rb'"n": (\d+), "sent": ([0-9.]+)')


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError("VmRSS")


# the baseline: bare sse-starlette, fanning out from memory ------------------------


def baseline_main(port: int, nats_url: str) -> None:
    import nats
    import uvicorn
    from sse_starlette.sse import EventSourceResponse
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    queues: set[asyncio.Queue[dict[str, str]]] = set()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nc = await nats.connect(nats_url)
        seq = 0

        async def on_message(msg: Any) -> None:
            nonlocal seq
            seq += 1
            json.loads(msg.data)  # decoded once, as the gateway does
            event = {"event": msg.subject.rsplit(".", 1)[-1], "id": str(seq)}
            event["data"] = msg.data.decode()
            for queue in queues:
                queue.put_nowait(event)

        await nc.subscribe("skyclust.evt.>", cb=on_message)
        yield
        await nc.close()

    async def stream(request: Request) -> EventSourceResponse:
        queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        queues.add(queue)

        async def events() -> AsyncIterator[dict[str, str]]:
            try:
                yield {"comment": "connected"}
                while True:
                    yield await queue.get()
            finally:
                queues.discard(queue)

        return EventSourceResponse(events(), ping=15)

    async def healthz(request: Request) -> Response:
        return Response("ok")

    routes = [Route("/api/v1/events/stream", stream), Route("/healthz", healthz)]
    app = Starlette(routes=routes, lifespan=lifespan)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        backlog=4096,
    )


# the load: raw sockets, one asyncio process per half ---------------------------------


class _Stream(asyncio.Protocol):
    def __init__(self, request: bytes, latencies: list[float], opened: asyncio.Future[int]):
        self.request = request
        self.latencies = latencies
        self.opened = opened
        self.buffer = b""
        self.seen: set[int] = set()
        self.status = 0
        self.closed = False

    def connection_made(self, transport: Any) -> None:
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        if not self.status:
            self.buffer += data
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self.status = int(self.buffer.split(b" ", 2)[1])
            data = self.buffer[end + 4 :]
            self.buffer = b""
            if not self.opened.done():
                self.opened.set_result(self.status)
        data = self.buffer + data
        # sse-starlette ends lines with CRLF, the gateway with LF.
        cut = max(data.rfind(b"\n\n"), data.rfind(b"\n\r\n"))
        if cut < 0:
            self.buffer = data
            return
        self.buffer = data[cut + 2 :]
        for match in _MARK.finditer(data, 0, cut):
            n = int(match[1])
            if n not in self.seen:
                self.seen.add(n)
                self.latencies.append(now - float(match[2]))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.opened.done():
            self.opened.set_result(0)


def _same(stream: _Stream) -> _Stream:
    return stream


def client_main(port: int, count: int, token: str, ready: Any, stop: MpEvent, out: Any) -> None:
    import uvloop

    raise_nofile()
    request = (
        f"GET /api/v1/events/stream HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n"
        f"Authorization: Bearer {token}\r\n\r\n"
    ).encode()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        latencies: list[float] = []
        streams: list[_Stream] = []
        failed = 0
        for start in range(0, count, 250):
            batch = []
            for _ in range(min(250, count - start)):
                opened: asyncio.Future[int] = loop.create_future()
                stream = _Stream(request, latencies, opened)
                streams.append(stream)
                batch.append(opened)
                await loop.create_connection(functools.partial(_same, stream), "127.0.0.1", port)
            statuses = await asyncio.gather(*batch)
            failed += sum(1 for s in statuses if s != 200)
        ready.put(failed)
        await asyncio.to_thread(stop.wait)
        out.put(
            {
                "latencies": latencies,
                "received": sum(len(s.seen) for s in streams),
                "closed": sum(1 for s in streams if s.closed),
                "failed": failed,
            }
        )

    uvloop.run(run())


# the run -------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextlib.contextmanager
def _server(kind: str, port: int, nats_url: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYCLUST_")}
    if kind == "gateway":
        env.update(
            {
                "SKYCLUST_NATS_URL": nats_url,
                "SKYCLUST_GATEWAY_PORT": str(port),
                "SKYCLUST_LOG_LEVEL": "WARNING",
                "SKYCLUST_RATE_LIMIT_PER_CLIENT_PER_MINUTE": "100000000",
                "SKYCLUST_RATE_LIMIT_PER_WORKSPACE_PER_MINUTE": "100000000",
            }
        )
        command = [sys.executable, "-m", "skyclust_gateway"]
    else:
        command = [sys.executable, "-m", "bench.sse_fanout", "--baseline", str(port), nats_url]
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=raise_nofile
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{kind} exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code < 500:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{kind} did not start")
            time.sleep(0.2)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _token(key: Any, workspace: str, session: str) -> str:
    import jwt

    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "wid": workspace,
        "role": "viewer",
        "iss": "skyclust",
        "aud": "skyclust-api",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
        "typ": "access",
        "sid": session,
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "bench"})


async def _identity(nats_url: str, key: Any) -> Any:
    """Answers the two identity calls the gateway's stream makes."""
    from jwt.algorithms import OKPAlgorithm

    from skyclust_common.contracts import load_registry
    from skyclust_common.messaging import Bus, BusConfig, connect_nats, serve_handlers

    public = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
    jwks = {"keys": [{**public, "kid": "bench", "alg": "EdDSA", "use": "sig"}]}

    async def get_jwks(deps: Any, data: dict[str, Any], ctx: Any) -> dict[str, Any]:
        return jwks

    async def check_session(deps: Any, data: dict[str, Any], ctx: Any) -> dict[str, Any]:
        return {"live": True}

    bus = Bus(await connect_nats(nats_url, name="identity"), load_registry(), BusConfig("identity"))
    await bus.ensure_streams()
    await serve_handlers(bus, {"GetJwks": get_jwks, "CheckSession": check_session}, None)
    return bus


async def _publish(bus: Any, workspace: str, run: str) -> None:
    pad = "x" * 200
    interval = 1.0 / RATE
    start = time.monotonic()
    for n in range(EVENTS):
        await asyncio.sleep(max(0.0, start + n * interval - time.monotonic()))
        # Written by hand so `"n": <n>, "sent": <t>` is spelled as the clients look for it.
        body = (
            f'{{"specversion": "1.0", "id": "{uuid.uuid4()}", "source": "skyclust/bench", '
            f'"type": "io.skyclust.BenchTick.v1", "time": "2026-01-01T00:00:00Z", '
            f'"subject": "{run}", "workspaceid": "{workspace}", "data": {{"n": {n}, '
            f'"sent": {time.time():.6f}, "pad": "{pad}"}}}}'
        )
        await bus.js.publish(f"skyclust.evt.{workspace}.BenchTick", body.encode())


async def _one(kind: str, streams: int, nats_url: str, bus: Any, key: Any) -> dict[str, Any]:
    workspace = str(uuid.uuid4())
    token = _token(key, workspace, str(uuid.uuid4()))
    port = free_port()
    ctx = mp.get_context("spawn")
    with _server(kind, port, nats_url) as proc:
        await asyncio.sleep(1.0)
        before = rss_kb(proc.pid)
        ready, out, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
        share = [streams // CLIENTS + (1 if i < streams % CLIENTS else 0) for i in range(CLIENTS)]
        clients = [
            ctx.Process(target=client_main, args=(port, n, token, ready, stop, out)) for n in share
        ]
        opened_at = time.monotonic()
        for client in clients:
            client.start()
        failed = 0
        for _ in clients:
            failed += await asyncio.to_thread(ready.get, True, 600)
        open_seconds = time.monotonic() - opened_at
        await asyncio.sleep(2.0)
        after = rss_kb(proc.pid)
        await _publish(bus, workspace, kind)
        # Late is not missed: a delivery counts as missed only if it never arrives.
        await asyncio.sleep(SETTLE)
        stop.set()
        parts = [await asyncio.to_thread(out.get, True, 120) for _ in clients]
        for client in clients:
            client.join(30)
    latencies = [x for part in parts for x in part["latencies"]]
    received = sum(part["received"] for part in parts)
    expected = (streams - failed) * EVENTS
    return {
        "streams": streams,
        "refused": failed,
        "open_seconds": round(open_seconds, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "kb_per_stream": round((after - before) / streams, 1),
        "rss_before_mb": round(before / 1024, 1),
        "rss_after_mb": round(after / 1024, 1),
        "expected": expected,
        "missed": expected - received + failed * EVENTS,
        "closed_early": sum(part["closed"] for part in parts),
    }


async def _run() -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    raise_nofile()
    store = scratch_dir("sc-sse-bench-")
    server = NatsServer(port=free_port(), store_dir=store).start()
    key = Ed25519PrivateKey.generate()
    results: dict[str, Any] = {
        "events": EVENTS,
        "rate_per_second": RATE,
        "cpus": os.cpu_count(),
        "load_average_at_start": round(os.getloadavg()[0], 1),
        "runs": [],
    }
    try:
        bus = await _identity(server.url, key)
        for streams in STREAMS:
            for kind in ("gateway", "sse-starlette"):
                row = await _one(kind, streams, server.url, bus, key)
                results["runs"].append({"target": kind, **row})
                print(f"  {kind:14} {streams:>6} streams: {row}", flush=True)
        await bus.nc.close()
    finally:
        server.stop()
        shutil.rmtree(store, ignore_errors=True)
    by = {(r["target"], r["streams"]): r for r in results["runs"]}
    for streams in STREAMS:
        gw, bare = by.get(("gateway", streams)), by.get(("sse-starlette", streams))
        if gw and bare and bare["p99_ms"]:
            gw["p99_vs_bare"] = round(gw["p99_ms"] / bare["p99_ms"], 2)
            gw["memory_vs_bare"] = round(gw["kb_per_stream"] / max(bare["kb_per_stream"], 0.1), 2)
    results["targets"] = TARGETS
    gw1k, gw10k = by.get(("gateway", 1000)), by.get(("gateway", 10000))
    results["met"] = {
        "p99_ms_at_1000": bool(gw1k and gw1k["p99_ms"] < TARGETS["p99_ms_at_1000"]),
        "kb_per_stream": all(
            r["kb_per_stream"] <= TARGETS["kb_per_stream"]
            for r in results["runs"]
            if r["target"] == "gateway"
        ),
        "missed_at_10000": bool(gw10k and gw10k["missed"] == 0),
    }
    return results


def _table(results: dict[str, Any]) -> str:
    lines = [
        f"SSE fan-out, {results['events']} events at {results['rate_per_second']}/s, one workspace",
        f"{'target':14} {'streams':>7} {'p50 ms':>8} {'p99 ms':>8} {'KB/stream':>10} "
        f"{'missed':>7} {'refused':>7}",
    ]
    for r in results["runs"]:
        lines.append(
            f"{r['target']:14} {r['streams']:>7} {r['p50_ms']:>8} {r['p99_ms']:>8} "
            f"{r['kb_per_stream']:>10} {r['missed']:>7} {r['refused']:>7}"
        )
    lines.append(f"targets met: {results['met']}")
    return "\n".join(lines)


def main() -> dict[str, Any]:
    results = asyncio.run(_run())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(_table(results))
    return results


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--baseline":
        baseline_main(int(sys.argv[2]), sys.argv[3])
    else:
        main()
