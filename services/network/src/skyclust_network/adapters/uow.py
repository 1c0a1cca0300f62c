"""The unit of work on PostgreSQL: the repositories of one transaction, and its locks."""

from __future__ import annotations

import uuid
from typing import Any

from skyclust_common.db import UnitOfWork, advisory_xact_lock

from ..domain.errors import UniqueViolation
from .sql import ClusterLinks, ClusterNetworks, KnownCredentials, SecurityGroups, Subnets, Vpcs


class SqlNetworkUnitOfWork(UnitOfWork):
    # A live name or cloud id taken meanwhile (the schema's unique indexes).
    duplicate_key = UniqueViolation

    @property
    def vpcs(self) -> Vpcs:
        return Vpcs(self.session)

    @property
    def subnets(self) -> Subnets:
        return Subnets(self.session)

    @property
    def security_groups(self) -> SecurityGroups:
        return SecurityGroups(self.session)

    @property
    def cluster_networks(self) -> ClusterNetworks:
        return ClusterNetworks(self.session)

    @property
    def cluster_links(self) -> ClusterLinks:
        return ClusterLinks(self.session)

    @property
    def credentials(self) -> KnownCredentials:
        return KnownCredentials(self.session)

    async def lock_plan(self, workspace_id: uuid.UUID) -> None:
        await advisory_xact_lock(self.session, f"network-plan:{workspace_id}")

    async def lock_subnets(self, vpc_id: uuid.UUID) -> None:
        await advisory_xact_lock(self.session, f"network-subnets:{vpc_id}")

    async def lock_cluster(self, cluster_id: uuid.UUID) -> None:
        await advisory_xact_lock(self.session, f"cluster-network:{cluster_id}")

    async def flush(self) -> None:
        await self.session.flush()

    async def refresh(self, row: Any) -> None:
        await self.session.refresh(row)

    def detach(self, row: Any) -> Any:
        # The closing rollback would expire it otherwise.
        self.session.expunge(row)
        return row
