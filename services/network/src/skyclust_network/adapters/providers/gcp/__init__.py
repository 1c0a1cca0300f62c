"""GCP VPC networks, subnetworks and firewall rules through google-cloud-compute.

GCP networks are global and carry no labels: what SkyClust creates is marked in its
description (`skyclust:<id>`, with the planned range for networks), tags live in SkyClust
only, and inserts pass the resource id as `requestId`, so a retried insert is the same
operation. A SkyClust security group is the set of firewall rules named `<group>-<hash>`
that target instances with the network tag `<group>` (a cluster's group covers the whole
network instead)."""

from .client import PROVIDER, translate
from .provider import ComputeNetworkProvider

__all__ = ["PROVIDER", "ComputeNetworkProvider", "translate"]
