"""Errors crossing a real nats-server keep their class, status, code and retryability:
the caller decides to retry or to give up on what the other side said, not on a guess."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NoResponders,
    NotFound,
    ProviderError,
    ServiceTimeout,
    ServiceUnavailable,
    SkyclustError,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from skyclust_common.messaging import Bus, BusConfig, RpcContext, connect_nats, rpc_subject

pytestmark = pytest.mark.integration


class AuditDown(SkyclustError):
    """A service's own error class, known to both sides as the vault's is."""

    code = "AUDIT_DOWN"
    status = 503


@pytest.fixture
async def bus(nats_server) -> AsyncIterator[Bus]:
    nc = await connect_nats(nats_server.url, name="errtest", attempts=3)
    bus = Bus(nc, load_registry(), BusConfig(service=f"err{uuid.uuid4().hex[:8]}"))
    yield bus
    await bus.close()


async def answer_with(bus: Bus, error: BaseException) -> None:
    async def handler(data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
        raise error

    await bus.serve("GetJwks", handler)


CASES = [
    (ValidationFailed("bad field", code="FIELD_BAD"), 422, False),
    (BadRequest("nope"), 400, False),
    (Unauthorized("who are you"), 401, False),
    (Forbidden("not yours", code="DECRYPT_NOT_ALLOWED"), 403, False),
    (NotFound("gone", code="CREDENTIAL_NOT_FOUND"), 404, False),
    (Conflict("taken", code="CLUSTER_NAME_TAKEN"), 409, False),
    (TooManyRequests("slow down", details={"retry_after": 2}), 429, True),
    (ServiceUnavailable("down"), 503, True),
    (AuditDown("the trail cannot record it"), 503, True),
    (ProviderError("throttled", code="PROVIDER_THROTTLED", retryable=True), 502, True),
    (ProviderError("bad keys", code="PROVIDER_AUTH_FAILED", retryable=False), 502, False),
]


@pytest.mark.parametrize(("raised", "status", "retryable"), CASES, ids=lambda v: repr(v)[:40])
async def test_a_handler_error_reaches_the_caller_as_the_same_error(
    bus: Bus, raised: SkyclustError, status: int, retryable: bool
) -> None:
    await answer_with(bus, raised)
    with pytest.raises(SkyclustError) as info:
        await bus.request(bus.service, "GetJwks", {}, timeout=3)
    got = info.value
    assert type(got) is type(raised)
    assert (got.code, got.status, got.retryable) == (raised.code, status, retryable)
    assert got.message == raised.message
    assert got.details == raised.details


async def test_a_provider_error_keeps_its_provider(bus: Bus) -> None:
    await answer_with(
        bus, ProviderError("down", code="PROVIDER_UNAVAILABLE", retryable=True, provider="gcp")
    )
    with pytest.raises(ProviderError) as info:
        await bus.request(bus.service, "GetJwks", {}, timeout=3)
    assert (info.value.provider, info.value.retryable) == ("gcp", True)


async def test_a_crashed_handler_is_a_retryable_internal_error(bus: Bus) -> None:
    await answer_with(bus, RuntimeError("database went away"))
    with pytest.raises(SkyclustError) as info:
        await bus.request(bus.service, "GetJwks", {}, timeout=3)
    assert (info.value.code, info.value.status, info.value.retryable) == (
        "INTERNAL_ERROR",
        500,
        True,
    )
    assert "database" not in info.value.message, "the crash's detail stays on its side"


async def test_a_handler_that_cannot_reach_its_database_answers_service_unavailable(
    bus: Bus,
) -> None:
    """Not a 500: the caller (the gateway, a saga) may try again once it is back."""
    await answer_with(bus, ConnectionRefusedError(111, "Connect call failed"))
    with pytest.raises(ServiceUnavailable) as info:
        await bus.request(bus.service, "GetJwks", {}, timeout=3)
    assert (info.value.code, info.value.status, info.value.retryable) == (
        "SERVICE_UNAVAILABLE",
        503,
        True,
    )
    assert "database" in info.value.message


async def test_no_responders_is_retryable(bus: Bus) -> None:
    with pytest.raises(NoResponders) as info:
        await bus.request(f"nobody{uuid.uuid4().hex[:6]}", "GetJwks", {}, timeout=2)
    assert isinstance(info.value, ServiceUnavailable)
    assert (info.value.code, info.value.status, info.value.retryable) == (
        "SERVICE_UNAVAILABLE",
        503,
        True,
    )


async def test_a_timeout_is_retryable(bus: Bus) -> None:
    async def stuck(data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
        await asyncio.sleep(1)
        return {"keys": []}

    await bus.serve("GetJwks", stuck)
    with pytest.raises(ServiceTimeout) as info:
        await bus.request(bus.service, "GetJwks", {}, timeout=0.3)
    assert (info.value.code, info.value.status, info.value.retryable) == (
        "SERVICE_UNAVAILABLE",
        503,
        True,
    )
    assert info.value.details["service"] == bus.service


async def raw_responder(bus: Bus, body: dict[str, Any]) -> None:
    """A peer this process shares no error classes with, or one from before errors
    carried theirs."""

    async def respond(msg: Any) -> None:
        await msg.respond(orjson.dumps(body))

    await bus.nc.subscribe(rpc_subject(bus.service, "GetJwks"), cb=respond)


async def test_an_unknown_error_class_keeps_status_code_and_retryability(bus: Bus) -> None:
    error = {
        "class": "AnErrorOnlyThePeerKnows",
        # A code no process declares: one that a class declares comes back as it.
        "code": "A_CODE_ONLY_THE_PEER_KNOWS",
        "message": "retired",
        "status": 409,
        "retryable": False,
        "details": {"key_version": "v1"},
    }
    await raw_responder(bus, {"ok": False, "error": error})
    with pytest.raises(SkyclustError) as info:
        await bus.request(bus.service, "GetJwks", {}, timeout=3)
    got = info.value
    assert type(got) is SkyclustError
    assert (got.code, got.status, got.retryable, got.details) == (
        "A_CODE_ONLY_THE_PEER_KNOWS",
        409,
        False,
        {"key_version": "v1"},
    )


async def test_a_5xx_that_does_not_say_is_retryable(bus: Bus) -> None:
    error = {"code": "AUDIT_UNAVAILABLE", "message": "no audit", "status": 503}
    await raw_responder(bus, {"ok": False, "error": error})
    with pytest.raises(SkyclustError) as info:
        await bus.request(bus.service, "GetJwks", {}, timeout=3)
    assert (info.value.code, info.value.status, info.value.retryable) == (
        "AUDIT_UNAVAILABLE",
        503,
        True,
    )


def test_to_dict_names_the_class_and_its_retryability() -> None:
    data = ServiceTimeout("late", details={"service": "vault"}).to_dict()
    assert data == {
        "class": "ServiceTimeout",
        "code": "SERVICE_UNAVAILABLE",
        "message": "late",
        "status": 503,
        "retryable": True,
        "details": {"service": "vault"},
    }
    assert type(SkyclustError.from_dict(data)) is ServiceTimeout
