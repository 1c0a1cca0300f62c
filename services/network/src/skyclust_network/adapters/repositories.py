"""What handlers may ask of the store: one repository per aggregate, and the unit of
work that hands them out. `sql.py` implements them on PostgreSQL, `fake_uow.py` in
memory; handlers see only these interfaces, never a session."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from skyclust_common.envelope import CloudEvent

from ..domain.cidr import Sibling
from .db import ClusterLink, ClusterNetwork, KnownCredential, SecurityGroup, Subnet, Vpc

R = TypeVar("R", Vpc, Subnet, SecurityGroup)


@dataclass(frozen=True)
class Filter:
    """What a listing asks for; a field left None (or empty) asks for any."""

    provider: str | None = None
    region: str | None = None
    credential_id: uuid.UUID | None = None
    vpc_id: uuid.UUID | None = None
    managed: bool | None = None

    @classmethod
    def of(cls, request: object, *names: str) -> Filter:
        """The filter a List... request (its contract's model) gives in the fields
        `names`."""
        return cls(**{name: getattr(request, name, None) for name in names})

    def fields(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and v != ""}


class Resources(Protocol[R]):
    """What networks, subnets and security groups are asked alike."""

    async def get(
        self, workspace_id: uuid.UUID, row_id: uuid.UUID, *, for_update: bool = False
    ) -> R | None: ...

    async def search(self, workspace_id: uuid.UUID, where: Filter = ...) -> list[R]:
        """The rows that are not deleted and match `where`, oldest first."""
        ...

    def add(self, row: R) -> None: ...


class VpcRepository(Resources[Vpc], Protocol):
    async def live_by_name(
        self, workspace_id: uuid.UUID, provider: str, region: str, name: str
    ) -> Vpc | None:
        """A managed network of that name that is neither deleted nor failed."""
        ...

    async def planned(self, workspace_id: uuid.UUID, exclude: uuid.UUID | None = None) -> list[Vpc]:
        """Networks the planner counts: anything that may hold address space in a cloud."""
        ...

    async def discoverable_scopes(self) -> list[tuple[uuid.UUID, str, uuid.UUID, str]]:
        """(workspace, provider, credential, region) of every network SkyClust knows."""
        ...


class Members(Resources[R], Protocol[R]):
    async def of_vpc(self, vpc_id: uuid.UUID) -> list[R]:
        """The network's rows that are not deleted, oldest first."""
        ...


class SubnetRepository(Members[Subnet], Protocol):
    async def siblings(self, vpc_id: uuid.UUID, exclude: uuid.UUID | None = None) -> list[Sibling]:
        """The ranges a new subnet must keep clear of."""
        ...

    async def by_cloud_ids(
        self, workspace_id: uuid.UUID, cloud_ids: Sequence[str]
    ) -> list[Subnet]: ...


class SecurityGroupRepository(Members[SecurityGroup], Protocol):
    async def live_by_name(self, vpc_id: uuid.UUID, name: str) -> SecurityGroup | None: ...

    async def rule_counts(self, vpc_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Rules per network, over its groups that are not deleted."""
        ...


class ClusterNetworkRepository(Protocol):
    async def get(
        self, cluster_id: uuid.UUID, *, for_update: bool = False
    ) -> ClusterNetwork | None: ...

    def add(self, row: ClusterNetwork) -> None: ...


class ClusterLinkRepository(Protocol):
    async def of_vpc(self, vpc_id: uuid.UUID) -> list[ClusterLink]: ...

    async def link(
        self, workspace_id: uuid.UUID, cluster_id: uuid.UUID, vpc_id: uuid.UUID, name: str
    ) -> None: ...

    async def unlink(self, cluster_id: uuid.UUID) -> None: ...


class CredentialRepository(Protocol):
    async def remember(
        self, workspace_id: uuid.UUID, credential_id: uuid.UUID, provider: str, region: str | None
    ) -> None: ...

    async def forget(self, credential_id: uuid.UUID) -> None: ...

    async def all(self) -> list[KnownCredential]: ...


class NetworkUnitOfWork(Protocol):
    """One transaction over the network service's store. Locks taken in it are held
    until it commits or ends; `commit` raises UniqueViolation when a live name or cloud
    id is taken meanwhile."""

    @property
    def vpcs(self) -> VpcRepository: ...
    @property
    def subnets(self) -> SubnetRepository: ...
    @property
    def security_groups(self) -> SecurityGroupRepository: ...
    @property
    def cluster_networks(self) -> ClusterNetworkRepository: ...
    @property
    def cluster_links(self) -> ClusterLinkRepository: ...
    @property
    def credentials(self) -> CredentialRepository: ...

    def read_only(self) -> Self:
        """For reads with nothing to commit: no BEGIN and ROLLBACK around them."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def lock_plan(self, workspace_id: uuid.UUID) -> None:
        """Serialise check-then-insert of address space within a workspace."""
        ...

    async def lock_subnets(self, vpc_id: uuid.UUID) -> None:
        """Serialise check-then-insert of subnet ranges within a network."""
        ...

    async def lock_cluster(self, cluster_id: uuid.UUID) -> None:
        """One cluster-network run at a time per cluster."""
        ...

    async def flush(self) -> None: ...

    async def refresh(self, row: Any) -> None:
        """Read back what the store filled in (creation times) after a commit."""
        ...

    def detach(self, row: Any) -> Any:
        """The row, usable after this unit of work ends."""
        ...

    def emit(self, event: CloudEvent) -> None: ...

    async def seen(self, consumer: str, message_id: str) -> bool: ...

    async def commit(self) -> None: ...
