"""GCP networks through google-cloud-compute: the provider and its error translation."""

from .client import PROVIDER, translate
from .provider import ComputeNetworkProvider

__all__ = ["PROVIDER", "ComputeNetworkProvider", "translate"]
