from __future__ import annotations

import io
import json
import logging

import pytest
from pydantic import ValidationError

from skyclust_common.logs import configure_logging, redact, register_secret, request_id_var
from skyclust_common.settings import DatabaseServiceSettings, ServiceSettings

pytestmark = pytest.mark.unit


def test_log_lines_are_json_and_carry_no_secret(monkeypatch):
    configure_logging("unit")
    stream = io.StringIO()
    handler = logging.getLogger().handlers[0]
    monkeypatch.setattr(handler, "stream", stream)
    register_secret("s3cr3t-value-123")
    log = logging.getLogger("unit")
    log.warning("call failed with s3cr3t-value-123 in it", extra={"password": "hunter2hunter2"})
    log.warning("nested", extra={"payload": {"client_secret": "abc", "ok": "s3cr3t-value-123"}})
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["service"] == "unit"
    assert lines[0]["level"] == "WARNING"
    assert "s3cr3t-value-123" not in stream.getvalue()
    assert "hunter2hunter2" not in stream.getvalue()
    assert lines[0]["password"] == "[REDACTED]"
    assert lines[1]["payload"] == {"client_secret": "[REDACTED]", "ok": "[REDACTED]"}


def test_log_lines_carry_the_request_id_and_the_trace_id(monkeypatch):
    from opentelemetry.sdk.trace import TracerProvider

    configure_logging("unit")
    stream = io.StringIO()
    monkeypatch.setattr(logging.getLogger().handlers[0], "stream", stream)
    log = logging.getLogger("unit")
    token = request_id_var.set("req-42")
    try:
        with TracerProvider().get_tracer("unit").start_as_current_span("work") as span:
            log.warning("inside a request")
            context = span.get_span_context()
    finally:
        request_id_var.reset(token)
    log.warning("outside any request")
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["request_id"] == "req-42"
    assert inside["trace_id"] == f"{context.trace_id:032x}"
    assert inside["span_id"] == f"{context.span_id:016x}"
    assert "request_id" not in outside and "trace_id" not in outside


def test_redact_keeps_what_is_not_secret():
    assert redact({"name": "demo", "token_type": "Bearer"}) == {
        "name": "demo",
        "token_type": "[REDACTED]",
    }
    assert redact([1, "plain"]) == [1, "plain"]


def test_settings_fail_fast(monkeypatch):
    for key in ("SKYCLUST_NATS_URL", "SKYCLUST_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(ValidationError, match="nats_url"):
        ServiceSettings()
    monkeypatch.setenv("SKYCLUST_NATS_URL", "http://wrong")
    with pytest.raises(ValidationError, match="nats://"):
        ServiceSettings()
    monkeypatch.setenv("SKYCLUST_NATS_URL", "nats://127.0.0.1:1")
    with pytest.raises(ValidationError, match="database_url"):
        DatabaseServiceSettings()
    monkeypatch.setenv("SKYCLUST_DATABASE_URL", "mysql://x")
    with pytest.raises(ValidationError, match="postgresql"):
        DatabaseServiceSettings()
    monkeypatch.setenv("SKYCLUST_DATABASE_URL", "postgresql://u:p@h/db")
    settings = DatabaseServiceSettings()
    assert settings.database_url.get_secret_value().startswith("postgresql+asyncpg://")
    assert "p@h" not in repr(settings)


def test_log_lines_written_while_an_event_is_handled_carry_its_correlation_id(monkeypatch):
    from skyclust_common.delivery import current_correlation

    configure_logging("unit")
    stream = io.StringIO()
    monkeypatch.setattr(logging.getLogger().handlers[0], "stream", stream)
    log = logging.getLogger("unit")
    token = current_correlation.set("cluster-7")
    try:
        log.warning("handling")
        log.warning("its own", extra={"correlation_id": "given"})
    finally:
        current_correlation.reset(token)
    log.warning("after")
    handling, own, after = (json.loads(line) for line in stream.getvalue().splitlines())
    assert handling["correlation_id"] == "cluster-7"
    assert own["correlation_id"] == "given"
    assert "correlation_id" not in after
