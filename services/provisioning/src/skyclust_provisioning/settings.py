from __future__ import annotations

from pydantic import Field

from skyclust_common.settings import DatabaseServiceSettings


class ProvisioningSettings(DatabaseServiceSettings):
    aws_endpoint_url: str | None = None
    gcp_endpoint_url: str | None = None
    azure_endpoint_url: str | None = None
    azure_ca_bundle: str | None = None
    poll_interval_seconds: float = Field(default=5.0, gt=0)
    create_timeout_seconds: float = Field(default=45 * 60, gt=0)
    delete_timeout_seconds: float = Field(default=30 * 60, gt=0)
