"""Status conditions on a cluster, in the Kubernetes style: each has a type, a status
("True", "False" or "Unknown"), a reason, a message and the time its status last
changed. They say what the single `status` cannot: which part is ready or why not."""

from __future__ import annotations

from datetime import datetime
from typing import Any

NETWORK_READY = "NetworkReady"
CONTROL_PLANE_READY = "ControlPlaneReady"
NODE_GROUPS_READY = "NodeGroupsReady"
DRIFTED = "Drifted"
TYPES = (NETWORK_READY, CONTROL_PLANE_READY, NODE_GROUPS_READY, DRIFTED)

# Failure codes that are about the cluster's network rather than its control plane.
NETWORK_CODES = frozenset({"NETWORK_REQUIRED"})

Conditions = list[dict[str, Any]]


def initial(now: datetime) -> Conditions:
    conditions: Conditions = []
    conditions = set_condition(conditions, NETWORK_READY, "Unknown", "Pending", None, now)
    conditions = set_condition(conditions, CONTROL_PLANE_READY, "False", "Pending", None, now)
    conditions = set_condition(conditions, NODE_GROUPS_READY, "True", "NoNodeGroups", None, now)
    # Drift detection does not exist yet: nothing has been compared.
    return set_condition(conditions, DRIFTED, "Unknown", "NotChecked", None, now)


def set_condition(
    conditions: Conditions | None,
    kind: str,
    status: str,
    reason: str,
    message: str | None,
    now: datetime,
) -> Conditions:
    """A new list with `kind` set; its transition time moves only when its status does."""
    current = {c["type"]: c for c in conditions or []}
    before = current.get(kind)
    since = now.isoformat()
    if before is not None and before["status"] == status:
        since = before["last_transition_time"]
    current[kind] = {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "last_transition_time": since,
    }
    return [current[t] for t in TYPES if t in current] + [
        c for t, c in current.items() if t not in TYPES
    ]


def for_cluster_status(
    conditions: Conditions | None,
    status: str,
    reason: str | None,
    message: str | None,
    now: datetime,
) -> Conditions:
    """The conditions after the cluster moved to `status` (with `reason` when FAILED)."""
    result = list(conditions or initial(now))
    if status == "PROVISIONING":
        result = set_condition(result, CONTROL_PLANE_READY, "False", "Provisioning", None, now)
    elif status == "READY":
        result = set_condition(result, CONTROL_PLANE_READY, "True", "Active", None, now)
    elif status == "DELETING":
        result = set_condition(result, CONTROL_PLANE_READY, "False", "Deleting", None, now)
    elif status == "DELETED":
        result = set_condition(result, CONTROL_PLANE_READY, "False", "Deleted", None, now)
        result = set_condition(result, NETWORK_READY, "False", "Deleted", None, now)
    elif status == "FAILED":
        code = reason or "Failed"
        kind = NETWORK_READY if code in NETWORK_CODES else CONTROL_PLANE_READY
        result = set_condition(result, kind, "False", code, message, now)
    return result


def for_node_groups(
    conditions: Conditions | None, groups: list[tuple[str, str]], now: datetime
) -> Conditions:
    """NodeGroupsReady from the (name, status) of the cluster's node groups that are
    not DELETED."""
    failed = sorted(name for name, status in groups if status == "FAILED")
    waiting = sorted(name for name, status in groups if status not in ("READY", "FAILED"))
    if failed:
        return set_condition(
            conditions, NODE_GROUPS_READY, "False", "NodeGroupFailed", ", ".join(failed), now
        )
    if waiting:
        return set_condition(
            conditions, NODE_GROUPS_READY, "False", "Progressing", ", ".join(waiting), now
        )
    reason = "AllReady" if groups else "NoNodeGroups"
    return set_condition(conditions, NODE_GROUPS_READY, "True", reason, None, now)
