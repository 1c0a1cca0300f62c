from __future__ import annotations

from skyclust_common.messaging import Bus, serve_handlers

from ..handlers import discovery, planning, security_groups, subnets, vpcs
from ..handlers.common import NetworkDeps

HANDLERS = {
    "CreateVpc": vpcs.create_vpc,
    "ListVpcs": vpcs.list_vpcs,
    "GetVpc": vpcs.get_vpc,
    "UpdateVpc": vpcs.update_vpc,
    "DeleteVpc": vpcs.delete_vpc,
    "AdoptVpc": vpcs.adopt_vpc,
    "DiscoverNetworks": discovery.discover_networks,
    "CreateSubnet": subnets.create_subnet,
    "ListSubnets": subnets.list_subnets,
    "GetSubnet": subnets.get_subnet,
    "UpdateSubnet": subnets.update_subnet,
    "DeleteSubnet": subnets.delete_subnet,
    "CreateSecurityGroup": security_groups.create_security_group,
    "ListSecurityGroups": security_groups.list_security_groups,
    "GetSecurityGroup": security_groups.get_security_group,
    "UpdateSecurityGroup": security_groups.update_security_group,
    "DeleteSecurityGroup": security_groups.delete_security_group,
    "SuggestCidr": planning.suggest_cidr,
    "CheckCidrPlan": planning.check_cidr_plan,
}


async def register(bus: Bus, deps: NetworkDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
