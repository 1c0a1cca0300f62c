from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

pytestmark = pytest.mark.integration


def _code(error: HttpResponseError) -> str | None:
    return error.error.code if error.error is not None else None


GROUP = "rg-net"
LOCATION = "northeurope"


def _group(azure: Any) -> None:
    azure.resources().resource_groups.create_or_update(GROUP, {"location": LOCATION})


def _vnet(**properties: Any) -> dict[str, Any]:
    return {
        "location": LOCATION,
        "tags": {"env": "dev"},
        "properties": {"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]}, **properties},
    }


def _rule(priority: int, port: str = "443") -> dict[str, Any]:
    return {
        "properties": {
            "protocol": "Tcp",
            "access": "Allow",
            "direction": "Inbound",
            "priority": priority,
            "sourceAddressPrefix": "203.0.113.0/24",
            "sourcePortRange": "*",
            "destinationAddressPrefix": "*",
            "destinationPortRange": port,
        }
    }


def test_virtual_network_lifecycle(azure: Any) -> None:
    _group(azure)
    network = azure.network()
    body = _vnet(subnets=[{"name": "nodes", "properties": {"addressPrefix": "10.20.1.0/24"}}])

    vnet = network.virtual_networks.begin_create_or_update(GROUP, "hub", body).result()
    assert vnet.properties.provisioning_state == "Succeeded"
    assert vnet.properties.address_space.address_prefixes == ["10.20.0.0/16"]
    assert [s.name for s in vnet.properties.subnets] == ["nodes"]
    assert vnet.etag.startswith('W/"')

    fetched = network.virtual_networks.get(GROUP, "hub")
    assert fetched.properties.subnets[0].id.endswith("/virtualNetworks/hub/subnets/nodes")
    assert [v.name for v in network.virtual_networks.list(GROUP)] == ["hub"]
    assert [v.name for v in network.virtual_networks.list_all()] == ["hub"]

    tagged = network.virtual_networks.update_tags(GROUP, "hub", {"tags": {"env": "prod"}})
    assert tagged.tags == {"env": "prod"}

    network.virtual_networks.begin_delete(GROUP, "hub").result()
    with pytest.raises(ResourceNotFoundError) as missing:
        network.virtual_networks.get(GROUP, "hub")
    assert _code(missing.value) == "ResourceNotFound"
    with pytest.raises(ResourceNotFoundError):
        network.subnets.get(GROUP, "hub", "nodes")


def test_subnet_lifecycle(azure: Any) -> None:
    _group(azure)
    network = azure.network()
    network.virtual_networks.begin_create_or_update(GROUP, "hub", _vnet()).result()
    nsg = network.network_security_groups.begin_create_or_update(
        GROUP, "nodes-nsg", {"location": LOCATION}
    ).result()

    subnet = network.subnets.begin_create_or_update(
        GROUP, "hub", "nodes", {"properties": {"addressPrefix": "10.20.1.0/24"}}
    ).result()
    assert subnet.properties.provisioning_state == "Succeeded"
    assert network.subnets.get(GROUP, "hub", "nodes").properties.address_prefix == "10.20.1.0/24"
    assert [s.name for s in network.subnets.list(GROUP, "hub")] == ["nodes"]

    attached = network.subnets.begin_create_or_update(
        GROUP,
        "hub",
        "nodes",
        {
            "properties": {
                "addressPrefix": "10.20.1.0/24",
                "networkSecurityGroup": {"id": nsg.id},
            }
        },
    ).result()
    assert attached.properties.network_security_group.id == nsg.id
    nsg_view = network.network_security_groups.get(GROUP, "nodes-nsg")
    assert [s.id for s in nsg_view.properties.subnets] == [attached.id]

    with pytest.raises(HttpResponseError) as overlap:
        network.subnets.begin_create_or_update(
            GROUP, "hub", "other", {"properties": {"addressPrefix": "10.20.1.128/25"}}
        )
    assert _code(overlap.value) == "NetcfgSubnetRangesOverlap"
    with pytest.raises(HttpResponseError) as outside:
        network.subnets.begin_create_or_update(
            GROUP, "hub", "other", {"properties": {"addressPrefix": "10.99.0.0/24"}}
        )
    assert _code(outside.value) == "NetcfgSubnetRangeOutsideVnet"

    network.subnets.begin_delete(GROUP, "hub", "nodes").result()
    with pytest.raises(ResourceNotFoundError):
        network.subnets.get(GROUP, "hub", "nodes")


def test_network_security_group_and_rules(azure: Any) -> None:
    _group(azure)
    network = azure.network()

    nsg = network.network_security_groups.begin_create_or_update(
        GROUP,
        "web",
        {"location": LOCATION, "properties": {"securityRules": [{"name": "https", **_rule(100)}]}},
    ).result()
    assert [r.name for r in nsg.properties.security_rules] == ["https"]
    assert len(nsg.properties.default_security_rules) == 6
    assert [g.name for g in network.network_security_groups.list(GROUP)] == ["web"]
    assert [g.name for g in network.network_security_groups.list_all()] == ["web"]

    rules = network.security_rules
    rules.begin_create_or_update(GROUP, "web", "ssh", _rule(200, "22")).result()
    assert rules.get(GROUP, "web", "ssh").properties.destination_port_range == "22"
    assert [r.name for r in rules.list(GROUP, "web")] == ["https", "ssh"]
    rules.begin_create_or_update(GROUP, "web", "ssh", _rule(210, "2222")).result()
    updated = rules.get(GROUP, "web", "ssh").properties
    assert (updated.priority, updated.destination_port_range) == (210, "2222")

    with pytest.raises(HttpResponseError) as conflict:
        rules.begin_create_or_update(GROUP, "web", "dup", _rule(100, "80"))
    assert _code(conflict.value) == "SecurityRuleConflict"
    with pytest.raises(HttpResponseError) as priority:
        rules.begin_create_or_update(GROUP, "web", "low", _rule(5000))
    assert _code(priority.value) == "SecurityRuleInvalidPriority"

    rules.begin_delete(GROUP, "web", "ssh").result()
    with pytest.raises(ResourceNotFoundError):
        rules.get(GROUP, "web", "ssh")

    tagged = network.network_security_groups.update_tags(GROUP, "web", {"tags": {"a": "b"}})
    assert tagged.tags == {"a": "b"}
    network.network_security_groups.begin_delete(GROUP, "web").result()
    with pytest.raises(ResourceNotFoundError):
        network.network_security_groups.get(GROUP, "web")


def test_resources_in_use_cannot_be_deleted(azure: Any) -> None:
    _group(azure)
    network = azure.network()
    nsg = network.network_security_groups.begin_create_or_update(
        GROUP, "web", {"location": LOCATION}
    ).result()
    subnet_body = {
        "name": "nodes",
        "properties": {"addressPrefix": "10.20.1.0/24", "networkSecurityGroup": {"id": nsg.id}},
    }
    vnet = network.virtual_networks.begin_create_or_update(
        GROUP, "hub", _vnet(subnets=[subnet_body])
    ).result()
    subnet_id = vnet.properties.subnets[0].id
    azure.aks().managed_clusters.begin_create_or_update(
        GROUP,
        "prod",
        {
            "location": LOCATION,
            "identity": {"type": "SystemAssigned"},
            "properties": {
                "dnsPrefix": "prod",
                "agentPoolProfiles": [
                    {"name": "system", "count": 1, "mode": "System", "vnetSubnetID": subnet_id}
                ],
            },
        },
    ).result()

    with pytest.raises(HttpResponseError) as nsg_in_use:
        network.network_security_groups.begin_delete(GROUP, "web")
    assert _code(nsg_in_use.value) == "InUseNetworkSecurityGroupCannotBeDeleted"
    with pytest.raises(HttpResponseError) as subnet_in_use:
        network.subnets.begin_delete(GROUP, "hub", "nodes")
    assert _code(subnet_in_use.value) == "InUseSubnetCannotBeDeleted"
    with pytest.raises(HttpResponseError) as dropped_by_put:
        network.virtual_networks.begin_create_or_update(GROUP, "hub", _vnet())
    assert _code(dropped_by_put.value) == "InUseSubnetCannotBeDeleted"


def test_a_vnet_put_without_subnets_removes_them(azure: Any) -> None:
    _group(azure)
    network = azure.network()
    network.virtual_networks.begin_create_or_update(GROUP, "hub", _vnet()).result()
    network.subnets.begin_create_or_update(
        GROUP, "hub", "nodes", {"properties": {"addressPrefix": "10.20.1.0/24"}}
    ).result()

    network.virtual_networks.begin_create_or_update(GROUP, "hub", _vnet()).result()

    assert list(network.subnets.list(GROUP, "hub")) == []


def test_deleting_the_group_leaves_nothing_behind(azure: Any) -> None:
    _group(azure)
    network = azure.network()
    network.virtual_networks.begin_create_or_update(
        GROUP,
        "hub",
        _vnet(subnets=[{"name": "a", "properties": {"addressPrefix": "10.20.0.0/24"}}]),
    ).result()
    network.network_security_groups.begin_create_or_update(
        GROUP,
        "web",
        {"location": LOCATION, "properties": {"securityRules": [{"name": "r", **_rule(100)}]}},
    ).result()
    assert len(azure.admin.resources()) == 5

    azure.resources().resource_groups.begin_delete(GROUP).result()

    assert azure.admin.resources() == []
    assert list(network.virtual_networks.list_all()) == []
