"""Azure networks through azure-mgmt-network: the provider and its error translation."""

from .client import PROVIDER, translate
from .provider import ArmNetworkProvider

__all__ = ["PROVIDER", "ArmNetworkProvider", "translate"]
