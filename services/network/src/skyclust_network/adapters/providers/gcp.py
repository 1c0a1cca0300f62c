"""GCP VPC networks, subnetworks and firewall rules through google-cloud-compute.

GCP networks are global and carry no labels: what SkyClust creates is marked in its
description (`skyclust:<id>`, with the planned range for networks), tags live in SkyClust
only, and inserts pass the resource id as `requestId`, so a retried insert is the same
operation. A SkyClust security group is the set of firewall rules named `<group>-<hash>`
that target instances with the network tag `<group>` (a cluster's group covers the whole
network instead)."""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import ipaddress
import json
import threading
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import requests
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.auth import exceptions as auth_exc

from skyclust_common.cloud import ComputeClients, compute_clients
from skyclust_common.cloud.blocking import in_thread
from skyclust_common.errors import ProviderError
from skyclust_common.logs import register_secret

from ...domain.model import (
    GCP_GLOBAL,
    GCP_OWNER_PREFIX,
    Rule,
    SecurityGroupSpec,
    SubnetSpec,
    VpcSpec,
)
from .base import CloudSecurityGroup, CloudSubnet, CloudVpc, Credential, Dependent

if TYPE_CHECKING:
    # google-cloud-compute costs about 120 MB and 5 s to import: it is imported where a
    # request is built, on the worker thread, so a process with no GCP work never loads it.
    from google.cloud import compute_v1

PROVIDER = "gcp"


def translate(exc: Exception) -> ProviderError | None:
    def error(code: str, retryable: bool = False) -> ProviderError:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return ProviderError(str(message)[:2000], code=code, retryable=retryable, provider=PROVIDER)

    if isinstance(exc, gexc.Unauthorized | gexc.Unauthenticated | auth_exc.RefreshError):
        return error("PROVIDER_AUTH_FAILED")
    if isinstance(exc, gexc.TooManyRequests | gexc.ResourceExhausted):
        return error("PROVIDER_THROTTLED", retryable=True)
    if isinstance(exc, gexc.Forbidden | gexc.PermissionDenied):
        quota = "quota" in str(exc).lower()
        return error("PROVIDER_QUOTA_EXCEEDED" if quota else "PROVIDER_ACCESS_DENIED")
    if isinstance(exc, gexc.PreconditionFailed | gexc.Aborted):
        return error("PROVIDER_CONFLICT", retryable=True)
    if isinstance(exc, gexc.Conflict | gexc.AlreadyExists):
        return error("PROVIDER_NAME_TAKEN")
    if isinstance(exc, gexc.BadRequest | gexc.InvalidArgument | gexc.FailedPrecondition):
        in_use = "already being used" in str(exc) or "resourceInUse" in str(exc)
        return error("PROVIDER_RESOURCE_IN_USE" if in_use else "PROVIDER_INVALID_REQUEST")
    if isinstance(exc, gexc.NotFound):
        return error("PROVIDER_NOT_FOUND")
    if isinstance(
        exc,
        gexc.ServerError
        | gexc.RetryError
        | gexc.DeadlineExceeded
        | auth_exc.TransportError
        | requests.exceptions.ConnectionError
        | requests.exceptions.Timeout,
    ):
        return error("PROVIDER_UNAVAILABLE", retryable=True)
    if isinstance(exc, concurrent.futures.TimeoutError | TimeoutError):
        return error("PROVIDER_TIMEOUT", retryable=True)
    if isinstance(exc, gexc.GoogleAPICallError):
        return error("PROVIDER_ERROR")
    return None


def _key(credential: Credential) -> dict[str, Any]:
    raw = credential.get("service_account_json", credential)
    try:
        key = json.loads(raw) if isinstance(raw, str) else dict(raw)
        if key.get("type") != "service_account" or not key.get("project_id"):
            raise ValueError
    except (ValueError, TypeError):
        raise ProviderError(
            "the GCP credential is not a valid service-account key",
            code="PROVIDER_AUTH_FAILED",
            provider=PROVIDER,
        ) from None
    register_secret(key.get("private_key"))
    return key


def _name(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def _region(link: str) -> str:
    parts = link.split("/")
    return parts[parts.index("regions") + 1] if "regions" in parts else GCP_GLOBAL


def _owner(description: str | None) -> str | None:
    """`skyclust:<id>[;cidr=<range>]` -> id."""
    if not description or not description.startswith(GCP_OWNER_PREFIX):
        return None
    return description[len(GCP_OWNER_PREFIX) :].split(";", 1)[0].split(" ", 1)[0] or None


def _planned_cidr(description: str | None) -> str | None:
    if not description:
        return None
    for part in description.split(";")[1:]:
        if part.startswith("cidr="):
            return part[len("cidr=") :]
    return None


def _request_id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "skyclust:" + ":".join(parts)))


def _rules_of(firewall: compute_v1.Firewall) -> list[Rule]:
    direction = "egress" if firewall.direction == "EGRESS" else "ingress"
    ranges = list(firewall.destination_ranges if direction == "egress" else firewall.source_ranges)
    action, entries = ("deny", firewall.denied) if firewall.denied else ("allow", firewall.allowed)
    rules = []
    for entry in entries:
        protocol = entry.I_p_protocol.lower()
        ports: list[str | None] = list(entry.ports) or [None]
        for port in ports:
            from_port = to_port = None
            if port is not None:
                low, _, high = port.partition("-")
                from_port, to_port = int(low), int(high or low)
            for cidr in ranges:
                rules.append(
                    Rule(
                        direction=direction,
                        protocol=protocol,
                        cidr=cidr,
                        from_port=from_port,
                        to_port=to_port,
                        action=action,
                        priority=firewall.priority,
                    )
                )
    return rules


class ComputeNetworkProvider:
    name = PROVIDER

    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        operation_timeout: float = 600.0,
        retry_deadline: float = 30.0,
    ):
        self.endpoint_url = endpoint_url
        self.operation_timeout = operation_timeout
        # The SDK retries reads for up to ten minutes by default: far beyond what a
        # request or a saga step may wait before the error is reported.
        self._read: dict[str, Any] = {
            "retry": gretry.Retry(
                initial=0.2,
                maximum=5.0,
                multiplier=2.0,
                predicate=gretry.if_exception_type(gexc.ServiceUnavailable, gexc.DeadlineExceeded),
                timeout=retry_deadline,
            ),
            "timeout": min(60.0, max(retry_deadline, 5.0)),
        }
        self._clients: dict[str, ComputeClients] = {}
        self._lock = threading.Lock()

    def _compute(self, credential: Credential) -> tuple[ComputeClients, str]:
        key = _key(credential)
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
        with self._lock:
            clients = self._clients.get(digest)
            if clients is None:
                try:
                    clients = compute_clients(key, self.endpoint_url)
                except (ValueError, KeyError):
                    raise ProviderError(
                        "the GCP credential is not a valid service-account key",
                        code="PROVIDER_AUTH_FAILED",
                        provider=PROVIDER,
                    ) from None
                if len(self._clients) > 64:
                    self._clients.clear()
                self._clients[digest] = clients
        return clients, str(key["project_id"])

    def _wait(self, operation: Any) -> None:
        operation.result(timeout=self.operation_timeout)

    # networks -----------------------------------------------------------------------------

    def _vpc_view(self, network: compute_v1.Network, ranges: Iterable[str] = ()) -> CloudVpc:
        planned = _planned_cidr(network.description)
        blocks = list(dict.fromkeys([*([planned] if planned else []), *ranges]))
        return CloudVpc(
            cloud_id=network.self_link,
            name=network.name,
            region=GCP_GLOBAL,
            cidr_blocks=tuple(blocks),
            state="READY",
            owner=_owner(network.description),
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
        name = _name(vpc.cloud_id) if vpc.cloud_id else vpc.name
        try:
            network = compute.networks.get(project=project, network=name, **self._read)
        except gexc.NotFound:
            return None
        if vpc.cloud_id is None and _owner(network.description) != vpc.vpc_id:
            return None
        return network

    def _subnet_ranges(self, compute: ComputeClients, project: str) -> dict[str, list[str]]:
        by_network: dict[str, list[str]] = {}
        for _, scoped in compute.subnetworks.aggregated_list(project=project, **self._read):
            for subnet in scoped.subnetworks:
                ranges = [subnet.ip_cidr_range] + [
                    r.ip_cidr_range for r in subnet.secondary_ip_ranges
                ]
                by_network.setdefault(_name(subnet.network), []).extend(ranges)
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
                            request_id=_request_id(vpc.vpc_id),
                        )
                    )
                )
            found = compute.networks.get(project=project, network=vpc.name, **self._read)
            if _owner(found.description) != vpc.vpc_id:
                raise ProviderError(
                    f"a GCP network named {vpc.name} already exists in project {project}",
                    code="PROVIDER_NAME_TAKEN",
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
                if _name(subnet.network) == found.name and _owner(subnet.description) is None:
                    out.append(Dependent("subnet", subnet.self_link, subnet.name))
        for firewall in compute.firewalls.list(project=project, **self._read):
            if _name(firewall.network) == found.name and _owner(firewall.description) is None:
                out.append(Dependent("firewall", firewall.self_link, firewall.name))
        return out

    def _list_vpcs(self, credential: Credential, region: str | None) -> list[CloudVpc]:
        compute, project = self._compute(credential)
        ranges = self._subnet_ranges(compute, project)
        return [
            self._vpc_view(n, ranges.get(n.name, ()))
            for n in compute.networks.list(project=project, **self._read)
        ]

    # subnetworks ----------------------------------------------------------------------------

    def _subnet_view(self, subnet: compute_v1.Subnetwork) -> CloudSubnet:
        return CloudSubnet(
            cloud_id=subnet.self_link,
            name=subnet.name,
            cidr=subnet.ip_cidr_range,
            region=_region(subnet.region),
            zone=None,
            state=subnet.state or "READY",
            is_public=not subnet.private_ip_google_access,
            owner=_owner(subnet.description),
        )

    def _find_subnet(
        self, compute: ComputeClients, project: str, subnet: SubnetSpec
    ) -> compute_v1.Subnetwork | None:
        name = _name(subnet.cloud_id) if subnet.cloud_id else subnet.name
        region = _region(subnet.cloud_id) if subnet.cloud_id else subnet.region
        try:
            found = compute.subnetworks.get(
                project=project, region=region, subnetwork=name, **self._read
            )
        except gexc.NotFound:
            return None
        if subnet.cloud_id is None and _owner(found.description) != subnet.subnet_id:
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
                raise ProviderError(
                    f"network {vpc.name} not found",
                    code="PROVIDER_RESOURCE_LOST",
                    provider=PROVIDER,
                )
            # GCP networks have no range of their own; SkyClust's plan gives them one.
            planned = _planned_cidr(network.description)
            if planned and not ipaddress.ip_network(subnet.cidr).subnet_of(
                ipaddress.ip_network(planned)  # type: ignore[arg-type]
            ):
                raise ProviderError(
                    f"{subnet.cidr} is outside the network's planned range {planned}",
                    code="PROVIDER_INVALID_REQUEST",
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
                            request_id=_request_id(subnet.subnet_id),
                        )
                    )
                )
            found = compute.subnetworks.get(
                project=project, region=subnet.region, subnetwork=subnet.name, **self._read
            )
            if _owner(found.description) != subnet.subnet_id:
                raise ProviderError(
                    f"a GCP subnetwork named {subnet.name} already exists in {subnet.region}",
                    code="PROVIDER_NAME_TAKEN",
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
                    project=project, region=_region(found.region), subnetwork=found.name
                )
            )
        except gexc.NotFound:
            return

    # firewall rules as a group -----------------------------------------------------------------

    def _group_rules(
        self, compute: ComputeClients, project: str, group: SecurityGroupSpec
    ) -> list[compute_v1.Firewall]:
        return [
            f
            for f in compute.firewalls.list(project=project, **self._read)
            if _owner(f.description) == group.group_id
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
        rules = [r for f in sorted(firewalls, key=lambda f: f.name) for r in _rules_of(f)]
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
            raise ProviderError(
                f"network {vpc.name} not found", code="PROVIDER_RESOURCE_LOST", provider=PROVIDER
            )
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
                            request_id=_request_id(group.group_id, name),
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

    # the interface -------------------------------------------------------------------------------

    async def create_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc:
        return await in_thread(self._create_vpc, credential, vpc, translate=translate)

    async def get_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc | None:
        return await in_thread(self._get_vpc, credential, vpc, translate=translate)

    async def tag_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        """GCP networks have no labels: their tags are kept by SkyClust only."""

    async def delete_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        await in_thread(self._delete_vpc, credential, vpc, translate=translate)

    async def vpc_dependents(self, credential: Credential, vpc: VpcSpec) -> list[Dependent]:
        return await in_thread(self._dependents, credential, vpc, translate=translate)

    async def list_vpcs(self, credential: Credential, region: str | None) -> list[CloudVpc]:
        return await in_thread(self._list_vpcs, credential, region, translate=translate)

    async def zones(self, credential: Credential, region: str) -> list[str]:
        """GCP subnetworks are regional: they span every zone of their region."""
        return []

    async def create_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet:
        return await in_thread(self._create_subnet, credential, vpc, subnet, translate=translate)

    async def get_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet | None:
        return await in_thread(self._get_subnet, credential, vpc, subnet, translate=translate)

    async def tag_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        """GCP subnetworks have no labels: their tags are kept by SkyClust only."""

    async def delete_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        await in_thread(self._delete_subnet, credential, vpc, subnet, translate=translate)

    async def create_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        return await in_thread(self._reconcile, credential, vpc, group, translate=translate)

    async def get_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup | None:
        return await in_thread(self._get_group, credential, vpc, group, translate=translate)

    async def update_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        return await in_thread(self._reconcile, credential, vpc, group, translate=translate)

    async def delete_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> None:
        await in_thread(self._delete_group, credential, vpc, group, translate=translate)
