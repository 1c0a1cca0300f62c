"""A cluster's lifecycle rules."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any


class Status(enum.StrEnum):
    PENDING = "PENDING"
    PROVISIONING = "PROVISIONING"
    READY = "READY"
    UPDATING = "UPDATING"
    DELETING = "DELETING"
    DELETED = "DELETED"
    FAILED = "FAILED"


ACTIVE = frozenset({Status.PENDING, Status.PROVISIONING, Status.READY, Status.UPDATING})
CREATING = frozenset({Status.PENDING, Status.PROVISIONING})
DELETABLE = frozenset({Status.PENDING, Status.PROVISIONING, Status.READY, Status.FAILED})

OWNER_TAG = "skyclust.io/cluster-id"
# GCP labels and Azure tags allow no "/" or "." in keys.
OWNER_LABEL = "skyclust-cluster-id"

REGIONS = {
    "aws": re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$"),
    "gcp": re.compile(r"^[a-z]+-[a-z]+[0-9]$"),
    "azure": re.compile(r"^[a-z]+[a-z0-9]*$"),
}


@dataclass(frozen=True)
class ClusterSpec:
    cluster_id: str
    workspace_id: str
    provider: str
    name: str
    version: str
    region: str
    credential_id: str
    tags: dict[str, str] = field(default_factory=dict)
    aws_config: dict[str, Any] | None = None
    gcp_config: dict[str, Any] | None = None
    azure_config: dict[str, Any] | None = None
    # The network the cluster goes into, once the network service made or resolved it:
    # {"vpc_cloud_id", "resource_group", "subnet_cloud_ids": [...],
    #  "security_group_cloud_ids": [...]} (cloud ids as the network service stores them).
    # None: the provider config names the network, or the cloud's default is used.
    network: dict[str, Any] | None = None

    def cloud_tags(self) -> dict[str, str]:
        return {**self.tags, OWNER_TAG: self.cluster_id}

    def cloud_labels(self) -> dict[str, str]:
        """Tags as GCP labels / Azure tags: lowercase keys of letters, digits, - and _."""
        labels = {
            re.sub(r"[^a-z0-9_-]", "_", k.lower())[:63]: re.sub(r"[^a-z0-9_-]", "_", v.lower())[:63]
            for k, v in self.tags.items()
        }
        return {**labels, OWNER_LABEL: self.cluster_id}
