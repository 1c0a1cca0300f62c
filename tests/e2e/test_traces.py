"""One trace across processes: the platform started with OTEL_EXPORTER_OTLP_ENDPOINT set
to a local OTLP/HTTP receiver (this test's own, decoding the protobuf it is sent), one
registration through the gateway, and spans from the gateway, from identity, which the
gateway asked over NATS, and from notification, which identity's command reached through
JetStream, all carrying the trace id the gateway answered with."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from .client import Api
from .conftest import Platform, launched, platform_env

pytestmark = pytest.mark.e2e

# The gateway, identity it asked over NATS, and notification, which sends the new
# account's email on identity's command (through identity's outbox and JetStream).
EXPECTED = {"skyclust-gateway", "skyclust-identity", "skyclust-notification"}

# (service.name, span name, trace id hex, parent span id hex, instrumentation scope)
Span = tuple[str, str, str, str, str]


class Receiver:
    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.paths: set[str] = set()
        self.lock = threading.Lock()

    def add(self, path: str, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        with self.lock:
            self.paths.add(path)
            for resource_spans in request.resource_spans:
                attributes = resource_spans.resource.attributes
                service = next(
                    (a.value.string_value for a in attributes if a.key == "service.name"), ""
                )
                for scope in resource_spans.scope_spans:
                    for span in scope.spans:
                        self.spans.append(
                            (
                                service,
                                span.name,
                                span.trace_id.hex(),
                                span.parent_span_id.hex(),
                                scope.scope.name,
                            )
                        )

    def of_trace(self, trace_id: str) -> list[Span]:
        with self.lock:
            return [span for span in self.spans if span[2] == trace_id]


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, Receiver]]:
    received = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.add(self.path, body)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()


@pytest.fixture(scope="module")
def traced_platform(receiver: tuple[str, Receiver]) -> Iterator[Platform]:
    endpoint, _ = receiver
    # Batches leave every 200 ms rather than every 5 s.
    env = platform_env(OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, OTEL_BSP_SCHEDULE_DELAY="200")
    with launched(env) as platform:
        yield platform


def test_one_request_is_one_trace_across_gateway_and_identity(
    receiver: tuple[str, Receiver], traced_platform: Platform
) -> None:
    _, received = receiver
    api = Api(traced_platform.gateway_url)
    email = f"trace-{uuid.uuid4().hex[:10]}@example.com"
    response = api.post(
        "/api/v1/auth/register",
        json={"email": email, "password": "correct-horse-9", "name": "T", "workspace_name": "ws"},
    )
    assert response.status_code == 201, response.text
    # traceparent: version-traceid-spanid-flags, with the sampled flag (bit 0) set.
    version, trace_id, _, flags = response.headers["traceparent"].split("-")
    assert version == "00" and int(flags, 16) & 1, response.headers["traceparent"]

    deadline = time.monotonic() + 20
    spans: list[Span] = []
    while time.monotonic() < deadline:
        spans = received.of_trace(trace_id)
        services = {service for service, *_ in spans}
        # The gateway's server span ends after its answer, so it may come in a later batch
        # than the spans inside it.
        rooted = any(s[0] == "skyclust-gateway" and s[3] == "" for s in spans)
        if services >= EXPECTED and rooted:
            break
        time.sleep(0.2)
    services = {service for service, *_ in spans}
    assert services >= EXPECTED, (spans, received.spans[:20])
    assert received.paths == {"/v1/traces"}
    gateway_roots = [s for s in spans if s[0] == "skyclust-gateway" and s[3] == ""]
    assert [name for _, name, *_ in gateway_roots] == ["POST /api/v1/auth/register"], spans
    rpc_spans = [s for s in spans if s[0] == "skyclust-identity" and s[1].startswith("rpc ")]
    assert rpc_spans, spans
    # identity's and notification's handling are children within the trace, never roots.
    assert all(parent for service, _, _, parent, _ in spans if service != "skyclust-gateway"), spans
    print(f"trace {trace_id}: {sorted({(s[0], s[1]) for s in spans})}")


# Every service a cluster's creation passes through: the gateway takes the request,
# provisioning runs the saga, the vault decrypts the credential, network makes the
# cluster's network, identity writes the audit trail.
SAGA_SERVICES = {
    "skyclust-gateway",
    "skyclust-provisioning",
    "skyclust-credential-vault",
    "skyclust-network",
    "skyclust-identity",
}
DB_SCOPE = "opentelemetry.instrumentation.sqlalchemy"


def test_a_cluster_from_its_request_to_cluster_ready_is_one_trace(
    receiver: tuple[str, Receiver], traced_platform: Platform
) -> None:
    _, received = receiver
    api = Api(traced_platform.gateway_url)
    api.signup()
    body = json.loads((traced_platform.state_dir / "credentials" / "aws.json").read_text())
    credential = api.post("/api/v1/credentials", json=body)
    assert credential.status_code == 201, credential.text
    trace_id = uuid.uuid4().hex
    created = api.post(
        "/api/v1/aws/kubernetes/clusters",
        headers={"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"},
        json={
            "credential_id": credential.json()["data"]["id"],
            "name": f"traced-{uuid.uuid4().hex[:6]}",
            "version": "1.30",
            "region": "us-east-1",
            "node_groups": [{"name": "workers", "min_size": 1, "max_size": 2, "desired_size": 1}],
        },
    )
    assert created.status_code == 202, created.text
    assert created.headers["traceparent"].split("-")[1] == trace_id
    cluster_id = created.json()["data"]["id"]

    deadline = time.monotonic() + 120
    spans: list[Span] = []
    while time.monotonic() < deadline:
        spans = received.of_trace(trace_id)
        services = {service for service, *_ in spans}
        ready = [s for s in spans if s[1] == "handle ClusterReady"]
        if services >= SAGA_SERVICES and ready:
            break
        time.sleep(0.5)
    names = sorted({(s[0], s[1]) for s in spans})
    print(f"trace {trace_id}: {names}")
    status = api.get(f"/api/v1/aws/kubernetes/clusters/{cluster_id}").json()["data"]["status"]
    assert status == "READY", (status, names)
    assert {service for service, *_ in spans} >= SAGA_SERVICES, names
    assert [s for s in spans if s[1] == "handle ClusterReady"], names
    pairs = {(s[0], s[1]) for s in spans}
    assert ("skyclust-credential-vault", "rpc DecryptCredential") in pairs, names
    assert ("skyclust-network", "handle ProvisionClusterNetwork") in pairs, names
    assert {
        ("skyclust-identity", "rpc RecordAudit"),
        ("skyclust-identity", "handle AuditRecorded"),
    } & (pairs), names
    assert any(s[4] == DB_SCOPE for s in spans if s[0] == "skyclust-provisioning"), names
    # One root, the caller's: every span in the trace has a parent within it or the
    # caller's span the traceparent named.
    own = {s[3] for s in spans}
    assert len(own) > 1 and all(s[3] for s in spans), names
