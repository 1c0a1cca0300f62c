"""A node group's rules: sizes, labels and taints, and the names each cloud accepts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from skyclust_common.errors import ValidationFailed

from .errors import (
    InvalidNodeGroupName,
    InvalidNodeGroupSize,
)

NODE_GROUP_OWNER_TAG = "skyclust.io/node-group-id"
# GCP labels and Azure tags allow no "/" or "." in keys.
NODE_GROUP_OWNER_LABEL = "skyclust-node-group-id"

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# AKS agent pools: a lowercase letter then letters and digits, 12 at most.
NAMES = {
    "aws": re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]{0,62}$"),
    "gcp": re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$|^[a-z]$"),
    "azure": re.compile(r"^[a-z][a-z0-9]{0,11}$"),
}


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "value": self.value, "effect": self.effect}


@dataclass(frozen=True)
class NodeGroupSpec:
    node_group_id: str
    cluster_id: str
    name: str
    instance_type: str | None
    min_size: int
    max_size: int
    desired_size: int
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()

    def owner_tags(self) -> dict[str, str]:
        return {NODE_GROUP_OWNER_TAG: self.node_group_id}

    def owner_labels(self) -> dict[str, str]:
        return {NODE_GROUP_OWNER_LABEL: self.node_group_id}


def taints_from(raw: list[dict[str, Any]] | None) -> tuple[Taint, ...]:
    return tuple(
        Taint(str(t["key"]), str(t.get("value") or ""), str(t["effect"])) for t in raw or []
    )


def same_taints(a: tuple[Taint, ...], b: tuple[Taint, ...]) -> bool:
    return sorted(a, key=lambda t: (t.key, t.effect)) == sorted(b, key=lambda t: (t.key, t.effect))


def check_sizes(min_size: int, max_size: int, desired_size: int) -> None:
    if not 0 <= min_size <= desired_size <= max_size:
        raise InvalidNodeGroupSize(
            "sizes must satisfy 0 <= min_size <= desired_size <= max_size",
            details={"min_size": min_size, "max_size": max_size, "desired_size": desired_size},
        )


def check_name(provider: str, name: str) -> None:
    pattern = NAMES.get(provider)
    if pattern is not None and not pattern.match(name):
        raise InvalidNodeGroupName(
            f"{name!r} is not a valid {provider} node group name",
            details={"field": "name", "pattern": pattern.pattern},
        )


def check_taints(taints: tuple[Taint, ...]) -> None:
    for taint in taints:
        if taint.effect not in TAINT_EFFECTS:
            raise ValidationFailed(
                f"taint effect must be one of {', '.join(TAINT_EFFECTS)}",
                details={"field": "taints"},
            )
