"""JSON logging with secret redaction: by key name in structured fields, and by value
for every secret a process registers (decrypted credentials, passwords in flight)."""

from __future__ import annotations

import logging
import re
import sys
import threading
from typing import Any

from pythonjsonlogger.json import JsonFormatter

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
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The Azure SDK logs every request and response at INFO: two multi-line records per
    # cloud call, each redacted, cost more than the call in a burst of creates.
    for noisy in ("uvicorn.access", "nats", "aiobotocore", "botocore", "urllib3", "azure"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
