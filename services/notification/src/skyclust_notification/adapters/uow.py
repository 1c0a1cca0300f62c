"""The unit of work on PostgreSQL: the repositories of one transaction."""

from __future__ import annotations

from skyclust_common.db import UnitOfWork

from .sql import SqlNotifications
from .sql_webhooks import SqlChannels, SqlDeliveries


class SqlNotificationUnitOfWork(UnitOfWork):
    @property
    def notifications(self) -> SqlNotifications:
        return SqlNotifications(self.session)

    @property
    def channels(self) -> SqlChannels:
        return SqlChannels(self.session)

    @property
    def deliveries(self) -> SqlDeliveries:
        return SqlDeliveries(self.session)
