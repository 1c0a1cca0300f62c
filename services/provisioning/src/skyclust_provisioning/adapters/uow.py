"""Provisioning's unit of work: one transaction, handing out the repositories."""

from __future__ import annotations

from skyclust_common.db import UnitOfWork

from ..domain.errors import NameTaken
from .db import Clusters, KnownBudgets, NodeGroups


class ProvisioningUnitOfWork(UnitOfWork):
    # A live cluster or node group of that name exists already (the unique indexes: a
    # concurrent create won).
    duplicate_key = NameTaken

    @property
    def clusters(self) -> Clusters:
        return Clusters(self.session)

    @property
    def node_groups(self) -> NodeGroups:
        return NodeGroups(self.session)

    @property
    def budgets(self) -> KnownBudgets:
        return KnownBudgets(self.session)
