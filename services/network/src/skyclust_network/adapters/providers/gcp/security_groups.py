"""A SkyClust security group on GCP: the firewall rules named `<group>-<hash>`,
reconciled to the spec's."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from google.api_core import exceptions as gexc

from skyclust_common.cloud import ComputeClients

from ....domain.errors import ProviderResourceLost
from ....domain.model import (
    GCP_OWNER_PREFIX,
    Rule,
    SecurityGroupSpec,
    VpcSpec,
)
from ..base import CloudSecurityGroup, Credential

if TYPE_CHECKING:
    # google-cloud-compute costs about 120 MB and 5 s to import: it is imported where a
    # request is built, on the worker thread, so a process with no GCP work never loads it.
    from google.cloud import compute_v1

from .client import (
    PROVIDER,
    firewall_rules,
    owner_of,
    request_id_for,
)
from .subnets import ComputeSubnets


class ComputeSecurityGroups(ComputeSubnets):
    def _group_rules(
        self, compute: ComputeClients, project: str, group: SecurityGroupSpec
    ) -> list[compute_v1.Firewall]:
        return [
            f
            for f in compute.firewalls.list(project=project, **self._read)
            if owner_of(f.description) == group.group_id
        ]

    def _firewall(self, network: str, group: SecurityGroupSpec, rule: Rule) -> compute_v1.Firewall:
        from google.cloud import compute_v1

        entry = compute_v1.Allowed if rule.action == "allow" else compute_v1.Denied
        ports = [rule.ports()] if rule.ports() else []
        item = entry(I_p_protocol=rule.protocol, ports=ports)
        description = f"{GCP_OWNER_PREFIX}{group.group_id}"
        if rule.description:
            description += f" {rule.description}"
        firewall = compute_v1.Firewall(
            name=f"{group.name}-{rule.fingerprint()}",
            network=network,
            direction="EGRESS" if rule.direction == "egress" else "INGRESS",
            priority=rule.priority if rule.priority is not None else 1000,
            description=description[:2048],
        )
        if rule.action == "allow":
            firewall.allowed = [item]
        else:
            firewall.denied = [item]
        if rule.direction == "egress":
            firewall.destination_ranges = [rule.cidr]
        else:
            firewall.source_ranges = [rule.cidr]
        if group.cluster_id is None:
            firewall.target_tags = [group.name]
        return firewall

    def _group_view(
        self, project: str, group: SecurityGroupSpec, firewalls: list[compute_v1.Firewall]
    ) -> CloudSecurityGroup:
        rules = [r for f in sorted(firewalls, key=lambda f: f.name) for r in firewall_rules(f)]
        return CloudSecurityGroup(
            cloud_id=f"projects/{project}/global/firewalls/{group.name}-*",
            name=group.name,
            rules=tuple(rules),
            owner=group.group_id if firewalls else None,
        )

    def _reconcile(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        from google.cloud import compute_v1

        compute, project = self._compute(credential)
        network = self._find_network(compute, project, vpc)
        if network is None:
            raise ProviderResourceLost(f"network {vpc.name} not found", provider=PROVIDER)
        wanted = {f"{group.name}-{rule.fingerprint()}": rule for rule in group.rules}
        current = {f.name: f for f in self._group_rules(compute, project, group)}
        for name, rule in wanted.items():
            if name in current:
                continue
            with contextlib.suppress(gexc.Conflict):
                self._wait(
                    compute.firewalls.insert(
                        request=compute_v1.InsertFirewallRequest(
                            project=project,
                            firewall_resource=self._firewall(network.self_link, group, rule),
                            request_id=request_id_for(group.group_id, name),
                        )
                    )
                )
        for name in current:
            if name not in wanted:
                with contextlib.suppress(gexc.NotFound):
                    self._wait(compute.firewalls.delete(project=project, firewall=name))
        return self._group_view(project, group, self._group_rules(compute, project, group))

    def _get_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup | None:
        # A group without rules has nothing in GCP: None is the cloud's honest answer.
        compute, project = self._compute(credential)
        firewalls = self._group_rules(compute, project, group)
        return self._group_view(project, group, firewalls) if firewalls else None

    def _delete_group(self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec) -> None:
        compute, project = self._compute(credential)
        for firewall in self._group_rules(compute, project, group):
            with contextlib.suppress(gexc.NotFound):
                self._wait(compute.firewalls.delete(project=project, firewall=firewall.name))
