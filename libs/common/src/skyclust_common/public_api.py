"""The public NATS API: the subjects other systems use, versioned apart from the
internal `skyclust.evt/cmd/rpc` ones, and what one API key's connection may do on them.

Every subject a client uses carries its workspace and its key id:

    skyclust.public.v1.<workspace>.<key>.cmd.<Command>   JetStream (stream SKYCLUST_PUBLIC)
    skyclust.public.v1.<workspace>.<key>.rpc.<Read>      request/reply
    skyclust.public.v1.<workspace>.<key>.res.<Command>   the outcome of each command
    skyclust.public.v1.<workspace>.evt.<Event>           the workspace's events (CloudEvents)

nats-server lets a key's connection publish only under its own `<workspace>.<key>`
(identity's auth callout grants exactly `connection_permissions`), so the gateway, which
carries the commands and reads out, takes the workspace and the actor from the subject
and never from the message. The commands and reads use the same contracts as the REST
API (`contracts/rpc/<Name>`), less `workspace_id` and `actor_id`.

The table here is the one subject map: the callout, the gateway and the AsyncAPI
document (`skyclust_gateway.public_api.asyncapi`) are all built from it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PREFIX = "skyclust.public.v1"
STREAM = "SKYCLUST_PUBLIC"
CONSUMER = "gateway-public-commands"
EVENTS_CONSUMER = "gateway-public-events"
GATEWAY_QUEUE = "gateway"
# Fields a client must not send: they come from the subject.
FROM_SUBJECT = ("workspace_id", "actor_id")
# Fields a client must not send either: the gateway sets them from the key's role, as
# REST does from the caller's (whether a budget guardrail's block may be overridden).
FROM_ROLE = ("actor_is_admin",)
# The commands whose contract takes them.
ROLE_AWARE = frozenset({"CreateCluster", "CreateNodeGroup", "UpdateNodeGroup"})
# The events a key's connection does not get: addressed to one user (as on the SSE stream).
PERSONAL_EVENTS = frozenset({"NotificationCreated"})

Kind = Literal["command", "read"]


@dataclass(frozen=True)
class Operation:
    name: str
    service: str
    kind: Kind
    # The gateway's permission (`skyclust_gateway.permissions.Permission`) REST requires.
    permission: str
    summary: str


def _ops(kind: Kind, service: str, permission: str, *items: tuple[str, str]) -> list[Operation]:
    return [Operation(name, service, kind, permission, summary) for name, summary in items]


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in [
        *_ops(
            "command",
            "provisioning",
            "clusters:write",
            ("CreateCluster", "Create a cluster; it reports ClusterReady or ClusterFailed."),
            ("UpgradeCluster", "Upgrade a cluster's Kubernetes version."),
            ("DeleteCluster", "Delete a cluster and its node groups."),
            ("CreateNodeGroup", "Add a node group to a cluster."),
            ("UpdateNodeGroup", "Scale a node group (min, max, desired size) or relabel it."),
            ("DeleteNodeGroup", "Delete a node group."),
        ),
        *_ops(
            "command",
            "network",
            "networks:write",
            ("CreateVpc", "Create a network (VPC/VNet); it reports VpcReady or VpcFailed."),
            ("UpdateVpc", "Change a network's tags."),
            ("DeleteVpc", "Delete a network."),
            ("CreateSubnet", "Create a subnet; it reports SubnetReady or SubnetFailed."),
            ("UpdateSubnet", "Change a subnet's tags."),
            ("DeleteSubnet", "Delete a subnet."),
            ("CreateSecurityGroup", "Create a security group with its rules in a network."),
            ("UpdateSecurityGroup", "Replace a security group's rules and/or tags."),
            ("DeleteSecurityGroup", "Delete a security group."),
        ),
        *_ops(
            "command",
            "cost",
            "budgets:manage",
            ("CreateBudget", "Create a budget."),
            ("UpdateBudget", "Change a budget."),
            ("DeleteBudget", "Delete a budget."),
        ),
        *_ops(
            "read",
            "provisioning",
            "read",
            ("ListClusters", "The workspace's clusters."),
            ("GetCluster", "One cluster."),
            ("ListNodeGroups", "A cluster's node groups."),
            ("GetNodeGroup", "One node group."),
        ),
        *_ops(
            "read",
            "network",
            "read",
            ("ListVpcs", "The workspace's networks."),
            ("GetVpc", "One network."),
            ("ListSubnets", "The workspace's subnets (one network's with vpc_id)."),
            ("GetSubnet", "One subnet."),
            ("ListSecurityGroups", "The workspace's security groups (one network's with vpc_id)."),
            ("GetSecurityGroup", "One security group."),
        ),
        *_ops(
            "read",
            "cost",
            "read",
            ("ListBudgets", "The workspace's budgets."),
            ("GetBudget", "One budget."),
            ("GetCostSummary", "The workspace's cost over a period, with the previous one."),
            (
                "GetCostBreakdown",
                "A period's cost grouped by one dimension (`by`: service, provider, tag:<key>...).",
            ),
            (
                "GetCostTrend",
                "The period's second half against its first: the change and its direction.",
            ),
            ("GetCostComparison", "A period's cost against the one before it, of the same length."),
            ("GetCostForecast", "The next days' cost, with 80% and 95% intervals."),
        ),
    ]
}

# What each role may do, for the permissions above: the same as the gateway's matrix
# (`skyclust_gateway.permissions.ROLE_PERMISSIONS`; a gateway test holds them equal).
ROLE_GRANTS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "user": frozenset({"read", "clusters:write", "networks:write"}),
    "admin": frozenset({"read", "clusters:write", "networks:write", "budgets:manage"}),
}

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _token(value: str, what: str) -> str:
    if not _TOKEN.match(value):
        raise ValueError(f"{what} {value!r} cannot be a subject token")
    return value


def command_subject(workspace_id: str, key_id: str, name: str) -> str:
    return f"{PREFIX}.{_token(workspace_id, 'workspace')}.{_token(key_id, 'key')}.cmd.{name}"


def read_subject(workspace_id: str, key_id: str, name: str) -> str:
    return f"{PREFIX}.{_token(workspace_id, 'workspace')}.{_token(key_id, 'key')}.rpc.{name}"


def outcome_subject(workspace_id: str, key_id: str, name: str) -> str:
    return f"{PREFIX}.{_token(workspace_id, 'workspace')}.{_token(key_id, 'key')}.res.{name}"


def event_subject(workspace_id: str, name: str) -> str:
    return f"{PREFIX}.{_token(workspace_id, 'workspace')}.evt.{name}"


def inbox_prefix(key_id: str) -> str:
    """The inbox prefix a key's connection must use (`nats.connect(inbox_prefix=...)`):
    its replies and JetStream acknowledgements are for it alone."""
    return f"_INBOX_{_token(key_id, 'key')}"


@dataclass(frozen=True)
class Addressed:
    workspace_id: str
    key_id: str
    kind: str  # "cmd" or "rpc"
    name: str


def parse(subject: str) -> Addressed | None:
    """The workspace, key, kind and operation of a command or read subject."""
    parts = subject.split(".")
    if len(parts) != 7 or ".".join(parts[:3]) != PREFIX or parts[5] not in ("cmd", "rpc"):
        return None
    return Addressed(parts[3], parts[4], parts[5], parts[6])


def allowed(role: str, operation: Operation) -> bool:
    return operation.permission in ROLE_GRANTS.get(role, frozenset())


def connection_permissions(workspace_id: str, key_id: str, role: str) -> dict[str, object]:
    """What nats-server lets one API key's connection do, in the user JWT's shape
    (`nats.pub`, `nats.sub`): its own commands and reads as its role allows, its own
    outcomes and inbox, its workspace's events; nothing else (no `$JS.API`: a client
    publishes commands and reads events, it manages no stream)."""
    publish = [
        (command_subject if op.kind == "command" else read_subject)(workspace_id, key_id, op.name)
        for op in OPERATIONS.values()
        if allowed(role, op)
    ]
    subscribe = [
        f"{inbox_prefix(key_id)}.>",
        f"{PREFIX}.{workspace_id}.{key_id}.res.>",
        f"{PREFIX}.{workspace_id}.evt.>",
    ]
    return {"pub": {"allow": publish}, "sub": {"allow": subscribe}}
