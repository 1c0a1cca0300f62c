"""The price table the local clouds bill by: on-demand Linux list prices in USD per hour
for the instance types SkyClust offers and defaults to, and each cloud's control-plane fee.

One price per type in every region (the real clouds vary a little by region; the
emulators do not). A type missing here accrues nothing: add it when SkyClust offers it.
"""

from __future__ import annotations

from dataclasses import dataclass

CURRENCY = "USD"


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_gib: float
    hourly: float


def _table(*types: InstanceType) -> dict[str, InstanceType]:
    return {t.name: t for t in types}


# EC2, us-east-1 on-demand Linux (shared tenancy).
AWS_INSTANCES = _table(
    InstanceType("t3.medium", 2, 4, 0.0416),
    InstanceType("t3.large", 2, 8, 0.0832),
    InstanceType("t3.xlarge", 4, 16, 0.1664),
    InstanceType("m5.large", 2, 8, 0.096),
    InstanceType("m5.xlarge", 4, 16, 0.192),
    InstanceType("m5.2xlarge", 8, 32, 0.384),
    InstanceType("m6i.large", 2, 8, 0.096),
    InstanceType("m6i.xlarge", 4, 16, 0.192),
    InstanceType("c5.large", 2, 4, 0.085),
    InstanceType("c5.xlarge", 4, 8, 0.17),
    InstanceType("r5.large", 2, 16, 0.126),
)
AWS_EKS_CLUSTER_HOURLY = 0.10


@dataclass(frozen=True)
class GceFamily:
    """Compute Engine bills a machine as vCPU hours plus memory GiB hours of its family."""

    name: str  # "E2"
    core_hourly: float
    ram_gib_hourly: float


GCE_FAMILIES = {
    "e2": GceFamily("E2", 0.02181159, 0.00292353),
    "n2": GceFamily("N2", 0.031611, 0.004237),
    "n2d": GceFamily("N2D", 0.027502, 0.003686),
}
# vcpus are billed cores: e2-medium shares two vCPUs at 50%, so it bills as one core.
GCE_MACHINES = _table(
    InstanceType("e2-medium", 1, 4, 0.0),
    InstanceType("e2-standard-2", 2, 8, 0.0),
    InstanceType("e2-standard-4", 4, 16, 0.0),
    InstanceType("e2-standard-8", 8, 32, 0.0),
    InstanceType("n2-standard-2", 2, 8, 0.0),
    InstanceType("n2-standard-4", 4, 16, 0.0),
    InstanceType("n2-standard-8", 8, 32, 0.0),
    InstanceType("n2d-standard-2", 2, 8, 0.0),
)
GKE_CLUSTER_HOURLY = 0.10  # the cluster management fee


def gce_family(machine_type: str) -> GceFamily | None:
    return GCE_FAMILIES.get(machine_type.split("-", 1)[0])


def gce_hourly(machine_type: str) -> float | None:
    machine = GCE_MACHINES.get(machine_type)
    family = gce_family(machine_type)
    if machine is None or family is None:
        return None
    return machine.vcpus * family.core_hourly + machine.memory_gib * family.ram_gib_hourly


# Azure Virtual Machines, East US pay-as-you-go Linux.
AZURE_VMS = _table(
    InstanceType("Standard_B2s", 2, 4, 0.0416),
    InstanceType("Standard_DS2_v2", 2, 7, 0.146),
    InstanceType("Standard_D2s_v3", 2, 8, 0.096),
    InstanceType("Standard_D4s_v3", 4, 16, 0.192),
    InstanceType("Standard_D2s_v5", 2, 8, 0.096),
    InstanceType("Standard_D4s_v5", 4, 16, 0.192),
    InstanceType("Standard_D8s_v5", 8, 32, 0.384),
)
# AKS: the Free tier's control plane costs nothing; Standard (uptime SLA) is per cluster hour.
AKS_STANDARD_HOURLY = 0.10


def azure_meter_name(vm_size: str) -> str:
    """ "Standard_D2s_v5" -> "D2s v5", as the Retail Prices API and Cost Management name it."""
    return vm_size.removeprefix("Standard_").replace("_", " ")
