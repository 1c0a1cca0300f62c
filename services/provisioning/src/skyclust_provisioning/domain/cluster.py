"""A cluster's lifecycle rules."""

from __future__ import annotations

import enum
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

    def cloud_tags(self) -> dict[str, str]:
        return {**self.tags, OWNER_TAG: self.cluster_id}
