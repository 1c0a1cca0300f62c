"""GCP VPC networks: custom-mode, global, owned by the `skyclust:<id>` mark in their
description."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from google.api_core import exceptions as gexc

from skyclust_common.cloud import ComputeClients

from ....domain.errors import ProviderNameTaken
from ....domain.model import (
    GCP_GLOBAL,
    GCP_OWNER_PREFIX,
    VpcSpec,
)
from ..base import CloudVpc, Credential, Dependent

if TYPE_CHECKING:
    # google-cloud-compute costs about 120 MB and 5 s to import: it is imported where a
    # request is built, on the worker thread, so a process with no GCP work never loads it.
    from google.cloud import compute_v1

from .client import (
    PROVIDER,
    ComputeClient,
    name_of,
    owner_of,
    planned_cidr,
    request_id_for,
)


class ComputeNetworks(ComputeClient):
    def _vpc_view(self, network: compute_v1.Network, ranges: Iterable[str] = ()) -> CloudVpc:
        planned = planned_cidr(network.description)
        blocks = list(dict.fromkeys([*([planned] if planned else []), *ranges]))
        return CloudVpc(
            cloud_id=network.self_link,
            name=network.name,
            region=GCP_GLOBAL,
            cidr_blocks=tuple(blocks),
            state="READY",
            owner=owner_of(network.description),
            network_mode="AUTO" if network.auto_create_subnetworks else "CUSTOM",
            routing_mode=network.routing_config.routing_mode or "REGIONAL",
            mtu=network.mtu or 1460,
            auto_subnets=bool(network.auto_create_subnetworks),
        )

    def _find_network(
        self, compute: ComputeClients, project: str, vpc: VpcSpec
    ) -> compute_v1.Network | None:
        """By cloud id when known (adopted networks have no SkyClust mark); otherwise by
        name, and only if this spec created it."""
        name = name_of(vpc.cloud_id) if vpc.cloud_id else vpc.name
        try:
            network = compute.networks.get(project=project, network=name, **self._read)
        except gexc.NotFound:
            return None
        if vpc.cloud_id is None and owner_of(network.description) != vpc.vpc_id:
            return None
        return network

    def _subnet_ranges(self, compute: ComputeClients, project: str) -> dict[str, list[str]]:
        by_network: dict[str, list[str]] = {}
        for _, scoped in compute.subnetworks.aggregated_list(project=project, **self._read):
            for subnet in scoped.subnetworks:
                ranges = [subnet.ip_cidr_range] + [
                    r.ip_cidr_range for r in subnet.secondary_ip_ranges
                ]
                by_network.setdefault(name_of(subnet.network), []).extend(ranges)
        return by_network

    def _create_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc:
        from google.cloud import compute_v1

        compute, project = self._compute(credential)
        found = self._find_network(compute, project, vpc)
        if found is None:
            description = f"{GCP_OWNER_PREFIX}{vpc.vpc_id}"
            if vpc.cidr:
                description += f";cidr={vpc.cidr}"
            resource = compute_v1.Network(
                name=vpc.name,
                auto_create_subnetworks=False,
                description=description,
                routing_config=compute_v1.NetworkRoutingConfig(
                    routing_mode=vpc.routing_mode or "REGIONAL"
                ),
                mtu=vpc.mtu or 1460,
            )
            with contextlib.suppress(gexc.Conflict):
                self._wait(
                    compute.networks.insert(
                        request=compute_v1.InsertNetworkRequest(
                            project=project,
                            network_resource=resource,
                            request_id=request_id_for(vpc.vpc_id),
                        )
                    )
                )
            found = compute.networks.get(project=project, network=vpc.name, **self._read)
            if owner_of(found.description) != vpc.vpc_id:
                raise ProviderNameTaken(
                    f"a GCP network named {vpc.name} already exists in project {project}",
                    provider=PROVIDER,
                )
        return self._vpc_view(found)

    def _get_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc | None:
        compute, project = self._compute(credential)
        found = self._find_network(compute, project, vpc)
        return None if found is None else self._vpc_view(found)

    def _delete_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        compute, project = self._compute(credential)
        found = self._find_network(compute, project, vpc)
        if found is None:
            return
        try:
            self._wait(compute.networks.delete(project=project, network=found.name))
        except gexc.NotFound:
            return

    def _dependents(self, credential: Credential, vpc: VpcSpec) -> list[Dependent]:
        # Instances cannot exist without a subnetwork, so the subnetworks (and firewalls)
        # SkyClust did not make are what keeps a GCP network in use.
        compute, project = self._compute(credential)
        found = self._find_network(compute, project, vpc)
        if found is None:
            return []
        out = []
        for _, scoped in compute.subnetworks.aggregated_list(project=project, **self._read):
            for subnet in scoped.subnetworks:
                if name_of(subnet.network) == found.name and owner_of(subnet.description) is None:
                    out.append(Dependent("subnet", subnet.self_link, subnet.name))
        for firewall in compute.firewalls.list(project=project, **self._read):
            if name_of(firewall.network) == found.name and owner_of(firewall.description) is None:
                out.append(Dependent("firewall", firewall.self_link, firewall.name))
        return out

    def _list_vpcs(self, credential: Credential, region: str | None) -> list[CloudVpc]:
        compute, project = self._compute(credential)
        ranges = self._subnet_ranges(compute, project)
        return [
            self._vpc_view(n, ranges.get(n.name, ()))
            for n in compute.networks.list(project=project, **self._read)
        ]
