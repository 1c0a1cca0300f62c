"""JSON logging with secret redaction: by key name in structured fields, and by value
for every secret a process registers (decrypted credentials, passwords in flight)."""

from __future__ import annotations

import logging
import re
import sys
import threading
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

from .delivery import current_correlation, current_rpc

# The request a log line is written for: the gateway sets it from X-Request-ID; a service
# answering a request/reply call finds it in the call's headers.
request_id_var: ContextVar[str] = ContextVar("skyclust_request_id", default="")

_SECRET_KEY = re.compile(
    r"(secret|password|passwd|token|authorization|private_key|credential_data|api_key)", re.I
)
REDACTED = "[REDACTED]"
_known_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Make sure `value` never appears in a log line of this process."""
    if value and len(value) >= 6:
        with _lock:
            _known_secrets.add(value)


def redact_text(text: str) -> str:
    with _lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact(value: Any, key: str = "") -> Any:
    if key and _SECRET_KEY.search(key):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) for a in args)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, redact(value, key))
        return True


class ContextFilter(logging.Filter):
    """Puts the request id, the trace id and (while an event is handled) its correlation
    id on every record, so one request's or one saga's lines can be found across
    services."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_var.get()
        if not request_id:
            rpc = current_rpc.get(None)
            request_id = (rpc.request_id or "") if rpc is not None else ""
        if request_id and not hasattr(record, "request_id"):
            record.request_id = request_id
        correlation = current_correlation.get()
        if correlation and not hasattr(record, "correlation_id"):
            record.correlation_id = correlation
        context = trace.get_current_span().get_span_context()
        if context.is_valid and not hasattr(record, "trace_id"):
            record.trace_id = f"{context.trace_id:032x}"
            record.span_id = f"{context.span_id:016x}"
        return True


class _Formatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _Formatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "asctime": "time", "name": "logger"},
            static_fields={"service": service},
        )
    )
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The Azure SDK logs every request and response at INFO: two multi-line records per
    # cloud call, each redacted, cost more than the call in a burst of creates.
    for noisy in ("uvicorn.access", "nats", "aiobotocore", "botocore", "urllib3", "azure"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
