"""GCP subnetworks: regional, inserted with a request id so a retried insert is the same
operation."""

from __future__ import annotations

import contextlib
import ipaddress
from typing import TYPE_CHECKING

from google.api_core import exceptions as gexc

from skyclust_common.cloud import ComputeClients

from ....domain.errors import ProviderInvalidRequest, ProviderNameTaken, ProviderResourceLost
from ....domain.model import (
    GCP_OWNER_PREFIX,
    SubnetSpec,
    VpcSpec,
)
from ..base import CloudSubnet, Credential

if TYPE_CHECKING:
    # google-cloud-compute costs about 120 MB and 5 s to import: it is imported where a
    # request is built, on the worker thread, so a process with no GCP work never loads it.
    from google.cloud import compute_v1

from .client import (
    PROVIDER,
    name_of,
    owner_of,
    planned_cidr,
    region_of,
    request_id_for,
)
from .networks import ComputeNetworks


class ComputeSubnets(ComputeNetworks):
    def _subnet_view(self, subnet: compute_v1.Subnetwork) -> CloudSubnet:
        return CloudSubnet(
            cloud_id=subnet.self_link,
            name=subnet.name,
            cidr=subnet.ip_cidr_range,
            region=region_of(subnet.region),
            zone=None,
            state=subnet.state or "READY",
            is_public=not subnet.private_ip_google_access,
            owner=owner_of(subnet.description),
        )

    def _find_subnet(
        self, compute: ComputeClients, project: str, subnet: SubnetSpec
    ) -> compute_v1.Subnetwork | None:
        name = name_of(subnet.cloud_id) if subnet.cloud_id else subnet.name
        region = region_of(subnet.cloud_id) if subnet.cloud_id else subnet.region
        try:
            found = compute.subnetworks.get(
                project=project, region=region, subnetwork=name, **self._read
            )
        except gexc.NotFound:
            return None
        if subnet.cloud_id is None and owner_of(found.description) != subnet.subnet_id:
            return None
        return found

    def _create_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet:
        from google.cloud import compute_v1

        compute, project = self._compute(credential)
        found = self._find_subnet(compute, project, subnet)
        if found is None:
            network = self._find_network(compute, project, vpc)
            if network is None:
                raise ProviderResourceLost(
                    f"network {vpc.name} not found",
                    provider=PROVIDER,
                )
            # GCP networks have no range of their own; SkyClust's plan gives them one.
            planned = planned_cidr(network.description)
            if planned and not ipaddress.ip_network(subnet.cidr).subnet_of(
                ipaddress.ip_network(planned)  # type: ignore[arg-type]
            ):
                raise ProviderInvalidRequest(
                    f"{subnet.cidr} is outside the network's planned range {planned}",
                    provider=PROVIDER,
                )
            resource = compute_v1.Subnetwork(
                name=subnet.name,
                network=network.self_link,
                ip_cidr_range=subnet.cidr,
                description=f"{GCP_OWNER_PREFIX}{subnet.subnet_id}",
                private_ip_google_access=not subnet.is_public,
            )
            with contextlib.suppress(gexc.Conflict):
                self._wait(
                    compute.subnetworks.insert(
                        request=compute_v1.InsertSubnetworkRequest(
                            project=project,
                            region=subnet.region,
                            subnetwork_resource=resource,
                            request_id=request_id_for(subnet.subnet_id),
                        )
                    )
                )
            found = compute.subnetworks.get(
                project=project, region=subnet.region, subnetwork=subnet.name, **self._read
            )
            if owner_of(found.description) != subnet.subnet_id:
                raise ProviderNameTaken(
                    f"a GCP subnetwork named {subnet.name} already exists in {subnet.region}",
                    provider=PROVIDER,
                )
        return self._subnet_view(found)

    def _get_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet | None:
        compute, project = self._compute(credential)
        found = self._find_subnet(compute, project, subnet)
        return None if found is None else self._subnet_view(found)

    def _delete_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        compute, project = self._compute(credential)
        found = self._find_subnet(compute, project, subnet)
        if found is None:
            return
        try:
            self._wait(
                compute.subnetworks.delete(
                    project=project, region=region_of(found.region), subnetwork=found.name
                )
            )
        except gexc.NotFound:
            return
