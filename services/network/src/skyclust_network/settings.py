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
    # Cluster networks made at once. Each run holds a connection for its lock and takes
    # another for each step, and the resource events need some of their own: the pool
    # stays above twice this.
    cluster_network_concurrency: int = Field(default=8, ge=1, le=32)
    database_pool_size: int = Field(default=20, ge=5, le=100)
