from __future__ import annotations

from pydantic import Field

from skyclust_common.settings import DatabaseServiceSettings


class NotificationSettings(DatabaseServiceSettings):
    # Links in notifications and mails point here.
    public_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://")
