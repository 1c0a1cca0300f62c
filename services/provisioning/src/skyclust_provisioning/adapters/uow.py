"""Provisioning's unit of work: one transaction, handing out the repositories."""

from __future__ import annotations

from typing import Self

from sqlalchemy.exc import IntegrityError

from skyclust_common.db import UnitOfWork

from ..domain.errors import NameTaken
from .db import Clusters, NodeGroups


class ProvisioningUnitOfWork(UnitOfWork):
    @property
    def clusters(self) -> Clusters:
        return Clusters(self.session)

    @property
    def node_groups(self) -> NodeGroups:
        return NodeGroups(self.session)

    def read_only(self) -> Self:
        super().read_only()
        return self

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        return self

    async def commit(self) -> None:
        """Raises NameTaken when a live cluster or node group of that name exists
        already (the unique indexes: a concurrent create won)."""
        try:
            await super().commit()
        except IntegrityError:
            raise NameTaken from None
