"""The price cache: what each cloud's pricing API last answered, and how each refresh went,
on PostgreSQL and in memory (the fake is a real implementation for the unit lane)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.prices import LivePrice
from ..domain.records import CostWarning
from .db import CachedPrice, KnownCredential, PriceRefresh


@dataclass(frozen=True)
class RefreshStatus:
    provider: str
    refreshed_at: datetime | None
    attempted_at: datetime
    warning: CostWarning | None


class PriceCache(Protocol):
    async def prices(self) -> list[tuple[LivePrice, datetime]]: ...

    async def statuses(self) -> dict[str, RefreshStatus]: ...

    async def replace(self, provider: str, prices: Sequence[LivePrice], at: datetime) -> None:
        """A successful refresh: the provider's prices are these, as of `at`."""
        ...

    async def failed(self, provider: str, warning: CostWarning, at: datetime) -> None:
        """A refresh that could not read the API: the prices cached stay as they are."""
        ...

    async def a_credential(self, provider: str) -> tuple[uuid.UUID, uuid.UUID] | None:
        """(workspace, credential) of some known credential of the cloud: price lists
        are the same for every account, but AWS and GCP need one to be read."""
        ...


class SqlPriceCache:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def prices(self) -> list[tuple[LivePrice, datetime]]:
        found = (await self.session.execute(select(CachedPrice))).scalars()
        return [
            (LivePrice(p.provider, p.kind, p.name, p.region, p.hourly, p.currency), p.fetched_at)
            for p in found
        ]

    async def statuses(self) -> dict[str, RefreshStatus]:
        found = (await self.session.execute(select(PriceRefresh))).scalars()
        return {
            r.provider: RefreshStatus(
                r.provider,
                r.refreshed_at,
                r.attempted_at,
                CostWarning(r.warning_code, r.warning_message or "", r.provider, "pricing")
                if r.warning_code
                else None,
            )
            for r in found
        }

    async def replace(self, provider: str, prices: Sequence[LivePrice], at: datetime) -> None:
        await self.session.execute(delete(CachedPrice).where(CachedPrice.provider == provider))
        unique = {(p.kind, p.name, p.region): p for p in prices}
        if unique:
            await self.session.execute(
                insert(CachedPrice),
                [
                    {
                        "provider": provider,
                        "kind": p.kind,
                        "name": p.name,
                        "region": p.region,
                        "hourly": p.hourly,
                        "currency": p.currency,
                        "fetched_at": at,
                    }
                    for p in unique.values()
                ],
            )
        await self._status(provider, at, at, None)

    async def failed(self, provider: str, warning: CostWarning, at: datetime) -> None:
        await self._status(provider, None, at, warning)

    async def _status(
        self,
        provider: str,
        refreshed_at: datetime | None,
        attempted_at: datetime,
        warning: CostWarning | None,
    ) -> None:
        values: dict[str, Any] = {
            "provider": provider,
            "attempted_at": attempted_at,
            "warning_code": warning.code if warning else None,
            "warning_message": warning.message if warning else None,
        }
        update = dict(values)
        if refreshed_at is not None:
            values["refreshed_at"] = update["refreshed_at"] = refreshed_at
        stmt = insert(PriceRefresh).values(**values)
        update.pop("provider")
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=["provider"], set_=update)
        )

    async def a_credential(self, provider: str) -> tuple[uuid.UUID, uuid.UUID] | None:
        stmt = (
            select(KnownCredential.workspace_id, KnownCredential.credential_id)
            .where(KnownCredential.provider == provider)
            .order_by(KnownCredential.credential_id)
            .limit(1)
        )
        row = (await self.session.execute(stmt)).first()
        return None if row is None else (row[0], row[1])


class FakePriceCache:
    def __init__(
        self, prices: dict[Any, Any], statuses: dict[Any, Any], credentials: dict[Any, Any]
    ) -> None:
        self._prices = prices
        self._statuses = statuses
        self._credentials = credentials

    async def prices(self) -> list[tuple[LivePrice, datetime]]:
        return list(self._prices.values())

    async def statuses(self) -> dict[str, RefreshStatus]:
        return dict(self._statuses)

    async def replace(self, provider: str, prices: Sequence[LivePrice], at: datetime) -> None:
        for key in [k for k in self._prices if k[0] == provider]:
            del self._prices[key]
        for p in prices:
            self._prices[(provider, p.kind, p.name, p.region)] = (p, at)
        self._statuses[provider] = RefreshStatus(provider, at, at, None)

    async def failed(self, provider: str, warning: CostWarning, at: datetime) -> None:
        before = self._statuses.get(provider)
        self._statuses[provider] = RefreshStatus(
            provider, before.refreshed_at if before else None, at, warning
        )

    async def a_credential(self, provider: str) -> tuple[uuid.UUID, uuid.UUID] | None:
        found = sorted(
            (credential_id, workspace_id)
            for credential_id, (workspace_id, name) in self._credentials.items()
            if name == provider
        )
        return (found[0][1], found[0][0]) if found else None
