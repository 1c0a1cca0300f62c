from __future__ import annotations

import time
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import compute_v1
from google.cloud.compute_v1 import (
    Allowed,
    Denied,
    Firewall,
    Network,
    NetworkRoutingConfig,
    Subnetwork,
)

pytestmark = pytest.mark.integration

REGION = "europe-west1"


def _network(compute: Any, gcp: Any, name: str = "vpc", **fields: Any) -> Any:
    return compute.networks.insert(
        project=gcp.project,
        network_resource=Network(name=name, auto_create_subnetworks=False, **fields),
    )


def _subnet(compute: Any, gcp: Any, name: str, cidr: str, network: str = "vpc") -> Any:
    return compute.subnetworks.insert(
        project=gcp.project,
        region=REGION,
        subnetwork_resource=Subnetwork(
            name=name, network=f"global/networks/{network}", ip_cidr_range=cidr
        ),
    )


def _firewall(compute: Any, gcp: Any, name: str = "allow-https") -> Any:
    return compute.firewalls.insert(
        project=gcp.project,
        firewall_resource=Firewall(
            name=name,
            network="global/networks/vpc",
            direction="INGRESS",
            priority=900,
            source_ranges=["203.0.113.0/24"],
            target_tags=["web"],
            allowed=[Allowed(I_p_protocol="tcp", ports=["443"])],
        ),
    )


def test_network_lifecycle(gcp: Any) -> None:
    compute = gcp.compute()

    op = _network(compute, gcp, description="main")
    assert op.done()
    assert op.result(timeout=5) is None
    assert op.operation_type == "insert"

    network = compute.networks.get(project=gcp.project, network="vpc")
    assert network.auto_create_subnetworks is False
    assert network.routing_config.routing_mode == "REGIONAL"
    assert network.self_link.endswith(f"/projects/{gcp.project}/global/networks/vpc")
    assert network.description == "main"
    assert [n.name for n in compute.networks.list(project=gcp.project)] == ["vpc"]

    compute.networks.patch(
        project=gcp.project,
        network="vpc",
        network_resource=Network(routing_config=NetworkRoutingConfig(routing_mode="GLOBAL")),
    ).result(timeout=5)
    network = compute.networks.get(project=gcp.project, network="vpc")
    assert network.routing_config.routing_mode == "GLOBAL"

    with pytest.raises(gexc.Conflict):
        _network(compute, gcp)

    compute.networks.delete(project=gcp.project, network="vpc").result(timeout=5)
    with pytest.raises(gexc.NotFound):
        compute.networks.get(project=gcp.project, network="vpc")
    assert gcp.admin.resources() == []


def test_subnetwork_lifecycle(gcp: Any) -> None:
    compute = gcp.compute()
    _network(compute, gcp).result(timeout=5)

    _subnet(compute, gcp, "nodes", "10.0.0.0/24").result(timeout=5)
    subnet = compute.subnetworks.get(project=gcp.project, region=REGION, subnetwork="nodes")
    assert subnet.ip_cidr_range == "10.0.0.0/24"
    assert subnet.gateway_address == "10.0.0.1"
    assert subnet.network.endswith("/global/networks/vpc")
    assert subnet.region.endswith(f"/regions/{REGION}")
    listed = compute.subnetworks.list(project=gcp.project, region=REGION)
    assert [s.name for s in listed] == ["nodes"]
    network = compute.networks.get(project=gcp.project, network="vpc")
    assert network.subnetworks == [subnet.self_link]

    compute.subnetworks.patch(
        project=gcp.project,
        region=REGION,
        subnetwork="nodes",
        subnetwork_resource=Subnetwork(
            private_ip_google_access=True, fingerprint=subnet.fingerprint
        ),
    ).result(timeout=5)
    patched = compute.subnetworks.get(project=gcp.project, region=REGION, subnetwork="nodes")
    assert patched.private_ip_google_access is True
    assert patched.fingerprint != subnet.fingerprint

    with pytest.raises(gexc.PreconditionFailed):
        compute.subnetworks.patch(
            project=gcp.project,
            region=REGION,
            subnetwork="nodes",
            subnetwork_resource=Subnetwork(
                private_ip_google_access=False, fingerprint=subnet.fingerprint
            ),
        )
    with pytest.raises(gexc.BadRequest, match="conflicts with existing subnetwork 'nodes'"):
        _subnet(compute, gcp, "overlap", "10.0.0.128/25")
    with pytest.raises(gexc.BadRequest, match="already being used"):
        compute.networks.delete(project=gcp.project, network="vpc")

    compute.subnetworks.delete(project=gcp.project, region=REGION, subnetwork="nodes").result(
        timeout=5
    )
    with pytest.raises(gexc.NotFound):
        compute.subnetworks.get(project=gcp.project, region=REGION, subnetwork="nodes")


def test_firewall_lifecycle(gcp: Any) -> None:
    compute = gcp.compute()
    _network(compute, gcp).result(timeout=5)

    _firewall(compute, gcp).result(timeout=5)
    rule = compute.firewalls.get(project=gcp.project, firewall="allow-https")
    assert rule.direction == "INGRESS"
    assert rule.priority == 900
    assert [(a.I_p_protocol, list(a.ports)) for a in rule.allowed] == [("tcp", ["443"])]
    assert rule.network.endswith("/global/networks/vpc")
    assert [f.name for f in compute.firewalls.list(project=gcp.project)] == ["allow-https"]

    compute.firewalls.patch(
        project=gcp.project,
        firewall="allow-https",
        firewall_resource=Firewall(source_ranges=["198.51.100.0/24"]),
    ).result(timeout=5)
    rule = compute.firewalls.get(project=gcp.project, firewall="allow-https")
    assert list(rule.source_ranges) == ["198.51.100.0/24"]
    assert list(rule.target_tags) == ["web"]

    compute.firewalls.update(
        project=gcp.project,
        firewall="allow-https",
        firewall_resource=Firewall(
            name="allow-https",
            network="global/networks/vpc",
            denied=[Denied(I_p_protocol="udp")],
        ),
    ).result(timeout=5)
    rule = compute.firewalls.get(project=gcp.project, firewall="allow-https")
    assert [d.I_p_protocol for d in rule.denied] == ["udp"]
    assert list(rule.allowed) == []
    assert list(rule.target_tags) == []
    assert rule.priority == 1000

    with pytest.raises(gexc.BadRequest, match="Exactly one of 'allowed' or 'denied'"):
        compute.firewalls.insert(
            project=gcp.project,
            firewall_resource=Firewall(name="broken", network="global/networks/vpc"),
        )

    compute.firewalls.delete(project=gcp.project, firewall="allow-https").result(timeout=5)
    with pytest.raises(gexc.NotFound):
        compute.firewalls.get(project=gcp.project, firewall="allow-https")


def test_extended_operations_poll_and_wait_until_done(gcp: Any) -> None:
    compute = gcp.compute()
    gcp.admin.set_durations(compute=0.3)

    started = time.monotonic()
    op = _network(compute, gcp)
    assert op.status == compute_v1.Operation.Status.RUNNING
    op.result(timeout=10)
    assert op.status == compute_v1.Operation.Status.DONE
    assert time.monotonic() - started < 5

    insert = _subnet(compute, gcp, "nodes", "10.1.0.0/24")
    waited = compute.region_operations.wait(
        project=gcp.project, region=REGION, operation=insert.name
    )
    assert waited.status == compute_v1.Operation.Status.DONE
    assert waited.progress == 100

    delete = compute.firewalls.insert(
        project=gcp.project,
        firewall_resource=Firewall(
            name="deny-all", network="global/networks/vpc", denied=[Denied(I_p_protocol="all")]
        ),
    )
    waited = compute.global_operations.wait(project=gcp.project, operation=delete.name)
    assert waited.status == compute_v1.Operation.Status.DONE
    fetched = compute.global_operations.get(project=gcp.project, operation=delete.name)
    assert fetched.target_link.endswith("/global/firewalls/deny-all")
    paths = [r["path"] for r in gcp.admin.requests()]
    assert all(p.startswith(("/compute/v1/", "/token")) for p in paths)


def test_request_id_makes_inserts_idempotent(gcp: Any) -> None:
    compute = gcp.compute()
    request_id = "2d7b4bf6-4c6c-4f0c-9a51-3f1f0d7a1c5e"

    first = compute.networks.insert(
        request={
            "project": gcp.project,
            "request_id": request_id,
            "network_resource": Network(name="vpc", auto_create_subnetworks=False),
        }
    )
    retried = compute.networks.insert(
        request={
            "project": gcp.project,
            "request_id": request_id,
            "network_resource": Network(name="vpc", auto_create_subnetworks=False),
        }
    )

    assert retried.name == first.name
    assert [n.name for n in compute.networks.list(project=gcp.project)] == ["vpc"]


def test_a_failing_operation_raises_from_result(gcp: Any) -> None:
    compute = gcp.compute()
    gcp.admin.inject_fault(
        r"/global/networks$",
        method="POST",
        operation_error=True,
        status=403,
        code="QUOTA_EXCEEDED",
        message="Quota 'NETWORKS' exceeded.  Limit: 5.0 globally.",
    )

    op = _network(compute, gcp)

    with pytest.raises(gexc.Forbidden, match="Quota 'NETWORKS' exceeded"):
        op.result(timeout=5)
    with pytest.raises(gexc.NotFound):
        compute.networks.get(project=gcp.project, network="vpc")


def test_list_pagination_and_filter(gcp: Any) -> None:
    compute = gcp.compute()
    for i in range(5):
        _network(compute, gcp, name=f"net-{i}").result(timeout=5)

    pager = compute.networks.list(request={"project": gcp.project, "max_results": 2})
    assert [n.name for n in pager] == [f"net-{i}" for i in range(5)]
    assert sum(1 for r in gcp.admin.requests() if r["path"].endswith("/global/networks")) >= 3

    filtered = compute.networks.list(request={"project": gcp.project, "filter": 'name = "net-3"'})
    assert [n.name for n in filtered] == ["net-3"]
