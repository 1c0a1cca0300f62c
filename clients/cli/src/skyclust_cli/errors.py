"""Exit codes and the one error the commands raise. Every failure a user can meet is a
CliError with a stable code; it is printed as `error: CODE: message`, never as a
traceback."""

from __future__ import annotations

import enum
from typing import Any


class ExitCode(enum.IntEnum):
    OK = 0
    API = 1  # the API answered with an error
    USAGE = 2  # bad arguments or configuration (click uses 2 for its usage errors too)
    AUTH = 3  # not logged in, token or key refused, role not allowed
    WATCH = 4  # a watched operation failed or did not finish in time
    UNREACHABLE = 5  # the gateway could not be reached
    INTERRUPTED = 130  # Ctrl-C


AUTH_STATUSES = frozenset({401, 403})


class CliError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        exit_code: ExitCode = ExitCode.API,
        *,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.exit_code = exit_code
        self.status = status
        self.details = details or {}


def api_error(status: int, body: Any) -> CliError:
    """The envelope's error, or a generic one for a response that is not an envelope."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("code"):
        code, message = str(error["code"]), str(error.get("message") or "")
        details = error.get("details") if isinstance(error.get("details"), dict) else {}
    else:
        code, message, details = f"HTTP_{status}", "the gateway answered without an error body", {}
    exit_code = ExitCode.AUTH if status in AUTH_STATUSES else ExitCode.API
    return CliError(code, message, exit_code, status=status, details=details)
