from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator

from skyclust_common.settings import DatabaseServiceSettings

from .adapters.secret_box import LEGACY_VERSION, SecretBox, parse_key
from .adapters.webhook_http import tls_context
from .domain.ssrf import parse_cidrs


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

    # Networks webhooks may be sent to although the address policy refuses them
    # (comma-separated CIDRs, e.g. 127.0.0.0/8 for a local test receiver).
    webhook_allowed_cidrs: str = ""
    # Waits between a webhook's attempts, in seconds (Standard Webhooks' schedule:
    # 5s, 5m, 30m, 2h, 5h, 10h, 10h), each with +/- webhook_retry_jitter.
    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,36000"
    webhook_retry_jitter: float = Field(default=0.2, ge=0, lt=1)
    webhook_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_read_timeout_seconds: float = Field(default=15.0, gt=0)
    webhook_max_response_bytes: int = Field(default=65536, ge=0)
    # How long the secret before a rotation still signs deliveries.
    webhook_rotation_overlap_seconds: float = Field(default=86400.0, ge=0)
    # An endpoint failing every delivery for this long is disabled and its admins told.
    webhook_disable_after_seconds: float = Field(default=259200.0, gt=0)
    # Keys that seal webhook signing secrets at rest (AES-GCM; JSON: version -> base64 of
    # 32 bytes), and the version that seals (the others still open, and what they sealed
    # is sealed again under the active one on use or by `secrets reseal`). Unset, secrets
    # are kept unsealed in the service's schema.
    webhook_secrets_keys: dict[str, SecretStr] = Field(default_factory=dict)
    webhook_secrets_active_key: str = Field(default="v1", pattern=r"^[A-Za-z0-9._-]{1,32}$")
    # One key before versions existed: the same as {"v1": key} in webhook_secrets_keys.
    webhook_secrets_key: SecretStr | None = None
    # A PEM bundle of CAs trusted for https webhooks besides the public ones.
    webhook_ca_bundle: str | None = None
    # A claimed delivery is not claimed again for this long: after a crash mid-send it is
    # sent again once this has passed. Longer than one attempt can take.
    webhook_lease_seconds: float = Field(default=120.0, gt=0)
    # How often due deliveries are looked for.
    webhook_poll_seconds: float = Field(default=1.0, gt=0)

    @field_validator("webhook_allowed_cidrs")
    @classmethod
    def _cidrs(cls, value: str) -> str:
        parse_cidrs(value)
        return value

    @model_validator(mode="after")
    def _lease_outlasts_an_attempt(self) -> Self:
        longest = self.webhook_connect_timeout_seconds + self.webhook_read_timeout_seconds
        if self.webhook_lease_seconds <= longest:
            raise ValueError(
                "webhook_lease_seconds must be longer than the connect and read timeouts "
                f"together ({longest:g} s), or a slow send would be claimed twice"
            )
        return self

    @field_validator("webhook_ca_bundle")
    @classmethod
    def _ca_bundle(cls, value: str | None) -> str | None:
        if value:
            try:
                tls_context(value)
            except OSError as exc:
                raise ValueError(f"the webhook CA bundle cannot be loaded: {exc}") from None
        return value or None

    @field_validator("webhook_secrets_key")
    @classmethod
    def _key(cls, value: SecretStr | None) -> SecretStr | None:
        parse_key(value.get_secret_value() if value else None)
        return value

    @model_validator(mode="after")
    def _secrets_keys(self) -> Self:
        keys = self.secrets_keys()
        if keys and self.webhook_secrets_active_key not in keys:
            raise ValueError("webhook_secrets_active_key must name one of webhook_secrets_keys")
        return self

    def secrets_keys(self) -> dict[str, bytes]:
        keys: dict[str, bytes] = {}
        for version, value in self.webhook_secrets_keys.items():
            try:
                key = parse_key(value.get_secret_value())
            except ValueError as exc:
                raise ValueError(f"webhook secrets key {version}: {exc}") from None
            if key is None or ":" in version:
                raise ValueError(f"webhook secrets key {version} is empty or has ':' in its name")
            keys[version] = key
        single = self.webhook_secrets_key
        legacy = parse_key(single.get_secret_value()) if single else None
        if legacy is not None:
            if keys.get(LEGACY_VERSION, legacy) != legacy:
                raise ValueError(
                    f"webhook_secrets_key and webhook_secrets_keys[{LEGACY_VERSION}] differ"
                )
            keys[LEGACY_VERSION] = legacy
        return keys

    def secret_box(self) -> SecretBox:
        keys = self.secrets_keys()
        return SecretBox(keys, self.webhook_secrets_active_key if keys else None)

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        retry_waits(value)
        return value


def retry_waits(value: str) -> list[float]:
    try:
        waits = [float(item) for item in value.split(",") if item.strip()]
    except ValueError:
        raise ValueError("the retry schedule is seconds separated by commas") from None
    if not waits or any(w <= 0 for w in waits):
        raise ValueError("the retry schedule needs at least one positive wait")
    return waits
