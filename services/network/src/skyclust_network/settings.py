from __future__ import annotations

from pydantic import Field

from skyclust_common.settings import CloudEndpointSettings, DatabaseServiceSettings


class NetworkSettings(CloudEndpointSettings, DatabaseServiceSettings):
    poll_interval_seconds: float = Field(default=5.0, gt=0)
    operation_timeout_seconds: float = Field(default=15 * 60, gt=0)
    cloud_retry_seconds: float = Field(default=30.0, gt=0)
    # How often every known credential's networks are re-discovered; 0 turns it off.
    discovery_interval_seconds: float = Field(default=15 * 60, ge=0)
    # AWS networks are regional: regions looked at besides those SkyClust already uses.
    discovery_aws_regions: list[str] = Field(default_factory=list)
