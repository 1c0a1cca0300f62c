"""The status-condition rules, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from skyclust_provisioning.domain import conditions

pytestmark = pytest.mark.unit
T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
T2 = T0 + timedelta(minutes=9)


def by_type(items: conditions.Conditions) -> dict[str, dict[str, object]]:
    return {c["type"]: c for c in items}


def test_a_new_cluster_has_all_four_conditions():
    got = by_type(conditions.initial(T0))
    assert list(got) == ["NetworkReady", "ControlPlaneReady", "NodeGroupsReady", "Drifted"]
    assert got["ControlPlaneReady"]["status"] == "False"
    assert got["Drifted"]["status"] == "Unknown"
    assert got["Drifted"]["reason"] == "NotChecked"


def test_transition_time_moves_only_when_the_status_does():
    start = conditions.initial(T0)
    provisioning = conditions.for_cluster_status(start, "PROVISIONING", None, None, T1)
    ready = by_type(conditions.for_cluster_status(provisioning, "READY", None, None, T2))
    assert ready["ControlPlaneReady"]["status"] == "True"
    assert ready["ControlPlaneReady"]["last_transition_time"] == T2.isoformat()
    # NetworkReady is the saga's to set (from the network service's reply), not the status's.
    assert ready["NetworkReady"]["last_transition_time"] == T0.isoformat()
    assert ready["NetworkReady"]["status"] == "Unknown"
    # ControlPlaneReady stayed False from T0 through PROVISIONING, with a new reason.
    assert by_type(provisioning)["ControlPlaneReady"]["last_transition_time"] == T0.isoformat()
    assert by_type(provisioning)["ControlPlaneReady"]["reason"] == "Provisioning"


def test_failures_land_on_the_condition_they_are_about():
    start = conditions.initial(T0)
    network = by_type(conditions.for_cluster_status(start, "FAILED", "NETWORK_REQUIRED", "m", T1))
    assert (network["NetworkReady"]["status"], network["NetworkReady"]["reason"]) == (
        "False",
        "NETWORK_REQUIRED",
    )
    quota = by_type(
        conditions.for_cluster_status(start, "FAILED", "PROVIDER_QUOTA_EXCEEDED", "m", T1)
    )
    assert quota["ControlPlaneReady"]["reason"] == "PROVIDER_QUOTA_EXCEEDED"
    assert quota["ControlPlaneReady"]["message"] == "m"


def test_node_groups_ready_follows_its_node_groups():
    start = conditions.initial(T0)
    assert by_type(conditions.for_node_groups(start, [], T1))["NodeGroupsReady"]["reason"] == (
        "NoNodeGroups"
    )
    waiting = by_type(conditions.for_node_groups(start, [("b", "READY"), ("a", "PENDING")], T1))
    assert (waiting["NodeGroupsReady"]["status"], waiting["NodeGroupsReady"]["message"]) == (
        "False",
        "a",
    )
    failed = by_type(conditions.for_node_groups(start, [("a", "FAILED"), ("b", "PENDING")], T1))
    assert failed["NodeGroupsReady"]["reason"] == "NodeGroupFailed"
    ready = by_type(conditions.for_node_groups(start, [("a", "READY")], T2))
    assert (ready["NodeGroupsReady"]["status"], ready["NodeGroupsReady"]["reason"]) == (
        "True",
        "AllReady",
    )
