"""Azure VNets, subnets and network security groups through azure-mgmt-network.

Every VNet lives in a resource group (created if missing, never deleted: others may use
it). VNets and NSGs carry SkyClust's owner tag; subnets cannot be tagged, so inside a
VNet SkyClust created, a subnet of the requested name and range is the one a previous
attempt made. A VNet is never re-PUT after creation: a PUT without its subnets would
delete them."""

from .client import PROVIDER, translate
from .provider import ArmNetworkProvider

__all__ = ["PROVIDER", "ArmNetworkProvider", "translate"]
