"""What both emulators share: clock, durations, faults, request log and the common admin API."""

from __future__ import annotations

import abc
import json
from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._billing import BillingClock, Ledger, Meter, admin_billing
from ._core import JSON, Clock, Durations, FaultInjector, RequestLog, Router, Scheduler

AdminHandler = Callable[[Request, dict[str, str], JSON], Awaitable[Response]]


class AdminProblem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class EmulatorBase(abc.ABC):
    def __init__(
        self,
        default_durations: Mapping[str, float],
        durations: Mapping[str, float] | None,
        *,
        token_lifetime: float,
        billing_speed: float = 1.0,
    ) -> None:
        configured = Durations(default_durations)
        configured.update(durations or {})
        self.durations = Durations(configured.as_dict())
        self.clock = Clock()
        self.scheduler = Scheduler(self.clock)
        self.faults = FaultInjector()
        self.log = RequestLog()
        self.token_lifetime = token_lifetime
        self.ledger = Ledger(BillingClock(self.clock, billing_speed))
        self.admin_router = Router()
        a = "/_emulator"
        self.admin_router.add(["GET"], f"{a}/health", self._admin_health)
        self.admin_router.add(["GET", "PUT"], f"{a}/durations", self._admin_durations)
        self.admin_router.add(["GET", "POST", "DELETE"], f"{a}/faults", self._admin_faults)
        self.admin_router.add(["GET", "POST"], f"{a}/clock", self._admin_clock)
        self.admin_router.add(["GET"], f"{a}/resources", self._admin_resources)
        self.admin_router.add(["GET", "DELETE"], f"{a}/requests", self._admin_requests)
        self.admin_router.add(["POST"], f"{a}/reset", self._admin_reset)
        self.admin_router.add(["GET", "PUT", "POST"], f"{a}/billing", self._admin_billing)
        self.admin_router.add(["POST"], f"{a}/billing/history", self._admin_billing)
        self.admin_router.add(["POST"], f"{a}/billing/items", self._admin_billing)

    def reset(self, *, keep_accounts: bool = False) -> None:
        self.scheduler.clear()
        self.faults.clear()
        self.log.clear()
        self.durations.reset()
        self.clock.offset = 0.0
        self.ledger.reset()

    @abc.abstractmethod
    def resources(self) -> list[JSON]:
        """Every stored resource, for checks that nothing was left behind."""

    async def handle_admin(self, request: Request) -> Response:
        found = self.admin_router.match(request.method, request.url.path)
        if not found:
            return JSONResponse({"error": "no such admin endpoint"}, status_code=404)
        handler, params = found
        self.scheduler.run_due()
        try:
            raw = await request.body()
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise AdminProblem(400, "the request body must be a JSON object")
            return await handler(request, params, body)
        except AdminProblem as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        except (ValueError, TypeError, KeyError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    async def _admin_billing(
        self, request: Request, params: dict[str, str], body: JSON
    ) -> Response:
        self.ledger.observe(self.meters())
        name = request.url.path.removeprefix("/_emulator/")
        status, payload = admin_billing(self.ledger, request.method, name, body)
        return JSONResponse(payload, status_code=status)

    def meters(self) -> list[Meter]:
        """What is billed now; the emulators that bill override it."""
        return []

    async def _admin_health(self, request: Request, params: dict[str, str], body: JSON) -> Response:
        return JSONResponse({"ok": True})

    async def _admin_durations(
        self, request: Request, params: dict[str, str], body: JSON
    ) -> Response:
        if request.method == "PUT":
            self.durations.update(body)
        return JSONResponse(self.durations.as_dict())

    async def _admin_faults(self, request: Request, params: dict[str, str], body: JSON) -> Response:
        if request.method == "POST":
            return JSONResponse(self.faults.add(body).as_dict(), status_code=201)
        if request.method == "DELETE":
            self.faults.clear()
            return Response(status_code=204)
        return JSONResponse(self.faults.list())

    async def _admin_clock(self, request: Request, params: dict[str, str], body: JSON) -> Response:
        if request.method == "POST":
            self.clock.advance(float(body.get("advance_seconds", 0)))
            self.scheduler.run_due()
        return JSONResponse({"now": self.clock.now(), "offset_seconds": self.clock.offset})

    async def _admin_requests(
        self, request: Request, params: dict[str, str], body: JSON
    ) -> Response:
        if request.method == "DELETE":
            self.log.clear()
            return Response(status_code=204)
        return JSONResponse(self.log.list())

    async def _admin_reset(self, request: Request, params: dict[str, str], body: JSON) -> Response:
        self.reset(keep_accounts=bool(body.get("keep_accounts", False)))
        return Response(status_code=204)

    async def _admin_resources(
        self, request: Request, params: dict[str, str], body: JSON
    ) -> Response:
        return JSONResponse(self.resources())
