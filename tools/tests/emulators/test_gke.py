from __future__ import annotations

import base64
import ipaddress
import time
from typing import Any

import pytest
from cryptography import x509
from google.api_core import exceptions as gexc
from google.cloud import compute_v1
from google.cloud.container_v1 import (
    Cluster,
    ClusterUpdate,
    NodeConfig,
    NodeLabels,
    NodePool,
    Operation,
)

pytestmark = pytest.mark.integration

LOCATION = "us-central1"


def _parent(gcp: Any) -> str:
    return f"projects/{gcp.project}/locations/{LOCATION}"


def _path(gcp: Any, name: str = "prod") -> str:
    return f"{_parent(gcp)}/clusters/{name}"


def _operation(gke: Any, gcp: Any, op: Operation) -> Operation:
    return gke.get_operation(name=f"{_parent(gcp)}/operations/{op.name}")


def _vpc(gcp: Any) -> None:
    compute = gcp.compute()
    compute.networks.insert(
        project=gcp.project,
        network_resource=compute_v1.Network(name="vpc", auto_create_subnetworks=False),
    ).result(timeout=10)
    compute.subnetworks.insert(
        project=gcp.project,
        region=LOCATION,
        subnetwork_resource=compute_v1.Subnetwork(
            name="nodes", network="global/networks/vpc", ip_cidr_range="10.10.0.0/20"
        ),
    ).result(timeout=10)


def _create(gke: Any, gcp: Any, name: str = "prod", **fields: Any) -> Operation:
    fields.setdefault("node_pools", [NodePool(name="default", initial_node_count=2)])
    cluster = Cluster(name=name, **fields)
    return gke.create_cluster(parent=_parent(gcp), cluster=cluster)


def test_cluster_lifecycle(gcp: Any) -> None:
    gke = gcp.gke()
    _vpc(gcp)

    op = _create(
        gke,
        gcp,
        network="vpc",
        subnetwork="nodes",
        resource_labels={"team": "platform"},
        node_pools=[
            NodePool(
                name="default",
                initial_node_count=2,
                config=NodeConfig(machine_type="e2-standard-4"),
            )
        ],
    )
    assert op.operation_type == Operation.Type.CREATE_CLUSTER
    assert op.target_link.endswith("/clusters/prod")
    assert _operation(gke, gcp, op).status == Operation.Status.DONE

    cluster = gke.get_cluster(name=_path(gcp))
    assert cluster.status == Cluster.Status.RUNNING
    ipaddress.ip_address(cluster.endpoint)
    ca = x509.load_pem_x509_certificate(
        base64.b64decode(cluster.master_auth.cluster_ca_certificate)
    )
    assert ca.subject == ca.issuer
    assert cluster.current_master_version.startswith("1.")
    assert cluster.resource_labels == {"team": "platform"}
    assert (cluster.network, cluster.subnetwork) == ("vpc", "nodes")
    assert cluster.self_link.endswith(f"/projects/{gcp.project}/locations/{LOCATION}/clusters/prod")
    assert cluster.location == LOCATION
    assert len(cluster.locations) == 3
    assert [p.name for p in cluster.node_pools] == ["default"]
    assert cluster.node_pools[0].config.machine_type == "e2-standard-4"
    assert cluster.current_node_count == 2 * 3

    assert [c.name for c in gke.list_clusters(parent=_parent(gcp)).clusters] == ["prod"]
    all_locations = f"projects/{gcp.project}/locations/-"
    assert [c.name for c in gke.list_clusters(parent=all_locations).clusters] == ["prod"]
    assert op.name in [o.name for o in gke.list_operations(parent=_parent(gcp)).operations]

    op = gke.update_cluster(
        request={
            "name": _path(gcp),
            "update": ClusterUpdate(desired_logging_service="none", desired_master_version="1.32"),
        }
    )
    assert op.operation_type == Operation.Type.UPGRADE_MASTER
    assert _operation(gke, gcp, op).status == Operation.Status.DONE
    cluster = gke.get_cluster(name=_path(gcp))
    assert cluster.logging_service == "none"
    assert cluster.current_master_version.startswith("1.32.")

    op = gke.set_labels(
        request={
            "name": _path(gcp),
            "resource_labels": {"team": "payments"},
            "label_fingerprint": cluster.label_fingerprint,
        }
    )
    assert _operation(gke, gcp, op).status == Operation.Status.DONE
    assert gke.get_cluster(name=_path(gcp)).resource_labels == {"team": "payments"}

    gke.delete_cluster(name=_path(gcp))
    with pytest.raises(gexc.NotFound):
        gke.get_cluster(name=_path(gcp))
    assert list(gke.list_clusters(parent=_parent(gcp)).clusters) == []
    assert [r["type"] for r in gcp.admin.resources()] == ["compute.network", "compute.subnetwork"]


def test_node_pool_lifecycle(gcp: Any) -> None:
    gke = gcp.gke()
    compute = gcp.compute()
    _create(gke, gcp)
    pool_path = f"{_path(gcp)}/nodePools/batch"

    op = gke.create_node_pool(
        parent=_path(gcp), node_pool=NodePool(name="batch", initial_node_count=1)
    )
    assert op.operation_type == Operation.Type.CREATE_NODE_POOL
    pool = gke.get_node_pool(name=pool_path)
    assert pool.status == NodePool.Status.RUNNING
    assert pool.initial_node_count == 1
    names = [p.name for p in gke.list_node_pools(parent=_path(gcp)).node_pools]
    assert names == ["default", "batch"]

    op = gke.set_node_pool_size(request={"name": pool_path, "node_count": 4})
    assert _operation(gke, gcp, op).status == Operation.Status.DONE
    igm_url = gke.get_node_pool(name=pool_path).instance_group_urls[0]
    zone, igm = igm_url.split("/zones/")[1].split("/instanceGroupManagers/")
    manager = compute.instance_group_managers.get(
        project=gcp.project, zone=zone, instance_group_manager=igm
    )
    assert manager.target_size == 4
    assert gke.get_cluster(name=_path(gcp)).current_node_count == (2 + 4) * 3

    op = gke.update_node_pool(
        request={
            "name": pool_path,
            "node_version": "-",
            "image_type": "UBUNTU_CONTAINERD",
            "labels": NodeLabels(labels={"tier": "batch"}),
        }
    )
    assert _operation(gke, gcp, op).status == Operation.Status.DONE
    pool = gke.get_node_pool(name=pool_path)
    assert pool.config.image_type == "UBUNTU_CONTAINERD"
    assert pool.config.labels == {"tier": "batch"}

    with pytest.raises(gexc.Conflict):
        gke.create_node_pool(
            parent=_path(gcp), node_pool=NodePool(name="batch", initial_node_count=1)
        )

    op = gke.delete_node_pool(name=pool_path)
    assert op.operation_type == Operation.Type.DELETE_NODE_POOL
    with pytest.raises(gexc.NotFound):
        gke.get_node_pool(name=pool_path)
    with pytest.raises(gexc.NotFound):
        compute.instance_group_managers.get(
            project=gcp.project, zone=zone, instance_group_manager=igm
        )


def test_status_transitions_follow_operation_durations(gcp: Any) -> None:
    gke = gcp.gke()
    gcp.admin.set_durations(default=60)

    op = _create(gke, gcp)
    assert op.status == Operation.Status.RUNNING
    assert gke.get_cluster(name=_path(gcp)).status == Cluster.Status.PROVISIONING
    with pytest.raises(gexc.BadRequest, match="incompatible operation"):
        gke.create_node_pool(
            parent=_path(gcp), node_pool=NodePool(name="late", initial_node_count=1)
        )

    gcp.admin.advance_clock(61)
    finished = _operation(gke, gcp, op)
    assert finished.status == Operation.Status.DONE
    assert finished.end_time
    assert gke.get_cluster(name=_path(gcp)).status == Cluster.Status.RUNNING

    op = gke.update_cluster(
        request={"name": _path(gcp), "update": ClusterUpdate(desired_monitoring_service="none")}
    )
    cluster = gke.get_cluster(name=_path(gcp))
    assert cluster.status == Cluster.Status.RECONCILING
    assert cluster.monitoring_service != "none"
    gcp.admin.advance_clock(61)
    cluster = gke.get_cluster(name=_path(gcp))
    assert (cluster.status, cluster.monitoring_service) == (Cluster.Status.RUNNING, "none")

    gke.delete_cluster(name=_path(gcp))
    assert gke.get_cluster(name=_path(gcp)).status == Cluster.Status.STOPPING
    gcp.admin.advance_clock(61)
    with pytest.raises(gexc.NotFound):
        gke.get_cluster(name=_path(gcp))


def test_operations_complete_in_real_time(gcp: Any) -> None:
    gke = gcp.gke()
    gcp.admin.set_durations(cluster_create=0.4)

    started = time.monotonic()
    op = _create(gke, gcp)
    seen = {gke.get_cluster(name=_path(gcp)).status}
    while _operation(gke, gcp, op).status != Operation.Status.DONE:
        assert time.monotonic() - started < 5
        time.sleep(0.1)
    seen.add(gke.get_cluster(name=_path(gcp)).status)

    assert seen == {Cluster.Status.PROVISIONING, Cluster.Status.RUNNING}


def test_invalid_requests_are_rejected_like_gke(gcp: Any) -> None:
    gke = gcp.gke()

    with pytest.raises(gexc.BadRequest) as info:
        _create(gke, gcp, name="Not_Valid")
    assert info.value.response.json()["error"]["status"] == "INVALID_ARGUMENT"
    with pytest.raises(gexc.BadRequest, match="initial_node_count"):
        gke.create_cluster(parent=_parent(gcp), cluster=Cluster(name="empty"))
    with pytest.raises(gexc.BadRequest, match="does not exist"):
        _create(gke, gcp, network="missing")
    with pytest.raises(gexc.NotFound) as missing:
        gke.get_cluster(name=_path(gcp, "ghost"))
    assert missing.value.response.json()["error"]["status"] == "NOT_FOUND"

    _create(gke, gcp)
    with pytest.raises(gexc.Conflict) as duplicate:
        _create(gke, gcp)
    assert duplicate.value.response.json()["error"]["status"] == "ALREADY_EXISTS"
    with pytest.raises(gexc.BadRequest, match="fingerprint"):
        gke.set_labels(
            request={
                "name": _path(gcp),
                "resource_labels": {"a": "b"},
                "label_fingerprint": "stale",
            }
        )


def test_a_failing_operation_leaves_the_cluster_in_error(gcp: Any) -> None:
    gke = gcp.gke()
    gcp.admin.inject_fault(r"/clusters$", method="POST", operation_error=True)

    op = _create(gke, gcp)

    finished = _operation(gke, gcp, op)
    assert finished.status == Operation.Status.DONE
    assert "quota" in finished.error.message
    assert finished.error.code == 8
    cluster = gke.get_cluster(name=_path(gcp))
    assert cluster.status == Cluster.Status.ERROR
    assert "quota" in cluster.status_message


def test_changes_behind_the_clients_back_are_visible(gcp: Any) -> None:
    gke = gcp.gke()
    _create(gke, gcp)
    admin_path = f"v1/{_path(gcp)}"

    gcp.admin.set_node_pool_size(gcp.project, LOCATION, "prod", "default", 5)
    gcp.admin.patch_resource(admin_path, {"resourceLabels": {"owner": "someone"}})

    cluster = gke.get_cluster(name=_path(gcp))
    assert cluster.current_node_count == 5 * 3
    assert cluster.resource_labels == {"owner": "someone"}
    with pytest.raises(gexc.BadRequest, match="fingerprint"):
        gke.set_labels(request={"name": _path(gcp), "label_fingerprint": "old"})

    gcp.admin.delete_resource(admin_path)
    with pytest.raises(gexc.NotFound):
        gke.get_cluster(name=_path(gcp))


def test_versions_move_one_minor_at_a_time_nodes_never_ahead(gcp: Any) -> None:
    gke = gcp.gke()
    config = gke.get_server_config(name=_parent(gcp))
    minors = sorted({".".join(v.split(".")[:2]) for v in config.valid_master_versions})
    assert minors == ["1.30", "1.31", "1.32"]
    _create(gke, gcp, initial_cluster_version="1.30")
    pool_path = f"{_path(gcp)}/nodePools/default"

    with pytest.raises(gexc.BadRequest, match="one minor version at a time"):
        gke.update_cluster(
            request={"name": _path(gcp), "update": ClusterUpdate(desired_master_version="1.32")}
        )
    with pytest.raises(gexc.BadRequest, match="must not be newer than the master"):
        gke.update_node_pool(request={"name": pool_path, "node_version": "1.31"})

    gke.update_cluster(
        request={"name": _path(gcp), "update": ClusterUpdate(desired_master_version="1.31")}
    )
    assert gke.get_cluster(name=_path(gcp)).current_master_version.startswith("1.31.")
    assert gke.get_node_pool(name=pool_path).version.startswith("1.30.")
    gke.update_node_pool(request={"name": pool_path, "node_version": "-"})
    assert gke.get_node_pool(name=pool_path).version.startswith("1.31.")
    with pytest.raises(gexc.BadRequest, match="older than the current version"):
        gke.update_cluster(
            request={"name": _path(gcp), "update": ClusterUpdate(desired_master_version="1.30")}
        )
