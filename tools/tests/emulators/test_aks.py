from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

pytestmark = pytest.mark.integration


def _code(error: HttpResponseError) -> str | None:
    return error.error.code if error.error is not None else None


GROUP = "rg-k8s"
LOCATION = "westeurope"


def _cluster(**properties: Any) -> dict[str, Any]:
    return {
        "location": LOCATION,
        "identity": {"type": "SystemAssigned"},
        "tags": {"team": "platform"},
        "properties": {
            "dnsPrefix": "prod",
            "kubernetesVersion": "1.31",
            "agentPoolProfiles": [
                {"name": "system", "count": 2, "vmSize": "Standard_D4s_v5", "mode": "System"}
            ],
            **properties,
        },
    }


def _group(azure: Any) -> None:
    azure.resources().resource_groups.create_or_update(GROUP, {"location": LOCATION})


def test_resource_group_lifecycle(azure: Any) -> None:
    groups = azure.resources().resource_groups

    created = groups.create_or_update("rg-a", {"location": "West Europe", "tags": {"env": "dev"}})
    assert created.location == "westeurope"
    assert created.properties.provisioning_state == "Succeeded"
    assert groups.check_existence("rg-a") is True
    assert groups.get("rg-a").tags == {"env": "dev"}
    assert [g.name for g in groups.list()] == ["rg-a"]

    assert groups.update("rg-a", {"tags": {"env": "prod"}}).tags == {"env": "prod"}
    with pytest.raises(ResourceExistsError) as moved:
        groups.create_or_update("rg-a", {"location": "eastus"})
    assert _code(moved.value) == "InvalidResourceGroupLocation"

    groups.begin_delete("rg-a").result()
    with pytest.raises(ResourceNotFoundError) as missing:
        groups.get("rg-a")
    assert _code(missing.value) == "ResourceGroupNotFound"
    assert groups.check_existence("rg-a") is False


def test_managed_cluster_lifecycle(azure: Any) -> None:
    _group(azure)
    aks = azure.aks()

    poller = aks.managed_clusters.begin_create_or_update(GROUP, "prod", _cluster())
    cluster = poller.result()
    assert poller.status() == "Succeeded"
    props = cluster.properties
    assert props.provisioning_state == "Succeeded"
    assert props.fqdn.startswith("prod-") and props.fqdn.endswith(f".hcp.{LOCATION}.azmk8s.io")
    assert props.current_kubernetes_version.startswith("1.31.")
    assert props.node_resource_group == f"MC_{GROUP}_prod_{LOCATION}"
    assert [(p.name, p.count, p.mode) for p in props.agent_pool_profiles] == [
        ("system", 2, "System")
    ]
    assert cluster.identity.principal_id

    assert aks.managed_clusters.get(GROUP, "prod").properties.dns_prefix == "prod"
    assert [c.name for c in aks.managed_clusters.list_by_resource_group(GROUP)] == ["prod"]
    assert [c.name for c in aks.managed_clusters.list()] == ["prod"]

    scaled = _cluster(
        agentPoolProfiles=[
            {"name": "system", "count": 3, "vmSize": "Standard_D4s_v5", "mode": "System"}
        ]
    )
    updated = aks.managed_clusters.begin_create_or_update(GROUP, "prod", scaled).result()
    assert updated.properties.agent_pool_profiles[0].count == 3
    assert aks.agent_pools.get(GROUP, "prod", "system").properties.count == 3

    tagged = aks.managed_clusters.begin_update_tags(GROUP, "prod", {"tags": {"cost": "42"}})
    assert tagged.result().tags == {"cost": "42"}

    credentials = aks.managed_clusters.list_cluster_admin_credentials(GROUP, "prod")
    kubeconfig = credentials.kubeconfigs[0].value
    if isinstance(kubeconfig, str):
        kubeconfig = base64.b64decode(kubeconfig)
    assert props.fqdn in kubeconfig.decode()

    aks.managed_clusters.begin_delete(GROUP, "prod").result()
    with pytest.raises(ResourceNotFoundError):
        aks.managed_clusters.get(GROUP, "prod")
    assert list(aks.managed_clusters.list()) == []
    assert [r["type"] for r in azure.admin.resources()] == ["Microsoft.Resources/resourceGroups"]


def test_agent_pool_lifecycle(azure: Any) -> None:
    _group(azure)
    aks = azure.aks()
    aks.managed_clusters.begin_create_or_update(GROUP, "prod", _cluster()).result()
    pool = {"properties": {"count": 1, "vmSize": "Standard_D8s_v5", "mode": "User"}}

    created = aks.agent_pools.begin_create_or_update(GROUP, "prod", "batch", pool).result()
    assert created.properties.provisioning_state == "Succeeded"
    assert created.properties.count == 1
    assert aks.agent_pools.get(GROUP, "prod", "batch").properties.vm_size == "Standard_D8s_v5"
    assert [p.name for p in aks.agent_pools.list(GROUP, "prod")] == ["system", "batch"]

    pool["properties"]["count"] = 5
    scaled = aks.agent_pools.begin_create_or_update(GROUP, "prod", "batch", pool).result()
    assert scaled.properties.count == 5
    profiles = aks.managed_clusters.get(GROUP, "prod").properties.agent_pool_profiles
    assert {p.name: p.count for p in profiles} == {"system": 2, "batch": 5}

    with pytest.raises(HttpResponseError) as resize:
        aks.agent_pools.begin_create_or_update(
            GROUP, "prod", "batch", {"properties": {"count": 5, "vmSize": "Standard_B2s"}}
        )
    assert _code(resize.value) == "PropertyChangeNotAllowed"
    with pytest.raises(HttpResponseError) as last_system:
        aks.agent_pools.begin_delete(GROUP, "prod", "system")
    assert last_system.value.status_code == 400

    aks.agent_pools.begin_delete(GROUP, "prod", "batch").result()
    with pytest.raises(ResourceNotFoundError):
        aks.agent_pools.get(GROUP, "prod", "batch")


def test_pollers_follow_operation_durations(azure: Any) -> None:
    _group(azure)
    aks = azure.aks()
    azure.admin.set_durations(managed_cluster_create=1)

    started = time.monotonic()
    poller = aks.managed_clusters.begin_create_or_update(GROUP, "prod", _cluster())
    assert aks.managed_clusters.get(GROUP, "prod").properties.provisioning_state == "Creating"
    with pytest.raises(ResourceExistsError) as busy:
        aks.agent_pools.begin_create_or_update(
            GROUP, "prod", "late", {"properties": {"count": 1, "mode": "User"}}
        )
    assert _code(busy.value) == "OperationNotAllowed"

    assert poller.result().properties.provisioning_state == "Succeeded"
    elapsed = time.monotonic() - started
    assert elapsed >= 1.0, "the poller did not wait for the 1 s operation"
    assert elapsed < 30, "the poller hung"
    polls = [r for r in azure.admin.requests() if "/operations/" in r["path"]]
    assert len(polls) >= 2
    assert {r["status"] for r in polls} == {200}


def test_delete_transitions_through_deleting(azure: Any) -> None:
    _group(azure)
    aks = azure.aks()
    aks.managed_clusters.begin_create_or_update(GROUP, "prod", _cluster()).result()
    azure.admin.set_durations(managed_cluster_delete=120)

    aks.managed_clusters.begin_delete(GROUP, "prod", polling=False).result()
    assert aks.managed_clusters.get(GROUP, "prod").properties.provisioning_state == "Deleting"
    assert aks.agent_pools.get(GROUP, "prod", "system").properties.provisioning_state == "Deleting"

    azure.admin.advance_clock(121)
    with pytest.raises(ResourceNotFoundError):
        aks.managed_clusters.get(GROUP, "prod")


def test_a_failing_operation_fails_the_poller(azure: Any) -> None:
    _group(azure)
    aks = azure.aks()
    azure.admin.inject_fault(r"/managedClusters/prod$", method="PUT", operation_error=True)

    poller = aks.managed_clusters.begin_create_or_update(GROUP, "prod", _cluster())

    with pytest.raises(HttpResponseError):
        poller.result()
    assert poller.status() == "Failed"
    cluster = aks.managed_clusters.get(GROUP, "prod")
    assert cluster.properties.provisioning_state == "Failed"


def test_invalid_requests_are_rejected_like_arm(azure: Any) -> None:
    aks = azure.aks()
    with pytest.raises(ResourceNotFoundError) as no_group:
        aks.managed_clusters.begin_create_or_update(GROUP, "prod", _cluster())
    assert _code(no_group.value) == "ResourceGroupNotFound"

    _group(azure)
    bad_pool = _cluster(agentPoolProfiles=[{"name": "Sys_1", "count": 1, "mode": "System"}])
    with pytest.raises(HttpResponseError) as invalid:
        aks.managed_clusters.begin_create_or_update(GROUP, "prod", bad_pool)
    assert (invalid.value.status_code, _code(invalid.value)) == (400, "InvalidParameter")

    with pytest.raises(ResourceNotFoundError) as missing:
        aks.managed_clusters.get(GROUP, "ghost")
    assert _code(missing.value) == "ResourceNotFound"

    aks.managed_clusters.begin_create_or_update(GROUP, "prod", _cluster()).result()
    with pytest.raises(ResourceExistsError):
        aks.managed_clusters.begin_create_or_update(
            GROUP, "prod", _cluster(), match_condition=MatchConditions.IfMissing
        )


def test_changes_behind_the_clients_back_are_visible(azure: Any) -> None:
    _group(azure)
    aks = azure.aks()
    aks.managed_clusters.begin_create_or_update(GROUP, "prod", _cluster()).result()

    azure.admin.set_agent_pool_count(azure.subscription_id, GROUP, "prod", "system", 7)

    assert aks.agent_pools.get(GROUP, "prod", "system").properties.count == 7
    profile = aks.managed_clusters.get(GROUP, "prod").properties.agent_pool_profiles[0]
    assert profile.count == 7


def test_versions_move_one_minor_at_a_time_nodes_never_ahead(azure: Any) -> None:
    _group(azure)
    aks = azure.aks()
    listed = aks.managed_clusters.list_kubernetes_versions(LOCATION).values_property
    assert [v.version for v in listed] == ["1.30", "1.31", "1.32"]
    assert [v.version for v in listed if v.is_default] == ["1.31"]
    assert listed[0].patch_versions["1.30.10"].upgrades == ["1.31.6"]
    aks.managed_clusters.begin_create_or_update(
        GROUP, "prod", _cluster(kubernetesVersion="1.30"), polling=False
    )
    assert aks.agent_pools.get(GROUP, "prod", "system").orchestrator_version.startswith("1.30.")

    cluster = aks.managed_clusters.get(GROUP, "prod")
    cluster.kubernetes_version = "1.32"
    with pytest.raises(HttpResponseError) as skipped:
        aks.managed_clusters.begin_create_or_update(GROUP, "prod", cluster)
    assert _code(skipped.value) == "OperationNotAllowed"
    pool = aks.agent_pools.get(GROUP, "prod", "system")
    pool.orchestrator_version = "1.31"
    with pytest.raises(HttpResponseError) as ahead:
        aks.agent_pools.begin_create_or_update(GROUP, "prod", "system", pool)
    assert _code(ahead.value) == "NodePoolMcVersionIncompatible"

    azure.admin.set_durations(default=60)
    cluster.kubernetes_version = "1.31"
    aks.managed_clusters.begin_create_or_update(GROUP, "prod", cluster, polling=False)
    upgrading = aks.managed_clusters.get(GROUP, "prod")
    assert upgrading.provisioning_state == "Upgrading"
    assert upgrading.current_kubernetes_version.startswith("1.30.")
    azure.admin.advance_clock(61)
    upgraded = aks.managed_clusters.get(GROUP, "prod")
    assert (upgraded.provisioning_state, upgraded.current_kubernetes_version) == (
        "Succeeded",
        "1.31.6",
    )
    assert aks.agent_pools.get(GROUP, "prod", "system").orchestrator_version.startswith("1.30.")

    aks.agent_pools.begin_create_or_update(GROUP, "prod", "system", pool, polling=False)
    moving = aks.agent_pools.get(GROUP, "prod", "system")
    assert (moving.provisioning_state, moving.current_orchestrator_version) == (
        "Upgrading",
        "1.30.10",
    )
    azure.admin.advance_clock(61)
    assert aks.agent_pools.get(GROUP, "prod", "system").current_orchestrator_version == "1.31.6"
