"""The AWS emulator: moto's own WSGI app with the EKS additions of `_eks`, injected faults,
deferred EKS updates and the `/_emulator` admin API the GCP and Azure emulators have."""

from __future__ import annotations

import functools
import io
import json
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from .._billing import BillingClock, Ledger, admin_billing
from .._core import JSON, Clock, Durations, Fault, FaultInjector, RequestLog, Scheduler
from . import _billing, _eks, _iam, _speed

DEFAULT_DURATIONS: dict[str, float] = {
    "cluster_create": 3.0,  # a create that fails (operation_error); others are at once
    "cluster_update": 3.0,
    "nodegroup_update": 3.0,
}

StartResponse = Callable[..., Any]
_DEFAULT_ERRORS = {
    400: ("InvalidParameterException", "The request is invalid."),
    401: ("UnrecognizedClientException", "The security token included in the request is invalid."),
    403: ("AccessDeniedException", "User is not authorized to perform this action."),
    404: ("ResourceNotFoundException", "The resource was not found."),
    409: ("ResourceInUseException", "The resource is in use."),
    429: ("ThrottlingException", "Rate exceeded"),
    500: ("ServerException", "An internal error occurred."),
    503: ("ServiceUnavailableException", "Service is unavailable."),
}
_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_SERVICE_IN_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


class AdminProblem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class AwsEmulator:
    """A WSGI app; serve it with werkzeug's threaded server as moto_server does (see
    `__main__`). moto's state is per process, so there is one of these per process."""

    def __init__(
        self, durations: Mapping[str, float] | None = None, *, billing_speed: float = 1.0
    ) -> None:
        configured = Durations(DEFAULT_DURATIONS)
        configured.update(durations or {})
        self.durations = Durations(configured.as_dict())
        self.clock = Clock()
        self.scheduler = Scheduler(self.clock)
        self.faults = FaultInjector()
        self.log = RequestLog()
        self.ledger = Ledger(BillingClock(self.clock, billing_speed))
        # werkzeug serves requests from many threads; the emulator's own state is shared.
        self._lock = threading.RLock()
        _eks.install()
        _iam.install()
        _speed.install()
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._admin: dict[str, Callable[[str, JSON], tuple[int, Any]]] = {
            "health": self._admin_health,
            "reset": self._admin_reset,
            "durations": self._admin_durations,
            "faults": self._admin_faults,
            "clock": self._admin_clock,
            "resources": self._admin_resources,
            "requests": self._admin_requests,
        }
        for name in ("billing", "billing/history", "billing/items"):
            self._admin[name] = functools.partial(self._admin_billing, name)

    # what EKS updates need (`_eks.Timing`)

    def duration(self, kind: str) -> float:
        with self._lock:
            return self.durations[kind]

    def schedule(self, seconds: float, action: Callable[[], None]) -> None:
        with self._lock:
            self.scheduler.after(seconds, action)
            self.scheduler.run_due()

    def reset(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        with self._lock:
            self.scheduler.clear()
            self.faults.clear()
            self.log.clear()
            self.durations.reset()
            self.clock.offset = 0.0
            moto_api_backend.reset()
            self.ledger.reset()

    # WSGI

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        method = str(environ.get("REQUEST_METHOD", "GET"))
        if path.startswith("/_emulator/"):
            return self._handle_admin(environ, start_response, path.removeprefix("/_emulator/"))
        # JSON- and query-protocol calls all go to "/": faults may name the operation
        # instead (`/CreateVpc`, `/AWSInsightsIndexService.GetCostAndUsage`).
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        action = _query_action(environ) if path == "/" and not target else ""
        with self._lock:
            self.scheduler.run_due()
            fault = self.faults.take(method, path)
            if fault is None and (target or action):
                fault = self.faults.take(method, f"/{target or action}")
        if fault is not None and fault.hang_seconds:
            time.sleep(fault.hang_seconds)
        if fault is not None and fault.status and not fault.operation_error:
            status, headers, body = _fault_response(environ, fault, target)
            start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
            self.log.record(method, path, str(environ.get("QUERY_STRING", "")), status)
            return [body]
        if _billing.is_billing_target(target):
            return self._billing(environ, start_response, target)
        operation_fault = fault if fault is not None and fault.operation_error else None
        environ[_eks.ENVIRON_KEY] = _eks.EksContext(self, operation_fault)
        seen: list[int] = []

        def recording_start_response(status: str, headers: Any, *args: Any) -> Any:
            seen.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, *args)

        result = self._moto(environ, recording_start_response)
        with self._lock:
            self.ledger.observe_safely(_billing.meters)
        self.log.record(method, path, str(environ.get("QUERY_STRING", "")), seen[0] if seen else 0)
        return result

    def _billing(
        self, environ: dict[str, Any], start_response: StartResponse, target: str
    ) -> Iterable[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(size) if size else b""
        with self._lock:
            status, payload = _billing.handle(self.ledger, target, raw)
        headers = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ]
        if status >= 400:
            headers.append(("x-amzn-ErrorType", str(payload["__type"])))
        start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
        path = str(environ.get("PATH_INFO", ""))
        self.log.record(str(environ.get("REQUEST_METHOD", "")), path, target, status)
        return [json.dumps(payload).encode()]

    # admin API

    def _handle_admin(
        self, environ: dict[str, Any], start_response: StartResponse, name: str
    ) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        handler = self._admin.get(name.strip("/"))
        try:
            if handler is None:
                raise AdminProblem(404, "no such admin endpoint")
            size = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(size) if size else b""
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise AdminProblem(400, "the request body must be a JSON object")
            with self._lock:
                self.scheduler.run_due()
                status, payload = handler(method, body)
        except AdminProblem as exc:
            status, payload = exc.status, {"error": str(exc)}
        except (ValueError, TypeError, KeyError) as exc:
            status, payload = 400, {"error": str(exc)}
        data = b"" if payload is None else json.dumps(payload).encode()
        headers = [("Content-Type", "application/json")] if data else []
        start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
        return [data]

    @staticmethod
    def _only(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise AdminProblem(405, f"{method} is not allowed here")

    def _admin_health(self, method: str, body: JSON) -> tuple[int, Any]:
        self._only(method, "GET")
        return 200, {"ok": True}

    def _admin_reset(self, method: str, body: JSON) -> tuple[int, Any]:
        self._only(method, "POST")
        self.reset()
        return 204, None

    def _admin_durations(self, method: str, body: JSON) -> tuple[int, Any]:
        self._only(method, "GET", "PUT")
        if method == "PUT":
            self.durations.update(body)
        return 200, self.durations.as_dict()

    def _admin_faults(self, method: str, body: JSON) -> tuple[int, Any]:
        self._only(method, "GET", "POST", "DELETE")
        if method == "POST":
            return 201, self.faults.add(body).as_dict()
        if method == "DELETE":
            self.faults.clear()
            return 204, None
        return 200, self.faults.list()

    def _admin_clock(self, method: str, body: JSON) -> tuple[int, Any]:
        self._only(method, "GET", "POST")
        if method == "POST":
            self.clock.advance(float(body.get("advance_seconds", 0)))
            self.scheduler.run_due()
        return 200, {"now": self.clock.now(), "offset_seconds": self.clock.offset}

    def _admin_billing(self, name: str, method: str, body: JSON) -> tuple[int, Any]:
        return admin_billing(self.ledger, method, name, body)

    def _admin_resources(self, method: str, body: JSON) -> tuple[int, Any]:
        self._only(method, "GET")
        return 200, _eks.resources()

    def _admin_requests(self, method: str, body: JSON) -> tuple[int, Any]:
        self._only(method, "GET", "DELETE")
        if method == "DELETE":
            self.log.clear()
            return 204, None
        return 200, self.log.list()


def _query_action(environ: dict[str, Any]) -> str:
    """The `Action` of a query-protocol call (EC2, IAM, STS): in the form body of a POST,
    which is read here and put back for moto to read again."""
    if "x-www-form-urlencoded" not in str(environ.get("CONTENT_TYPE", "")):
        return ""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return ""
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    actions = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", [])
    return actions[0] if actions else ""


def _fault_response(
    environ: dict[str, Any], fault: Fault, target: str = ""
) -> tuple[int, list[Any], bytes]:
    """The error as the service's protocol words it, so botocore raises `ClientError` with
    the fault's code: XML for the query protocols (EC2, IAM, STS...), JSON with
    `x-amzn-ErrorType` for the JSON ones (EKS...)."""
    assert fault.status is not None
    status = fault.status
    code, message = _DEFAULT_ERRORS.get(status, ("InternalFailure", "Injected fault."))
    if status == 429 and target.startswith(_billing.CE_PREFIX):
        code = "LimitExceededException"  # Cost Explorer's throttling error
    code, message = fault.code or code, fault.message or message
    request_id = str(uuid.uuid4())
    headers: list[Any] = [("x-amzn-RequestId", request_id)]
    if fault.retry_after is not None:
        headers.append(("Retry-After", str(fault.retry_after)))
    content_type = str(environ.get("CONTENT_TYPE", ""))
    if content_type.startswith("application/x-www-form-urlencoded"):
        if not fault.code and status == 429:
            code = "Throttling"
        found = _SERVICE_IN_SCOPE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
        error = f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        if found is not None and found.group(1) == "ec2":
            xml = (
                f"<Response><Errors><Error>{error}</Error></Errors>"
                f"<RequestID>{request_id}</RequestID></Response>"
            )
        else:
            kind = "Receiver" if status >= 500 else "Sender"
            xml = (
                f"<ErrorResponse><Error><Type>{kind}</Type>{error}</Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        headers.append(("Content-Type", "text/xml"))
        return status, headers, xml.encode()
    headers += [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    return status, headers, json.dumps({"__type": code, "message": message}).encode()


__all__ = ["DEFAULT_DURATIONS", "AwsEmulator"]
