"""Networks, subnets and security groups: their lifecycle, names, tags and rules, and
what a cluster of each provider needs."""

from __future__ import annotations

import enum
import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from skyclust_common.errors import ValidationFailed

from .errors import (
    InvalidName,
    InvalidRegion,
    InvalidRule,
    ReservedTag,
    RuleNotSupported,
)

PROVIDERS = ("aws", "gcp", "azure")


class Status(enum.StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    UPDATING = "UPDATING"
    DELETING = "DELETING"
    DELETED = "DELETED"
    FAILED = "FAILED"


# A resource can be changed or deleted only when no cloud operation is running on it.
CHANGEABLE = frozenset({Status.READY, Status.FAILED})
DELETABLE = frozenset({Status.READY, Status.FAILED})

# Tags SkyClust writes on what it creates; users may not set these themselves.
RESERVED_TAG_PREFIX = "skyclust.io/"
OWNER_TAG = {
    "vpc": "skyclust.io/vpc-id",
    "subnet": "skyclust.io/subnet-id",
    "security_group": "skyclust.io/security-group-id",
}
CLUSTER_TAG = "skyclust.io/generated-for-cluster"
PUBLIC_TAG = "skyclust.io/public"
# GCP networks, subnetworks and firewalls carry no labels: ownership goes in the description.
GCP_OWNER_PREFIX = "skyclust:"

GCP_GLOBAL = "global"

_GCP_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9_])?$")
_REGION = {
    "aws": re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$"),
    "gcp": re.compile(r"^[a-z]+(-[a-z]+)+[0-9]+$"),
    "azure": re.compile(r"^[a-z]+[a-z0-9]*$"),
}
_RESOURCE_GROUP = re.compile(r"^[-\w._()]{0,89}[-\w_()]$")
# The firewall rules of a GCP group are named <group>-<8 hex>, within GCP's 63 characters.
GCP_GROUP_NAME_MAX = 54


def validate_name(provider: str, name: str, what: str = "name") -> str:
    if provider == "gcp":
        if not _GCP_NAME.match(name):
            raise InvalidName(
                f"{what} must be lowercase letters, digits and hyphens, start with a letter "
                "and be at most 63 characters (GCP naming)",
                details={"field": what},
            )
    elif not _NAME.match(name):
        raise InvalidName(
            f"{what} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit",
            details={"field": what},
        )
    return name


def validate_region(provider: str, region: str, field_name: str = "region") -> str:
    if not _REGION[provider].match(region):
        examples = {"aws": "us-east-1", "gcp": "europe-west1", "azure": "westeurope"}
        raise InvalidRegion(
            f"{field_name} is not a {provider} region (for example {examples[provider]})",
            details={"field": field_name},
        )
    return region


def validate_resource_group(name: str) -> str:
    if not _RESOURCE_GROUP.match(name):
        raise InvalidName(
            "resource_group must be 1-90 letters, digits, '-', '_', '.', '(' or ')' and "
            "not end with '.'",
            details={"field": "resource_group"},
        )
    return name


def default_resource_group(region: str) -> str:
    return f"skyclust-network-{region}"


def plain_text(value: str, field_name: str) -> str:
    """PostgreSQL stores no NUL characters: refuse them here rather than fail there."""
    if "\x00" in value:
        raise ValidationFailed(
            f"{field_name} may not contain NUL characters", details={"field": field_name}
        )
    return value


def validate_tags(tags: dict[str, str] | None) -> dict[str, str]:
    tags = dict(tags or {})
    for key, value in tags.items():
        plain_text(key, "tags")
        plain_text(value, "tags")
    reserved = sorted(k for k in tags if k.lower().startswith(RESERVED_TAG_PREFIX))
    if reserved:
        raise ReservedTag(
            f"tag keys starting with {RESERVED_TAG_PREFIX} are set by SkyClust",
            details={"field": "tags", "keys": reserved},
        )
    return tags


def tag_filter(expression: str | None) -> tuple[str, str | None] | None:
    """`key` (present) or `key=value`."""
    if not expression:
        return None
    key, sep, value = expression.partition("=")
    if not key:
        raise ValidationFailed(
            "tag filter must be key or key=value", code="INVALID_FILTER", details={"field": "tag"}
        )
    return key, value if sep else None


def matches_tag(tags: dict[str, str], wanted: tuple[str, str | None] | None) -> bool:
    if wanted is None:
        return True
    key, value = wanted
    return key in tags and (value is None or tags[key] == value)


# Rules ---------------------------------------------------------------------------------

PROTOCOLS = ("tcp", "udp", "icmp", "all")
DIRECTIONS = ("ingress", "egress")
ACTIONS = ("allow", "deny")
MAX_RULES = 50


@dataclass(frozen=True)
class Rule:
    """One firewall rule, the same on every cloud: AWS security-group permissions, GCP
    firewall rules, Azure NSG security rules. `cidr` is the source of an ingress rule
    and the destination of an egress rule."""

    direction: str
    protocol: str
    cidr: str
    from_port: int | None = None
    to_port: int | None = None
    action: str = "allow"
    priority: int | None = None
    description: str = ""

    def key(self) -> tuple[Any, ...]:
        """What makes two rules the same rule in the cloud (descriptions aside)."""
        return (self.direction, self.protocol, self.cidr, self.from_port, self.to_port)

    def fingerprint(self) -> str:
        raw = json.dumps([*self.key(), self.action, self.priority])
        return hashlib.sha256(raw.encode()).hexdigest()[:8]

    def ports(self) -> str | None:
        """`443` or `1000-2000`; None for every port."""
        if self.from_port is None:
            return None
        if self.to_port is None or self.to_port == self.from_port:
            return str(self.from_port)
        return f"{self.from_port}-{self.to_port}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "protocol": self.protocol,
            "cidr": self.cidr,
            "from_port": self.from_port,
            "to_port": self.to_port,
            "action": self.action,
            "priority": self.priority,
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        return cls(
            direction=data["direction"],
            protocol=data["protocol"],
            cidr=data["cidr"],
            from_port=data.get("from_port"),
            to_port=data.get("to_port"),
            action=data.get("action") or "allow",
            priority=data.get("priority"),
            description=data.get("description") or "",
        )


def _rule_error(
    index: int, message: str, kind: type[ValidationFailed] = InvalidRule
) -> ValidationFailed:
    return kind(f"rules[{index}]: {message}", details={"field": f"rules[{index}]"})


def validate_rules(provider: str, raw: list[dict[str, Any]] | None) -> list[Rule]:
    """Rules as the provider will take them: checked, normalised, and on Azure given
    the priorities it requires (unique per direction, 100-4096)."""
    raw = list(raw or [])
    if len(raw) > MAX_RULES:
        raise InvalidRule(
            f"at most {MAX_RULES} rules per security group",
            details={"field": "rules"},
        )
    rules: list[Rule] = []
    for i, item in enumerate(raw):
        direction = str(item.get("direction", "")).lower()
        protocol = str(item.get("protocol", "")).lower()
        action = str(item.get("action") or "allow").lower()
        if direction not in DIRECTIONS:
            raise _rule_error(i, "direction must be ingress or egress")
        if protocol not in PROTOCOLS:
            raise _rule_error(i, "protocol must be tcp, udp, icmp or all")
        if action not in ACTIONS:
            raise _rule_error(i, "action must be allow or deny")
        if action == "deny" and provider == "aws":
            raise _rule_error(
                i,
                "AWS security groups only allow traffic; deny rules need GCP or Azure",
                RuleNotSupported,
            )
        try:
            cidr = str(ipaddress.IPv4Network(str(item.get("cidr", "")), strict=True))
        except ValueError:
            raise _rule_error(i, "cidr must be an IPv4 CIDR block without host bits") from None
        from_port, to_port = item.get("from_port"), item.get("to_port")
        if protocol in ("tcp", "udp"):
            if from_port is None and to_port is not None:
                raise _rule_error(i, "to_port needs from_port")
            if from_port is not None:
                to_port = from_port if to_port is None else to_port
                if not (0 <= from_port <= to_port <= 65535):
                    raise _rule_error(i, "ports must be 0-65535 with from_port <= to_port")
        elif from_port is not None or to_port is not None:
            raise _rule_error(i, f"{protocol} rules take no ports")
        if protocol in ("tcp", "udp") and from_port == 0 and to_port == 65535:
            from_port = to_port = None
        priority = item.get("priority")
        if priority is not None and provider == "azure" and not 100 <= priority <= 4096:
            raise _rule_error(i, "Azure priorities are 100-4096")
        if priority is not None and provider == "gcp" and not 0 <= priority <= 65535:
            raise _rule_error(i, "GCP priorities are 0-65535")
        rules.append(
            Rule(
                direction=direction,
                protocol=protocol,
                cidr=cidr,
                from_port=from_port,
                to_port=to_port,
                action=action,
                priority=priority if provider != "aws" else None,
                description=plain_text(str(item.get("description") or ""), f"rules[{i}]")[:200],
            )
        )
    keys = [(*r.key(), r.action) for r in rules]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            raise _rule_error(i, "duplicates an earlier rule")
    if provider == "azure":
        rules = _azure_priorities(rules)
    if provider == "gcp":
        rules = [r if r.priority is not None else replace(r, priority=1000) for r in rules]
    return rules


def _azure_priorities(rules: list[Rule]) -> list[Rule]:
    used: dict[str, set[int]] = {d: set() for d in DIRECTIONS}
    for i, rule in enumerate(rules):
        if rule.priority is not None:
            if rule.priority in used[rule.direction]:
                raise _rule_error(i, "two rules of one direction share a priority")
            used[rule.direction].add(rule.priority)
    out = []
    for rule in rules:
        if rule.priority is None:
            candidate = 100
            while candidate in used[rule.direction]:
                candidate += 10
            used[rule.direction].add(candidate)
            rule = replace(rule, priority=candidate)
        out.append(rule)
    return out


def cluster_rules(provider: str, vpc_cidr: str) -> list[Rule]:
    """The firewall rules a Kubernetes cluster of `provider` needs in its own network.
    Egress is open by default on all three clouds; these open what nodes, pods and the
    control plane must reach inside the network."""
    internal = "nodes, pods and control plane within the cluster network"
    raw: list[dict[str, Any]]
    if provider == "aws":
        # EKS: the cluster security group admits all traffic between its members.
        raw = [
            {"direction": "ingress", "protocol": "all", "cidr": vpc_cidr, "description": internal}
        ]
    elif provider == "gcp":
        # GKE: internal traffic, plus Google's load-balancer health checkers.
        raw = [
            {"direction": "ingress", "protocol": "tcp", "cidr": vpc_cidr, "description": internal},
            {"direction": "ingress", "protocol": "udp", "cidr": vpc_cidr, "description": internal},
            {"direction": "ingress", "protocol": "icmp", "cidr": vpc_cidr, "description": internal},
            {
                "direction": "ingress",
                "protocol": "tcp",
                "cidr": "35.191.0.0/16",
                "description": "Google Cloud load-balancer health checks",
            },
            {
                "direction": "ingress",
                "protocol": "tcp",
                "cidr": "130.211.0.0/22",
                "description": "Google Cloud load-balancer health checks",
            },
        ]
    else:
        # AKS: node-to-node and API-server traffic across the VNet.
        raw = [
            {"direction": "ingress", "protocol": "all", "cidr": vpc_cidr, "description": internal},
            {
                "direction": "ingress",
                "protocol": "tcp",
                "cidr": vpc_cidr,
                "from_port": 443,
                "description": "Kubernetes API server",
            },
        ]
    return validate_rules(provider, raw)


# Specs handed to the providers -----------------------------------------------------------


@dataclass(frozen=True)
class VpcSpec:
    vpc_id: str
    workspace_id: str
    provider: str
    name: str
    region: str
    cidr: str | None
    tags: dict[str, str] = field(default_factory=dict)
    resource_group: str | None = None
    routing_mode: str | None = None
    mtu: int | None = None
    cloud_id: str | None = None
    cluster_id: str | None = None

    def cloud_tags(self) -> dict[str, str]:
        tags = {**self.tags, OWNER_TAG["vpc"]: self.vpc_id}
        if self.cluster_id:
            tags[CLUSTER_TAG] = self.cluster_id
        return tags


@dataclass(frozen=True)
class SubnetSpec:
    subnet_id: str
    name: str
    cidr: str
    region: str
    zone: str | None = None
    is_public: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    cloud_id: str | None = None
    cluster_id: str | None = None

    def cloud_tags(self) -> dict[str, str]:
        tags = {**self.tags, OWNER_TAG["subnet"]: self.subnet_id}
        if self.is_public:
            tags[PUBLIC_TAG] = "true"
        if self.cluster_id:
            tags[CLUSTER_TAG] = self.cluster_id
        return tags


@dataclass(frozen=True)
class SecurityGroupSpec:
    group_id: str
    name: str
    description: str
    rules: tuple[Rule, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    cloud_id: str | None = None
    cluster_id: str | None = None

    def cloud_tags(self) -> dict[str, str]:
        tags = {**self.tags, OWNER_TAG["security_group"]: self.group_id}
        if self.cluster_id:
            tags[CLUSTER_TAG] = self.cluster_id
        return tags


def cluster_network_name(cluster_name: str, cluster_id: str) -> str:
    """A name valid on every cloud (GCP's rules are the strictest) and unique per cluster."""
    slug = re.sub(r"[^a-z0-9-]+", "-", cluster_name.lower()).strip("-")[:30].strip("-")
    if not slug or not slug[0].isalpha():
        slug = f"c{slug}"[:30].rstrip("-")
    return f"{slug}-{cluster_id.replace('-', '')[:8]}"
