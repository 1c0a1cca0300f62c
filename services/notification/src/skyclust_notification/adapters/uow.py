"""The unit of work on PostgreSQL: the repositories of one transaction."""

from __future__ import annotations

from typing import Any

from skyclust_common.db import UnitOfWork

from .secret_box import SecretBox
from .sql import SqlNotifications
from .sql_rules import SqlMutes, SqlResourceTags, SqlRules
from .sql_webhooks import SqlChannels, SqlDeliveries


class SqlNotificationUnitOfWork(UnitOfWork):
    def __init__(self, *args: Any, secret_box: SecretBox | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.secret_box = secret_box or SecretBox()

    @property
    def notifications(self) -> SqlNotifications:
        return SqlNotifications(self.session)

    @property
    def channels(self) -> SqlChannels:
        return SqlChannels(self.session, self.secret_box)

    @property
    def deliveries(self) -> SqlDeliveries:
        return SqlDeliveries(self.session)

    @property
    def rules(self) -> SqlRules:
        return SqlRules(self.session)

    @property
    def mutes(self) -> SqlMutes:
        return SqlMutes(self.session)

    @property
    def resource_tags(self) -> SqlResourceTags:
        return SqlResourceTags(self.session)
