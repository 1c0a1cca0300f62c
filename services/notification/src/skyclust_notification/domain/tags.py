"""Tags of resources, for rules that choose events by tag: which events tell the tags
of a resource (and which forget it), which resources an event is about, and whether a
rule's tag filter holds. No I/O.

Most events that notify carry no tags (ClusterFailed names the cluster, not its tags),
so the service keeps the tags the requests and updates announce, per resource, and an
event about a resource is matched against them. An event about a part of a resource (a
node group of a cluster, a subnet of a VPC) is about the whole too: the tags of every
resource it names apply, the narrowest winning where two set one key."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidRuleTags

# The keys that name a resource in an event's data, broadest first.
SUBJECT_KEYS = ("cluster_id", "vpc_id", "subnet_id", "security_group_id", "node_group_id")
MAX_RULE_TAGS = 20
MAX_KEY = 128
MAX_VALUE = 256

Tags = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Source:
    """An event that tells (or, with `forget`, drops) a resource's tags."""

    owner: str
    id_key: str
    resource_type: str
    forget: bool = False


TAG_SOURCES: dict[str, Source] = {
    "ClusterRequested": Source("provisioning", "cluster_id", "cluster"),
    "VpcRequested": Source("network", "vpc_id", "vpc"),
    "VpcUpdated": Source("network", "vpc_id", "vpc"),
    "SubnetUpdated": Source("network", "subnet_id", "subnet"),
    "SecurityGroupUpdated": Source("network", "security_group_id", "security_group"),
    "ClusterDeleted": Source("provisioning", "cluster_id", "cluster", forget=True),
    "ClusterForgotten": Source("provisioning", "cluster_id", "cluster", forget=True),
    "VpcDeleted": Source("network", "vpc_id", "vpc", forget=True),
    "SubnetDeleted": Source("network", "subnet_id", "subnet", forget=True),
    "SecurityGroupDeleted": Source("network", "security_group_id", "security_group", forget=True),
}


def subjects(data: Mapping[str, Any]) -> list[str]:
    """The resources an event is about, broadest first."""
    return [str(data[key]) for key in SUBJECT_KEYS if data.get(key)]


def effective(known: Mapping[str, Mapping[str, str]], about: Iterable[str]) -> dict[str, str]:
    """The tags that apply to an event about these resources (broadest first): each
    one's indexed tags, a narrower resource's overriding a broader one's."""
    merged: dict[str, str] = {}
    for resource_id in about:
        merged.update(known.get(resource_id, {}))
    return merged


def holds(required: Tags, tags: Mapping[str, str]) -> bool:
    """Every key of the filter with its value (an empty filter: always)."""
    return all(tags.get(key) == value for key, value in required)


def _printable(text: str) -> bool:
    return not any(unicodedata.category(ch).startswith("C") for ch in text)


def check_tags(requested: Mapping[str, Any]) -> Tags:
    """A rule's tag filter, sorted by key; else 422 NOTIFICATION_RULE_TAGS_INVALID."""
    bad = [
        str(key)
        for key, value in requested.items()
        if not isinstance(key, str)
        or not isinstance(value, str)
        or not 1 <= len(key) <= MAX_KEY
        or len(value) > MAX_VALUE
        or key != key.strip()
        or not _printable(key)
        or not _printable(value)
    ]
    if bad or len(requested) > MAX_RULE_TAGS:
        raise InvalidRuleTags(
            details={"invalid": sorted(bad), "count": len(requested), "max": MAX_RULE_TAGS}
        )
    return tuple(sorted((str(k), str(v)) for k, v in requested.items()))
