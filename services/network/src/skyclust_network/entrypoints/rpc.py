from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from skyclust_common.messages.base import Rpc
from skyclust_common.messages.rpc import (
    AdoptVpc,
    CheckCidrPlan,
    CreateSecurityGroup,
    CreateSubnet,
    CreateVpc,
    DeleteSecurityGroup,
    DeleteSubnet,
    DeleteVpc,
    DiscoverNetworks,
    GetSecurityGroup,
    GetSubnet,
    GetVpc,
    ListSecurityGroups,
    ListSubnets,
    ListVpcs,
    SuggestCidr,
    UpdateSecurityGroup,
    UpdateSubnet,
    UpdateVpc,
)
from skyclust_common.messaging import Bus, RpcContext, serve_handlers

from ..handlers import discovery, planning, security_groups, subnets, vpcs
from ..handlers.common import NetworkDeps

Handler = Callable[[NetworkDeps, dict[str, Any], RpcContext], Awaitable[dict[str, Any]]]

# Each handler and the contract it serves; the tests call a handler with its request
# parsed the same way.
CONTRACTS: dict[Callable[..., Awaitable[dict[str, Any]]], type[Rpc[Any, Any]]] = {
    vpcs.create_vpc: CreateVpc,
    vpcs.list_vpcs: ListVpcs,
    vpcs.get_vpc: GetVpc,
    vpcs.update_vpc: UpdateVpc,
    vpcs.delete_vpc: DeleteVpc,
    vpcs.adopt_vpc: AdoptVpc,
    discovery.discover_networks: DiscoverNetworks,
    subnets.create_subnet: CreateSubnet,
    subnets.list_subnets: ListSubnets,
    subnets.get_subnet: GetSubnet,
    subnets.update_subnet: UpdateSubnet,
    subnets.delete_subnet: DeleteSubnet,
    security_groups.create_security_group: CreateSecurityGroup,
    security_groups.list_security_groups: ListSecurityGroups,
    security_groups.get_security_group: GetSecurityGroup,
    security_groups.update_security_group: UpdateSecurityGroup,
    security_groups.delete_security_group: DeleteSecurityGroup,
    planning.suggest_cidr: SuggestCidr,
    planning.check_cidr_plan: CheckCidrPlan,
}
HANDLERS: dict[str, Handler] = {
    contract.CONTRACT: contract.served(handler) for handler, contract in CONTRACTS.items()
}


async def register(bus: Bus, deps: NetworkDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
