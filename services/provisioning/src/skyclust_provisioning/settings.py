from __future__ import annotations

from pydantic import Field

from skyclust_common.settings import CloudEndpointSettings, DatabaseServiceSettings


class ProvisioningSettings(CloudEndpointSettings, DatabaseServiceSettings):
    poll_interval_seconds: float = Field(default=5.0, gt=0)
    # How long an EKS token is said to last (kubectl asks the exec plugin again after).
    # EKS accepts its presigned token for 15 minutes; less is for tests and the wary.
    kubeconfig_token_lifetime_seconds: float = Field(default=14 * 60, ge=5, le=14 * 60)
    # The longest each saga step may take before a create is rolled back (or a delete or
    # upgrade ends FAILED).
    network_timeout_seconds: float = Field(default=20 * 60, gt=0)
    create_timeout_seconds: float = Field(default=45 * 60, gt=0)
    node_group_timeout_seconds: float = Field(default=30 * 60, gt=0)
    upgrade_timeout_seconds: float = Field(default=90 * 60, gt=0)
    delete_timeout_seconds: float = Field(default=30 * 60, gt=0)
    # How often unfinished sagas nobody touched for that long are picked up again.
    sweep_interval_seconds: float = Field(default=30.0, gt=0)
    # Drift: how often each READY cluster is compared with the cloud, and the longest
    # wait between checks while the cloud answers with errors.
    drift_interval_seconds: float = Field(default=300.0, gt=0)
    # How often READY clusters are counted for the active_clusters_total gauge.
    active_clusters_interval_seconds: float = Field(default=30.0, gt=0)
    drift_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    # The longest the drift job reuses a decrypted credential across its passes (each
    # decrypt is an audited read in the vault); a rotation or deletion forgets it sooner.
    drift_credential_ttl_seconds: float = Field(default=900.0, gt=0)
    # Each running saga holds a connection for its lock.
    # The longest a create or scale-up waits for the cost service's budget check before
    # it goes ahead with a warning (or, under a fail-closed budget, is refused).
    budget_check_timeout_seconds: float = Field(default=3.0, gt=0, le=30)
    database_pool_size: int = Field(default=30, ge=5, le=100)
    saga_concurrency: int = Field(default=16, ge=1, le=64)

    def step_timeouts(self) -> dict[str, float]:
        return {
            "network": self.network_timeout_seconds,
            "control-plane": self.create_timeout_seconds,
            "node-groups": self.node_group_timeout_seconds,
            "upgrade-control-plane": self.upgrade_timeout_seconds,
            "upgrade-node-groups": self.upgrade_timeout_seconds,
            "delete-node-groups": self.delete_timeout_seconds,
            "delete-control-plane": self.delete_timeout_seconds,
            "release-network": self.network_timeout_seconds,
        }
