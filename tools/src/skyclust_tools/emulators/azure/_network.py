"""Microsoft.Network: virtual networks, subnets, network security groups and their rules."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from .._core import JSON
from ._arm import (
    Ref,
    ResourceKind,
    cancel_operation,
    check_location_unchanged,
    check_preconditions,
    ensure_group_writable,
    require_location,
    start_operation,
    validate_tags,
)
from ._common import ArmError, Call, bad_request, etag, guid, json_response

if TYPE_CHECKING:
    from ._app import AzureEmulator

NAMESPACE = "Microsoft.Network"
NAME_RE = re.compile(r"^[a-zA-Z0-9]([-\w.]{0,78}[\w])?$")
DEFAULT_ERROR = ("InternalServerError", "An error occurred while provisioning the resource.")


def _check_name(name: str, kind: str) -> None:
    if not NAME_RE.match(name):
        raise bad_request(
            "InvalidResourceName",
            f"Resource name {name} is invalid. The name can be up to 80 characters long. It must "
            "begin with a word character, and it must end with a word character or with '_'. "
            f"The name may contain word characters or '.', '-', '_' ({kind}).",
        )


def _prefix(value: Any, owner: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(str(value), strict=True)
    except ValueError as exc:
        raise bad_request(
            "InvalidAddressPrefixFormat",
            f"Address prefix {value} of resource {owner} is not formatted correctly. It should "
            "follow CIDR notation, for example 10.0.0.0/24.",
        ) from exc


def _subnet_prefixes(props: JSON, owner: str) -> list[ipaddress.IPv4Network]:
    values = props.get("addressPrefixes") or (
        [props["addressPrefix"]] if props.get("addressPrefix") else []
    )
    if not values:
        raise bad_request(
            "NetcfgInvalidSubnet",
            f"Subnet '{owner}' is not valid because it has no address prefix.",
        )
    return [_prefix(v, owner) for v in values]


def _finish_state(resources: Iterable[JSON], state: str) -> None:
    for resource in resources:
        resource["properties"]["provisioningState"] = state


def _children(emu_sub_resources: dict[str, JSON], parent_id: str, child_type: str) -> list[JSON]:
    prefix = f"{parent_id.lower()}/{child_type.lower()}/"
    return [
        r
        for key, r in emu_sub_resources.items()
        if key.startswith(prefix) and "/" not in key[len(prefix) :]
    ]


def subnet_users(emu: AzureEmulator, subnet_id: str) -> list[str]:
    wanted = subnet_id.lower()
    users = []
    for sub in emu.subscriptions.values():
        for resource in sub.resources.values():
            ref = (resource.get("properties") or {}).get("vnetSubnetID")
            if ref and str(ref).lower() == wanted:
                users.append(resource["id"])
    return users


def _nsg_reference(call: Call, props: JSON, owner: str) -> JSON | None:
    nsg = props.get("networkSecurityGroup")
    if not nsg:
        return None
    nsg_id = str(nsg.get("id", ""))
    found = call.sub.resources.get(nsg_id.lower())
    if found is None or found["_kind"] != NSG.key:
        raise bad_request(
            "InvalidResourceReference",
            f"Resource {nsg_id} referenced by resource {owner} was not found. Please make sure "
            "that the referenced resource exists, and that both resources are in the same region.",
        )
    return {"id": found["id"]}


class VirtualNetworkKind(ResourceKind):
    namespace = NAMESPACE
    type_name = "virtualNetworks"

    def render(self, emu: AzureEmulator, resource: JSON) -> JSON:
        sub = emu.subscription_of(resource["id"])
        out = {**resource, "properties": dict(resource["properties"])}
        out["properties"]["subnets"] = [
            SUBNET.render(emu, s) for s in _children(sub.resources, resource["id"], "subnets")
        ]
        return out

    def _validate_subnets(
        self, call: Call, vnet_id: str, space: list[ipaddress.IPv4Network], specs: list[JSON]
    ) -> list[tuple[str, JSON, JSON | None]]:
        seen: list[tuple[str, list[ipaddress.IPv4Network]]] = []
        out = []
        for spec in specs:
            name = str(spec.get("name", ""))
            _check_name(name, "subnet")
            owner = f"{vnet_id}/subnets/{name}"
            props = dict(spec.get("properties") or {})
            prefixes = _subnet_prefixes(props, owner)
            for prefix in prefixes:
                if not any(prefix.subnet_of(block) for block in space):
                    raise bad_request(
                        "NetcfgSubnetRangeOutsideVnet",
                        f"Subnet '{name}' is not valid because its IP address range is outside "
                        f"the IP address range of virtual network '{vnet_id.rsplit('/', 1)[1]}'.",
                    )
                for other_name, other in seen:
                    if any(prefix.overlaps(o) for o in other):
                        raise bad_request(
                            "NetcfgSubnetRangesOverlap",
                            f"Subnet '{name}' is not valid because its IP address range overlaps "
                            f"with that of an existing subnet '{other_name}' in virtual network "
                            f"'{vnet_id.rsplit('/', 1)[1]}'.",
                        )
            if any(name.lower() == n.lower() for n, _ in seen):
                raise bad_request(
                    "InvalidRequestFormat", f"Duplicate subnet name '{name}' in the request."
                )
            seen.append((name, prefixes))
            out.append((name, props, _nsg_reference(call, props, owner)))
        return out

    async def put(self, call: Call, ref: Ref) -> Response:
        ensure_group_writable(ref.group)
        _check_name(ref.name, "virtual network")
        existing = ref.existing
        check_preconditions(call, existing)
        body = call.body
        location = require_location(call, body)
        if existing is not None:
            check_location_unchanged(existing, location, ref)
            if existing["properties"]["provisioningState"] == "Deleting":
                raise ArmError(
                    409,
                    "AnotherOperationInProgress",
                    f"Another operation on this or dependent resource is in progress ({ref.id}).",
                )
        props = dict(body.get("properties") or {})
        raw_space = (props.get("addressSpace") or {}).get("addressPrefixes") or []
        if not raw_space:
            raise bad_request(
                "InvalidRequestFormat",
                f"Virtual network {ref.id} must have at least one address prefix in addressSpace.",
            )
        space = [_prefix(p, ref.id) for p in raw_space]
        for i, block in enumerate(space):
            for other in space[i + 1 :]:
                if block.overlaps(other):
                    raise bad_request(
                        "VnetAddressSpacesOverlap",
                        f"Cannot create or update virtual network {ref.id} since it has address "
                        f"spaces {block} and {other} which overlap.",
                    )
        subnet_specs = self._validate_subnets(call, ref.id, space, list(props.get("subnets") or []))
        sub = call.sub
        current = {s["name"].lower(): s for s in _children(sub.resources, ref.id, "subnets")}
        wanted = {name.lower() for name, _, _ in subnet_specs}
        for lower, subnet in current.items():
            if lower not in wanted and (users := subnet_users(call.emu, subnet["id"])):
                raise bad_request(
                    "InUseSubnetCannotBeDeleted",
                    f"Subnet {subnet['name']} is in use by {users[0]} and cannot be deleted. In "
                    "order to delete the subnet, delete all the resources within the subnet. "
                    "See aka.ms/deletesubnet.",
                )

        props.pop("subnets", None)
        created = existing is None
        vnet = existing or self.new_resource(ref)
        vnet.update(
            {
                "location": location,
                "tags": validate_tags(body),
                "etag": etag(),
                "properties": {
                    "enableDdosProtection": False,
                    "virtualNetworkPeerings": [],
                    "privateEndpointVNetPolicies": "Disabled",
                    **props,
                    "addressSpace": {"addressPrefixes": [str(b) for b in space]},
                    "resourceGuid": (existing or {}).get("properties", {}).get("resourceGuid")
                    or guid(),
                    "provisioningState": "Updating",
                },
            }
        )
        sub.resources[ref.key] = vnet
        touched = [vnet]
        for lower, subnet in current.items():
            if lower not in wanted:
                del sub.resources[subnet["id"].lower()]
        for name, subnet_props, nsg in subnet_specs:
            subnet_ref = Ref(sub, ref.group, SUBNET, name, vnet)
            touched.append(SUBNET.store(call, subnet_ref, subnet_props, nsg))

        def fail() -> None:
            _finish_state(touched, "Failed")

        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=location,
            duration_kind="network",
            busy=None,
            apply=lambda: _finish_state(touched, "Succeeded"),
            fail=fail,
            default_error=DEFAULT_ERROR,
        )
        return json_response(self.render(call.emu, vnet), 201 if created else 200, headers)

    async def patch(self, call: Call, ref: Ref) -> Response:
        vnet = ref.existing
        if vnet is None:
            raise self.not_found(ref)
        vnet["tags"] = validate_tags(call.body)
        vnet["etag"] = etag()
        return json_response(self.render(call.emu, vnet))

    async def delete(self, call: Call, ref: Ref) -> Response:
        vnet = ref.existing
        if vnet is None:
            return Response(status_code=204)
        sub = call.sub
        subnets = _children(sub.resources, ref.id, "subnets")
        for subnet in subnets:
            if users := subnet_users(call.emu, subnet["id"]):
                raise bad_request(
                    "InUseSubnetCannotBeDeleted",
                    f"Subnet {subnet['name']} is in use by {users[0]} and cannot be deleted. In "
                    "order to delete the subnet, delete all the resources within the subnet. "
                    "See aka.ms/deletesubnet.",
                )
        previous = vnet["properties"]["provisioningState"]
        vnet["properties"]["provisioningState"] = "Deleting"

        def apply() -> None:
            for resource in [vnet, *_children(sub.resources, ref.id, "subnets")]:
                sub.resources.pop(resource["id"].lower(), None)

        def fail() -> None:
            vnet["properties"]["provisioningState"] = previous

        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=vnet["location"],
            duration_kind="network",
            busy=None,
            apply=apply,
            fail=fail,
            delete=True,
            default_error=DEFAULT_ERROR,
        )
        return Response(status_code=202, headers=headers)


class SubnetKind(ResourceKind):
    namespace = NAMESPACE
    type_name = "subnets"

    def store(self, call: Call, ref: Ref, props: JSON, nsg: JSON | None) -> JSON:
        subnet = ref.existing or self.new_resource(ref)
        properties: JSON = {
            "delegations": [],
            "privateEndpointNetworkPolicies": "Disabled",
            "privateLinkServiceNetworkPolicies": "Enabled",
            **props,
            "provisioningState": "Updating",
        }
        if nsg is not None:
            properties["networkSecurityGroup"] = nsg
        subnet.update({"etag": etag(), "properties": properties})
        call.sub.resources[ref.key] = subnet
        return subnet

    async def put(self, call: Call, ref: Ref) -> Response:
        ensure_group_writable(ref.group)
        assert ref.parent is not None
        vnet = ref.parent
        _check_name(ref.name, "subnet")
        existing = ref.existing
        check_preconditions(call, existing)
        props = dict(call.body.get("properties") or {})
        space = [
            ipaddress.IPv4Network(p) for p in vnet["properties"]["addressSpace"]["addressPrefixes"]
        ]
        siblings = [
            {"name": s["name"], "properties": s["properties"]}
            for s in _children(call.sub.resources, vnet["id"], "subnets")
            if s is not existing
        ]
        specs = VNET._validate_subnets(
            call, vnet["id"], space, [*siblings, {"name": ref.name, "properties": props}]
        )
        _, _, nsg = specs[-1]
        created = existing is None
        subnet = self.store(call, ref, props, nsg)

        def fail() -> None:
            subnet["properties"]["provisioningState"] = "Failed"

        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=vnet["location"],
            duration_kind="network",
            busy=None,
            apply=lambda: _finish_state([subnet], "Succeeded"),
            fail=fail,
            default_error=DEFAULT_ERROR,
        )
        return json_response(self.render(call.emu, subnet), 201 if created else 200, headers)

    async def delete(self, call: Call, ref: Ref) -> Response:
        subnet = ref.existing
        if subnet is None:
            return Response(status_code=204)
        if users := subnet_users(call.emu, subnet["id"]):
            raise bad_request(
                "InUseSubnetCannotBeDeleted",
                f"Subnet {ref.name} is in use by {users[0]} and cannot be deleted. In order to "
                "delete the subnet, delete all the resources within the subnet. See "
                "aka.ms/deletesubnet.",
            )
        assert ref.parent is not None
        subnet["properties"]["provisioningState"] = "Deleting"
        sub = call.sub

        def apply() -> None:
            sub.resources.pop(ref.key, None)

        def fail() -> None:
            subnet["properties"]["provisioningState"] = "Succeeded"

        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=ref.parent["location"],
            duration_kind="network",
            busy=None,
            apply=apply,
            fail=fail,
            delete=True,
            default_error=DEFAULT_ERROR,
        )
        return Response(status_code=202, headers=headers)


_PROTOCOLS = {p.lower(): p for p in ("Tcp", "Udp", "Icmp", "Esp", "Ah", "*")}
_DEFAULT_RULES = [
    (
        "AllowVnetInBound",
        "Allow inbound traffic from all VMs in VNET",
        "VirtualNetwork",
        "VirtualNetwork",
        "Allow",
        65000,
        "Inbound",
    ),
    (
        "AllowAzureLoadBalancerInBound",
        "Allow inbound traffic from azure load balancer",
        "AzureLoadBalancer",
        "*",
        "Allow",
        65001,
        "Inbound",
    ),
    ("DenyAllInBound", "Deny all inbound traffic", "*", "*", "Deny", 65500, "Inbound"),
    (
        "AllowVnetOutBound",
        "Allow outbound traffic from all VMs to all VMs in VNET",
        "VirtualNetwork",
        "VirtualNetwork",
        "Allow",
        65000,
        "Outbound",
    ),
    (
        "AllowInternetOutBound",
        "Allow outbound traffic from all VMs to Internet",
        "*",
        "Internet",
        "Allow",
        65001,
        "Outbound",
    ),
    ("DenyAllOutBound", "Deny all outbound traffic", "*", "*", "Deny", 65500, "Outbound"),
]


def _validate_rule(name: str, props: JSON) -> JSON:
    _check_name(name, "security rule")
    protocol = _PROTOCOLS.get(str(props.get("protocol", "")).lower())
    if protocol is None:
        raise bad_request(
            "SecurityRuleInvalidProtocol",
            f"Security rule {name} has invalid Protocol. Value provided: "
            f"{props.get('protocol')}. Allowed values: Tcp, Udp, Icmp, Esp, Ah, *.",
        )
    access = str(props.get("access", "")).capitalize()
    direction = str(props.get("direction", "")).capitalize()
    if access not in ("Allow", "Deny") or direction not in ("Inbound", "Outbound"):
        raise bad_request(
            "SecurityRuleParameterContainsUnsupportedValue",
            f"Security rule {name} must have access Allow or Deny and direction Inbound or "
            "Outbound.",
        )
    priority = props.get("priority")
    if not isinstance(priority, int) or not 100 <= priority <= 4096:
        raise bad_request(
            "SecurityRuleInvalidPriority",
            f"Security rule has invalid Priority. Value provided: {priority} Allowed values: "
            "100-4096.",
        )
    for side in ("source", "destination"):
        if not (props.get(f"{side}PortRange") or props.get(f"{side}PortRanges")):
            raise bad_request(
                "SecurityRuleParameterMissing",
                f"Security rule {name} is missing {side}PortRange or {side}PortRanges.",
            )
        if not (
            props.get(f"{side}AddressPrefix")
            or props.get(f"{side}AddressPrefixes")
            or props.get(f"{side}ApplicationSecurityGroups")
        ):
            raise bad_request(
                "SecurityRuleParameterMissing",
                f"Security rule {name} is missing {side}AddressPrefix or {side}AddressPrefixes.",
            )
    return {
        "sourcePortRanges": [],
        "destinationPortRanges": [],
        "sourceAddressPrefixes": [],
        "destinationAddressPrefixes": [],
        **props,
        "protocol": protocol,
        "access": access,
        "direction": direction,
        "priority": priority,
    }


def _check_conflicts(rules: list[tuple[str, JSON]]) -> None:
    seen: dict[tuple[int, str], str] = {}
    for name, props in rules:
        key = (props["priority"], props["direction"])
        if key in seen:
            raise bad_request(
                "SecurityRuleConflict",
                f"Security rule {name} conflicts with rule {seen[key]}. Rules cannot have the "
                "same Priority and Direction.",
            )
        seen[key] = name


class NetworkSecurityGroupKind(ResourceKind):
    namespace = NAMESPACE
    type_name = "networkSecurityGroups"

    def render(self, emu: AzureEmulator, resource: JSON) -> JSON:
        sub = emu.subscription_of(resource["id"])
        out = {**resource, "properties": dict(resource["properties"])}
        out["properties"]["securityRules"] = [
            RULE.render(emu, r) for r in _children(sub.resources, resource["id"], "securityRules")
        ]
        out["properties"]["defaultSecurityRules"] = [
            {
                "id": f"{resource['id']}/defaultSecurityRules/{name}",
                "name": name,
                "type": f"{self.arm_type}/defaultSecurityRules",
                "etag": resource["etag"],
                "properties": {
                    "provisioningState": "Succeeded",
                    "description": description,
                    "protocol": "*",
                    "sourcePortRange": "*",
                    "destinationPortRange": "*",
                    "sourceAddressPrefix": source,
                    "destinationAddressPrefix": destination,
                    "access": access,
                    "priority": priority,
                    "direction": direction,
                    "sourcePortRanges": [],
                    "destinationPortRanges": [],
                    "sourceAddressPrefixes": [],
                    "destinationAddressPrefixes": [],
                },
            }
            for name, description, source, destination, access, priority, direction in (
                _DEFAULT_RULES
            )
        ]
        users = self.subnets_using(emu, resource["id"])
        if users:
            out["properties"]["subnets"] = [{"id": u} for u in users]
        return out

    @staticmethod
    def subnets_using(emu: AzureEmulator, nsg_id: str) -> list[str]:
        sub = emu.subscription_of(nsg_id)
        return [
            r["id"]
            for r in sub.resources.values()
            if r["_kind"] == SUBNET.key
            and str((r["properties"].get("networkSecurityGroup") or {}).get("id", "")).lower()
            == nsg_id.lower()
        ]

    async def put(self, call: Call, ref: Ref) -> Response:
        ensure_group_writable(ref.group)
        _check_name(ref.name, "network security group")
        existing = ref.existing
        check_preconditions(call, existing)
        body = call.body
        location = require_location(call, body)
        if existing is not None:
            check_location_unchanged(existing, location, ref)
        props = dict(body.get("properties") or {})
        rules = [
            (
                str(r.get("name", "")),
                _validate_rule(str(r.get("name", "")), dict(r.get("properties") or {})),
            )
            for r in props.pop("securityRules", None) or []
        ]
        _check_conflicts(rules)
        props.pop("defaultSecurityRules", None)
        props.pop("subnets", None)
        sub = call.sub
        created = existing is None
        nsg = existing or self.new_resource(ref)
        nsg.update(
            {
                "location": location,
                "tags": validate_tags(body),
                "etag": etag(),
                "properties": {
                    **props,
                    "resourceGuid": (existing or {}).get("properties", {}).get("resourceGuid")
                    or guid(),
                    "provisioningState": "Updating",
                },
            }
        )
        sub.resources[ref.key] = nsg
        for old in _children(sub.resources, ref.id, "securityRules"):
            del sub.resources[old["id"].lower()]
        touched = [nsg]
        for name, rule_props in rules:
            touched.append(RULE.store(call, Ref(sub, ref.group, RULE, name, nsg), rule_props))

        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=location,
            duration_kind="network",
            busy=None,
            apply=lambda: _finish_state(touched, "Succeeded"),
            fail=lambda: _finish_state(touched, "Failed"),
            default_error=DEFAULT_ERROR,
        )
        return json_response(self.render(call.emu, nsg), 201 if created else 200, headers)

    async def patch(self, call: Call, ref: Ref) -> Response:
        nsg = ref.existing
        if nsg is None:
            raise self.not_found(ref)
        nsg["tags"] = validate_tags(call.body)
        nsg["etag"] = etag()
        return json_response(self.render(call.emu, nsg))

    async def delete(self, call: Call, ref: Ref) -> Response:
        nsg = ref.existing
        if nsg is None:
            return Response(status_code=204)
        if users := self.subnets_using(call.emu, nsg["id"]):
            raise bad_request(
                "InUseNetworkSecurityGroupCannotBeDeleted",
                f"Network security group {nsg['id']} cannot be deleted because it is in use by "
                f"the following resources: {', '.join(users)}. In order to delete the Network "
                "security group, remove the association with the resource(s).",
            )
        sub = call.sub
        nsg["properties"]["provisioningState"] = "Deleting"

        def apply() -> None:
            for resource in [nsg, *_children(sub.resources, ref.id, "securityRules")]:
                cancel_operation(call.emu, resource)
                sub.resources.pop(resource["id"].lower(), None)

        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=nsg["location"],
            duration_kind="network",
            busy=None,
            apply=apply,
            fail=lambda: _finish_state([nsg], "Succeeded"),
            delete=True,
            default_error=DEFAULT_ERROR,
        )
        return Response(status_code=202, headers=headers)


class SecurityRuleKind(ResourceKind):
    namespace = NAMESPACE
    type_name = "securityRules"

    def store(self, call: Call, ref: Ref, props: JSON) -> JSON:
        rule = ref.existing or self.new_resource(ref)
        rule.update({"etag": etag(), "properties": {**props, "provisioningState": "Updating"}})
        call.sub.resources[ref.key] = rule
        return rule

    async def put(self, call: Call, ref: Ref) -> Response:
        ensure_group_writable(ref.group)
        assert ref.parent is not None
        existing = ref.existing
        check_preconditions(call, existing)
        props = _validate_rule(ref.name, dict(call.body.get("properties") or {}))
        siblings = [
            (r["name"], r["properties"])
            for r in _children(call.sub.resources, ref.parent["id"], "securityRules")
            if r is not existing
        ]
        _check_conflicts([*siblings, (ref.name, props)])
        created = existing is None
        rule = self.store(call, ref, props)
        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=ref.parent["location"],
            duration_kind="network",
            busy=None,
            apply=lambda: _finish_state([rule], "Succeeded"),
            fail=lambda: _finish_state([rule], "Failed"),
            default_error=DEFAULT_ERROR,
        )
        return json_response(self.render(call.emu, rule), 201 if created else 200, headers)

    async def delete(self, call: Call, ref: Ref) -> Response:
        rule = ref.existing
        if rule is None:
            return Response(status_code=204)
        assert ref.parent is not None
        sub = call.sub
        rule["properties"]["provisioningState"] = "Deleting"

        def apply() -> None:
            sub.resources.pop(ref.key, None)

        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=ref.parent["location"],
            duration_kind="network",
            busy=None,
            apply=apply,
            fail=lambda: _finish_state([rule], "Succeeded"),
            delete=True,
            default_error=DEFAULT_ERROR,
        )
        return Response(status_code=202, headers=headers)


VNET = VirtualNetworkKind()
SUBNET = SubnetKind()
SUBNET.parent = VNET
NSG = NetworkSecurityGroupKind()
RULE = SecurityRuleKind()
RULE.parent = NSG

KINDS: list[ResourceKind] = [VNET, SUBNET, NSG, RULE]
