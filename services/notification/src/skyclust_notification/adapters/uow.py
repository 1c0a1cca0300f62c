"""The unit of work on PostgreSQL: the repositories of one transaction."""

from __future__ import annotations

from skyclust_common.db import UnitOfWork

from .sql import SqlNotifications


class SqlNotificationUnitOfWork(UnitOfWork):
    @property
    def notifications(self) -> SqlNotifications:
        return SqlNotifications(self.session)
