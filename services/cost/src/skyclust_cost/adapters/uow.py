"""The unit of work on PostgreSQL: the repositories of one transaction."""

from __future__ import annotations

from skyclust_common.db import UnitOfWork

from .budget_sql import SqlBudgets, SqlCrossings
from .price_cache import SqlPriceCache
from .sql import SqlCollectionStatuses, SqlCostRecords, SqlCredentials, SqlInventory


class SqlCostUnitOfWork(UnitOfWork):
    @property
    def records(self) -> SqlCostRecords:
        return SqlCostRecords(self.session)

    @property
    def statuses(self) -> SqlCollectionStatuses:
        return SqlCollectionStatuses(self.session)

    @property
    def credentials(self) -> SqlCredentials:
        return SqlCredentials(self.session)

    @property
    def inventory(self) -> SqlInventory:
        return SqlInventory(self.session)

    @property
    def budgets(self) -> SqlBudgets:
        return SqlBudgets(self.session)

    @property
    def crossings(self) -> SqlCrossings:
        return SqlCrossings(self.session)

    @property
    def prices(self) -> SqlPriceCache:
        return SqlPriceCache(self.session)
