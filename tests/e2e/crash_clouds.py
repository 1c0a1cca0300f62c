"""What the local clouds themselves hold (moto and the emulators, never SkyClust), for
the saga crash test: a cluster's resources by cloud, a snapshot of all of them, and
the provisioning process the test kills."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import boto3
from google.auth.transport.requests import AuthorizedSession

from skyclust_common.cloud import gcp_credentials
from skyclust_tools.emulators import AdminClient, AwsAdmin, AzureAdmin, GcpAdmin

from .client import Api
from .test_cluster_lifecycle import add_credential

PROVIDERS = ("aws", "gcp", "azure")
REGIONS = {"aws": "us-east-1", "gcp": "us-central1", "azure": "westeurope"}
GROUP = "workers"
# The tag the network service puts on everything it generates for a cluster.
CLUSTER_TAG = "skyclust.io/generated-for-cluster"


def credential_body(platform: Any, provider: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(
        (platform.state_dir / "credentials" / f"{provider}.json").read_text()
    )
    return body


def credentials(api: Api, platform: Any) -> dict[str, str]:
    return {p: str(add_credential(api, credential_body(platform, p))["id"]) for p in PROVIDERS}


# what the clouds hold ---------------------------------------------------------------------


@dataclass
class Holdings:
    """A cluster's resources in its cloud, by name or id."""

    clusters: list[str]
    pools: list[str]
    vpcs: list[str]
    network: list[str]  # every generated network resource, the VPC/network/VNet included
    busy: list[str]  # resources in a transitional state, and unfinished operations

    @property
    def empty(self) -> bool:
        return not (self.clusters or self.pools or self.network or self.busy)


@dataclass
class Snapshot:
    """What the clouds hold at one moment (for EKS node groups: of the clusters named)."""

    gcp: list[dict[str, Any]]
    gcp_operations: list[dict[str, Any]]
    azure: list[dict[str, Any]]
    eks: list[dict[str, Any]]
    eks_clusters: list[str]
    eks_nodegroups: dict[str, list[str]]
    aws_network: dict[str, list[tuple[str, str]]]  # cluster id -> [(kind, id)]


class Clouds:
    """Asks the local clouds themselves (moto and the emulators), never SkyClust."""

    def __init__(self, platform: Any) -> None:
        env = platform.env
        self.gcp = GcpAdmin(env["SKYCLUST_GCP_ENDPOINT_URL"])
        self.azure = AzureAdmin(
            env["SKYCLUST_AZURE_ENDPOINT_URL"], verify=env["SKYCLUST_AZURE_CA_BUNDLE"]
        )
        self.aws = AwsAdmin(env["SKYCLUST_AWS_ENDPOINT_URL"])
        keys = credential_body(platform, "aws")["data"]
        self.eks, self.ec2 = (
            boto3.client(
                service,
                region_name=REGIONS["aws"],
                endpoint_url=env["SKYCLUST_AWS_ENDPOINT_URL"],
                aws_access_key_id=keys["access_key_id"],
                aws_secret_access_key=keys["secret_access_key"],
            )
            for service in ("eks", "ec2")
        )
        self.gcp_url = env["SKYCLUST_GCP_ENDPOINT_URL"]
        self.gcp_key = json.loads(credential_body(platform, "gcp")["data"]["service_account_json"])
        self._gcp_session: AuthorizedSession | None = None

    def admin(self, provider: str) -> AdminClient:
        admins: dict[str, AdminClient] = {"aws": self.aws, "gcp": self.gcp, "azure": self.azure}
        return admins[provider]

    def clear_faults(self) -> None:
        for provider in PROVIDERS:
            self.admin(provider).clear_faults()

    def snapshot(self, eks_names: Iterable[str] = ()) -> Snapshot:
        clusters = [
            n
            for page in self.eks.get_paginator("list_clusters").paginate()
            for n in page["clusters"]
        ]
        nodegroups = {
            name: list(self.eks.list_nodegroups(clusterName=name)["nodegroups"])
            for name in set(eks_names) & set(clusters)
        }
        tagged = [{"Name": "tag-key", "Values": [CLUSTER_TAG]}]
        network: dict[str, list[tuple[str, str]]] = {}
        for kind, items, key in (
            ("vpc", self.ec2.describe_vpcs(Filters=tagged)["Vpcs"], "VpcId"),
            ("subnet", self.ec2.describe_subnets(Filters=tagged)["Subnets"], "SubnetId"),
            (
                "security-group",
                self.ec2.describe_security_groups(Filters=tagged)["SecurityGroups"],
                "GroupId",
            ),
        ):
            for item in items:
                owner = {t["Key"]: t["Value"] for t in item.get("Tags", [])}[CLUSTER_TAG]
                network.setdefault(owner, []).append((kind, item[key]))
        return Snapshot(
            gcp=self.gcp.resources(),
            gcp_operations=self._gcp_operations(),
            azure=self.azure.resources(),
            eks=self.aws.resources(),
            eks_clusters=clusters,
            eks_nodegroups=nodegroups,
            aws_network=network,
        )

    def holdings(
        self, provider: str, name: str, cluster_id: str, snapshot: Snapshot | None = None
    ) -> Holdings:
        seen = snapshot or self.snapshot([name] if provider == "aws" else [])
        prefix = f"{name}-{cluster_id[:8]}"  # generated network names, see the network service
        if provider == "aws":
            return self._aws(seen, name, cluster_id)
        if provider == "gcp":
            return self._gcp(seen, name, prefix)
        return self._azure(seen, name, prefix)

    @staticmethod
    def _aws(seen: Snapshot, name: str, cluster_id: str) -> Holdings:
        network = seen.aws_network.get(cluster_id, [])
        busy = [
            r["arn"]
            for r in seen.eks
            if (r["arn"].endswith(f":cluster/{name}") or f":nodegroup/{name}/" in r["arn"])
            and r["status"] not in ("ACTIVE", "CREATE_FAILED", "DELETE_FAILED", "FAILED")
        ]
        return Holdings(
            clusters=[n for n in seen.eks_clusters if n == name],
            pools=seen.eks_nodegroups.get(name, []),
            vpcs=[i for kind, i in network if kind == "vpc"],
            network=[i for _, i in network],
            busy=busy,
        )

    @staticmethod
    def _gcp(seen: Snapshot, name: str, prefix: str) -> Holdings:
        path = f"/clusters/{name}"
        mine = [r for r in seen.gcp if r["path"].endswith(path) or f"{path}/" in r["path"]]
        network = [
            r["path"]
            for r in seen.gcp
            if r["type"].startswith("compute.") and r["path"].rsplit("/", 1)[-1].startswith(prefix)
        ]
        busy = [
            r["path"]
            for r in mine
            if r["type"].startswith("container.") and r["status"] not in ("RUNNING", "ERROR")
        ]
        busy += [
            f"operation {op.get('name')} on {op.get('targetLink')}"
            for op in seen.gcp_operations
            if op.get("status") != "DONE"
            and (path in (op.get("targetLink") or "") or prefix in (op.get("targetLink") or ""))
        ]
        return Holdings(
            clusters=[r["path"] for r in mine if r["type"] == "container.cluster"],
            pools=[r["path"].rsplit("/", 1)[-1] for r in mine if r["type"] == "container.nodePool"],
            vpcs=[p for p in network if "/global/networks/" in p],
            network=network,
            busy=busy,
        )

    def _gcp_operations(self) -> list[dict[str, Any]]:
        """GKE's and Compute's operations (the emulator's admin API has none)."""
        if self._gcp_session is None:
            self._gcp_session = AuthorizedSession(gcp_credentials(self.gcp_key, self.gcp_url))
        project = self.gcp_key["project_id"]
        found: list[dict[str, Any]] = []
        for path, key in (
            (f"v1/projects/{project}/locations/-/operations", "operations"),
            (f"compute/v1/projects/{project}/global/operations", "items"),
            (f"compute/v1/projects/{project}/regions/{REGIONS['gcp']}/operations", "items"),
        ):
            response = self._gcp_session.get(f"{self.gcp_url}/{path}")
            assert response.status_code == 200, response.text
            found += response.json().get(key, [])
        return found

    @staticmethod
    def _azure(seen: Snapshot, name: str, prefix: str) -> Holdings:
        """ARM keeps no list of operations; one still running leaves its resource in a
        transitional provisioningState, which counts as busy."""
        path = f"/managedclusters/{name}".lower()
        network = [
            r
            for r in seen.azure
            if r["type"].startswith("Microsoft.Network/")
            and any(part.lower().startswith(prefix) for part in r["id"].split("/"))
        ]
        mine = [
            r for r in seen.azure if r["id"].lower().endswith(path) or f"{path}/" in r["id"].lower()
        ]
        return Holdings(
            clusters=[r["id"] for r in mine if r["id"].lower().endswith(path)],
            pools=[
                r["id"].rsplit("/", 1)[-1] for r in mine if f"{path}/agentpools/" in r["id"].lower()
            ],
            vpcs=[r["id"] for r in network if r["type"] == "Microsoft.Network/virtualNetworks"],
            network=[r["id"] for r in network],
            busy=[
                r["id"]
                for r in mine + network
                if r["provisioningState"] not in ("Succeeded", "Failed", "Canceled")
            ],
        )

    def inject_node_group_fault(self, provider: str, name: str) -> None:
        """Every attempt to create the cluster's node group fails for good: GKE and AKS
        accept it and fail the operation; EKS refuses it."""
        if provider == "aws":
            self.aws.inject_fault(
                rf"^/clusters/{name}/node-groups$", method="POST", status=400, times=None
            )
        elif provider == "gcp":
            self.gcp.inject_fault(
                rf"/clusters/{name}/nodePools$", method="POST", operation_error=True, times=None
            )
        else:
            self.azure.inject_fault(
                rf"/managedClusters/{name}/agentPools/{GROUP}$",
                method="PUT",
                operation_error=True,
                times=None,
            )


# the event stream ----------------------------------------------------------------------


# the platform's provisioning process --------------------------------------------------


def provisioning_pid(platform: Any) -> int | None:
    try:
        return int(platform.pid("provisioning"))
    except (OSError, ValueError):  # being rewritten by the launcher
        return None


def wait_for_provisioning(platform: Any, api: Api, dead: int | None, timeout: float = 60) -> None:
    """Until the launcher has started another provisioning and it answers."""
    deadline = time.monotonic() + timeout
    while provisioning_pid(platform) in (dead, None):
        assert time.monotonic() < deadline, "the launcher did not restart provisioning"
        time.sleep(0.05)
    while api.get("/api/v1/aws/kubernetes/clusters").status_code != 200:
        assert time.monotonic() < deadline, "the restarted provisioning did not answer"
        time.sleep(0.1)
