"""Typed settings shared by every service: SKYCLUST_ prefix, validated at start."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """What every SkyClust process needs. No defaults point at a running server:
    a service started without SKYCLUST_NATS_URL fails fast."""

    model_config = SettingsConfigDict(env_prefix="SKYCLUST_", extra="ignore")

    nats_url: str
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    # Where NATS users may only read their own replies (private inboxes), the prefix
    # this service's user is allowed, e.g. _INBOX_provisioning.
    nats_inbox_prefix: str | None = None

    health_host: str = "127.0.0.1"
    health_port: int = Field(default=0, ge=0, le=65535)
    log_level: str = "INFO"
    contracts_dir: Path | None = None

    stream_replicas: int = Field(default=1, ge=1, le=5)
    duplicate_window_seconds: float = Field(default=120.0, gt=0)
    max_deliver: int = Field(default=5, ge=1)
    retry_backoff_seconds: list[float] = Field(default=[0.5, 1.0, 2.0, 5.0, 10.0])
    ack_wait_seconds: float = Field(default=30.0, gt=0)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    rpc_timeout_seconds: float = Field(default=10.0, gt=0)
    # Requests one process answers at once; more wait in their subscription's queue.
    rpc_concurrency: int = Field(default=64, ge=1, le=1024)
    # Worker threads for blocking calls (cloud SDKs): asyncio's default of cores + 4
    # would queue a burst of sagas behind six calls. Threads start only when needed.
    blocking_threads: int = Field(default=32, ge=1, le=256)

    @field_validator("nats_url")
    @classmethod
    def _nats_scheme(cls, value: str) -> str:
        if not value.startswith(("nats://", "tls://", "ws://", "wss://")):
            raise ValueError("must be a nats:// (or tls://) URL")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return upper


class DatabaseServiceSettings(ServiceSettings):
    """A service that keeps state: SKYCLUST_DATABASE_URL is its own role's URL."""

    database_url: SecretStr
    database_pool_size: int = Field(default=5, ge=1, le=100)

    # Published outbox rows are kept this long (to look into what was sent), then pruned.
    outbox_retention_hours: float = Field(default=72.0, gt=0)
    # An inbox mark is what makes a second delivery of a message a no-op, so it must
    # outlive every second delivery: the relay's republish of a row whose "published"
    # mark was lost (the stream drops it only inside its duplicate window; after that,
    # only the mark does), and the redelivery of a message whose ack was lost after its
    # handler committed, which comes after every ack wait and backoff, and when the
    # consumer was down, only once it is back. Hence days, far past both; the
    # validator refuses less than the duplicate window plus every attempt's ack wait
    # and backoff.
    inbox_retention_hours: float = Field(default=14 * 24.0, gt=0)
    prune_interval_seconds: float = Field(default=3600.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if raw.startswith("postgresql://") or raw.startswith("postgres://"):
            raw = "postgresql+asyncpg://" + raw.split("://", 1)[1]
        if not raw.startswith("postgresql+asyncpg://"):
            raise ValueError("must be a postgresql:// URL")
        return SecretStr(raw)

    @model_validator(mode="after")
    def _inbox_outlives_redelivery(self) -> DatabaseServiceSettings:
        horizon = self.duplicate_window_seconds + self.max_deliver * (
            self.ack_wait_seconds + max(self.retry_backoff_seconds, default=0.0)
        )
        if self.inbox_retention_hours * 3600 <= horizon:
            raise ValueError(
                f"inbox_retention_hours must exceed the duplicate window and the redelivery"
                f" horizon ({horizon / 3600:.2f} h)"
            )
        return self


class CloudEndpointSettings(BaseSettings):
    """For a service that calls the clouds. An endpoint left unset means the real cloud;
    a URL points the same adapters at moto or the project's emulators.
    `azure_ca_bundle` is the PEM that signs the Azure emulator's certificate (it only
    speaks HTTPS). Mixed in next to the service's base: `class X(CloudEndpointSettings,
    DatabaseServiceSettings)`."""

    model_config = SettingsConfigDict(env_prefix="SKYCLUST_", extra="ignore")

    aws_endpoint_url: str | None = None
    gcp_endpoint_url: str | None = None
    azure_endpoint_url: str | None = None
    azure_ca_bundle: str | None = None
