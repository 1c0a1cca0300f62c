"""Test doubles for the vault (the two calls the network service makes), and the
plumbing to drive handlers and read what they committed to the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from skyclust_common.contracts import load_registry
from skyclust_common.db import outbox_table
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import NotFound
from skyclust_common.messaging import Delivery, RpcContext
from skyclust_network.adapters.db import metadata
from skyclust_network.adapters.fake_uow import FakeNetworkDatabase, FakeNetworkUnitOfWork
from skyclust_network.adapters.providers.base import NetworkProvider
from skyclust_network.adapters.uow import SqlNetworkUnitOfWork
from skyclust_network.entrypoints.events import SAGA_STEPS
from skyclust_network.entrypoints.rpc import CONTRACTS
from skyclust_network.handlers.common import NetworkDeps

CTX = RpcContext({})


@dataclass
class FakeVault:
    """Credentials by id: GetCredential's masked view and DecryptCredential's secret."""

    credentials: dict[str, tuple[str, str, dict[str, Any]]] = field(default_factory=dict)
    decrypts: list[str] = field(default_factory=list)

    def add(self, workspace_id: str, provider: str, data: dict[str, Any]) -> str:
        credential_id = str(uuid.uuid4())
        self.credentials[credential_id] = (workspace_id, provider, data)
        return credential_id

    def _find(self, workspace_id: str, credential_id: str) -> tuple[str, dict[str, Any]]:
        found = self.credentials.get(credential_id)
        if found is None or found[0] != workspace_id:
            raise NotFound("credential not found", code="CREDENTIAL_NOT_FOUND")
        return found[1], found[2]

    async def lookup(self, workspace_id: str, credential_id: str) -> dict[str, Any]:
        provider, data = self._find(workspace_id, credential_id)
        return {"id": credential_id, "provider": provider, "masked": {"region": data.get("region")}}

    async def decrypt(
        self, workspace_id: str, credential_id: str, reason: str, correlation_id: str
    ) -> dict[str, Any]:
        provider, data = self._find(workspace_id, credential_id)
        self.decrypts.append(reason)
        return {"provider": provider, "data": data}


def make_deps(
    sessions: Any, providers: Mapping[str, NetworkProvider], vault: FakeVault, **kw: Any
) -> NetworkDeps:
    return NetworkDeps(
        uow=lambda: SqlNetworkUnitOfWork(sessions, metadata, load_registry()),
        providers=providers,
        lookup_credential=vault.lookup,
        decrypt_credential=vault.decrypt,
        max_attempts=kw.pop("max_attempts", 3),
        **kw,
    )


async def outbox(
    deps: NetworkDeps, subject: str | None = None, *, workspace: str | None = None
) -> list[CloudEvent]:
    table = outbox_table(metadata)
    store = deps.uow()
    assert isinstance(store, SqlNetworkUnitOfWork)
    async with store as uow:
        rows = await uow.session.execute(
            select(table.c.payload).order_by(table.c.created_at, table.c.id)
        )
        events = [CloudEvent.model_validate(row[0]) for row in rows]
    return [
        e
        for e in events
        if (subject is None or e.subject == subject)
        and (workspace is None or e.workspaceid == workspace)
    ]


def delivery(n: int = 1) -> Delivery:
    return Delivery("test", "subject", n, 1)


async def settle(deps: NetworkDeps, subject: str, seen: set[str] | None = None) -> list[str]:
    """Run the saga step for every not yet handled event about `subject`, the way the
    consumer would; returns the names of all events about it."""
    handled = seen if seen is not None else set()
    while True:
        pending = [
            e for e in await outbox(deps, subject) if e.id not in handled and e.name in SAGA_STEPS
        ]
        if not pending:
            return [e.name for e in await outbox(deps, subject)]
        for event in pending:
            handled.add(event.id)
            await SAGA_STEPS[event.name](deps, event, delivery())


def command(name: str, workspace_id: str, data: dict[str, Any]) -> CloudEvent:
    return new_event(
        name, data, source="provisioning", workspace_id=workspace_id, subject=data["cluster_id"]
    )


class FaultyProvider:
    """A real provider with one injected failure: call number `at` of `method` raises
    `error` instead of reaching the cloud."""

    def __init__(self, inner: Any, method: str, at: int, error: Exception) -> None:
        self._inner = inner
        self._method = method
        self._at = at
        self._error = error
        self.calls = 0
        self.name = inner.name

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if name != self._method:
            return target

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == self._at:
                raise self._error
            return await target(*args, **kwargs)

        return call


@dataclass
class FakeStore:
    """Handlers wired to the in-memory store and the in-memory cloud: the unit lane."""

    deps: NetworkDeps
    db: FakeNetworkDatabase
    vault: FakeVault

    def events(self, subject: str | None = None) -> list[CloudEvent]:
        return [e for e in self.db.events() if subject is None or e.subject == subject]

    async def settle(self, subject: str) -> list[str]:
        """Run the saga step for every not yet handled event about `subject`."""
        handled: set[str] = set()
        while True:
            pending = [
                e for e in self.events(subject) if e.id not in handled and e.name in SAGA_STEPS
            ]
            if not pending:
                return [e.name for e in self.events(subject)]
            for event in pending:
                handled.add(event.id)
                await SAGA_STEPS[event.name](self.deps, event, delivery())


def fake_store(providers: Mapping[str, NetworkProvider], **kw: Any) -> FakeStore:
    db = FakeNetworkDatabase()
    registry = load_registry()
    vault = FakeVault()
    deps = NetworkDeps(
        uow=lambda: FakeNetworkUnitOfWork(db, registry),
        providers=providers,
        lookup_credential=vault.lookup,
        decrypt_credential=vault.decrypt,
        max_attempts=kw.pop("max_attempts", 3),
        **kw,
    )
    return FakeStore(deps, db, vault)


async def call(
    handler: Callable[..., Awaitable[dict[str, Any]]],
    deps: NetworkDeps,
    body: dict[str, Any],
    ctx: RpcContext = CTX,
) -> dict[str, Any]:
    """A handler called as the bus calls it: with its request parsed by the contract it
    serves (entrypoints/rpc.py), so a test's request is checked as a gateway's would be."""
    return await handler(deps, CONTRACTS[handler].request(body), ctx)
