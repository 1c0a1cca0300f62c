from __future__ import annotations

from pydantic import Field, SecretStr

from skyclust_common.settings import DatabaseServiceSettings


class NotificationSettings(DatabaseServiceSettings):
    # Links in notifications and mails point here.
    public_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://")

    # The mail server. Without a host no mail is sent: the account mail commands wait
    # on the work queue until one is configured.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "SkyClust <no-reply@skyclust.local>"
    # Refuse a server that does not offer STARTTLS (otherwise: STARTTLS when offered).
    smtp_require_tls: bool = False
    smtp_timeout_seconds: float = Field(default=15.0, gt=0)
