"""Traces leave the process over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set: a
local receiver decodes what a process configured by `setup_tracing` sends it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

pytestmark = pytest.mark.integration

PROCESS = """
from opentelemetry import trace
from skyclust_common.observability import setup_tracing, tracer

setup_tracing("network")
with tracer("probe").start_as_current_span("probe-span") as span:
    print(span.is_recording(), span.get_span_context().is_valid)
trace.get_tracer_provider().force_flush()
"""


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    received: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()


def test_spans_are_exported_over_otlp_when_an_endpoint_is_set(receiver) -> None:
    endpoint, received = receiver
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    done = subprocess.run(
        [sys.executable, "-c", PROCESS], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
    assert [path for path, _ in received] == ["/v1/traces"]
    request = ExportTraceServiceRequest.FromString(received[0][1])
    (resource_spans,) = request.resource_spans
    attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert attributes["service.name"] == "skyclust-network"
    names = [span.name for scope in resource_spans.scope_spans for span in scope.spans]
    assert names == ["probe-span"]


def test_without_an_endpoint_spans_are_carried_but_not_recorded(receiver) -> None:
    _, received = receiver
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run(
        [sys.executable, "-c", PROCESS], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    # A valid context is all propagation needs; nothing is built to be dropped.
    assert done.stdout.split() == ["False", "True"]
    assert received == []
