"""What moto's EKS lacks and SkyClust calls, patched into moto in this one place.

- DescribeClusterVersions (`GET /cluster-versions`) from a fixed version catalogue;
- UpdateClusterVersion (`POST /clusters/{name}/updates`), UpdateNodegroupVersion
  (`POST /clusters/{name}/node-groups/{ng}/update-version`), DescribeUpdate and ListUpdates:
  the cluster / node group is `UPDATING` while the update is `InProgress`, then `ACTIVE`
  at the new version (`Successful`), or back as it was (`Failed`) under an
  `operation_error` fault;
- a CreateCluster under an `operation_error` fault: the cluster is `CREATING`, then
  `FAILED` after `cluster_create` seconds (other creates are `ACTIVE` at once, as in moto);
- TagResource, UntagResource and ListTagsForResource on node group ARNs (moto: clusters only);
- the defaults real EKS applies and moto does not: clusters created without a version get
  the default version, node groups their cluster's version, and `resourcesVpcConfig`
  carries the `vpcId` of the cluster's subnets.

The emulator (see `_app.py`) hands each request its `EksContext` through the WSGI environ.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from moto.core.responses import ActionResult, EmptyResult
from moto.eks import urls as eks_urls
from moto.eks.exceptions import (
    InvalidParameterException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from moto.eks.models import Cluster, EKSBackend, Nodegroup
from moto.eks.responses import EKSResponse

from .._core import JSON, Fault

ENVIRON_KEY = "skyclust.emulator.eks"


@dataclass(frozen=True)
class KubernetesVersion:
    minor: str
    patch: str
    platform: str  # the platform version a cluster of this version gets
    released: dt.date
    end_of_standard_support: dt.date
    end_of_extended_support: dt.date
    status: str  # STANDARD_SUPPORT, EXTENDED_SUPPORT or UNSUPPORTED

    def release_version(self) -> str:
        """The EKS-optimized AMI release a node group of this version runs."""
        return f"{self.patch}-20250519"


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


VERSIONS = (
    KubernetesVersion(
        "1.27",
        "1.27.16",
        "eks.30",
        _date("2023-05-24"),
        _date("2024-07-24"),
        _date("2025-07-24"),
        "UNSUPPORTED",
    ),
    KubernetesVersion(
        "1.28",
        "1.28.15",
        "eks.36",
        _date("2023-09-26"),
        _date("2024-11-26"),
        _date("2025-11-26"),
        "EXTENDED_SUPPORT",
    ),
    KubernetesVersion(
        "1.29",
        "1.29.13",
        "eks.33",
        _date("2024-01-23"),
        _date("2025-03-23"),
        _date("2026-03-23"),
        "EXTENDED_SUPPORT",
    ),
    KubernetesVersion(
        "1.30",
        "1.30.11",
        "eks.29",
        _date("2024-05-23"),
        _date("2025-07-23"),
        _date("2026-07-23"),
        "EXTENDED_SUPPORT",
    ),
    KubernetesVersion(
        "1.31",
        "1.31.7",
        "eks.25",
        _date("2024-09-26"),
        _date("2025-11-26"),
        _date("2026-11-26"),
        "STANDARD_SUPPORT",
    ),
    KubernetesVersion(
        "1.32",
        "1.32.3",
        "eks.12",
        _date("2025-01-23"),
        _date("2026-03-23"),
        _date("2027-03-23"),
        "STANDARD_SUPPORT",
    ),
    KubernetesVersion(
        "1.33",
        "1.33.1",
        "eks.8",
        _date("2025-05-29"),
        _date("2026-07-29"),
        _date("2027-07-29"),
        "STANDARD_SUPPORT",
    ),
)
DEFAULT_VERSION = "1.32"
_BY_MINOR = {v.minor: v for v in VERSIONS}
_LEGACY_STATUS = {
    "STANDARD_SUPPORT": "standard-support",
    "EXTENDED_SUPPORT": "extended-support",
    "UNSUPPORTED": "unsupported",
}


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _supported(version: str | None) -> KubernetesVersion:
    found = _BY_MINOR.get(version or "")
    if found is None or found.status == "UNSUPPORTED":
        raise InvalidParameterException(message="unsupported Kubernetes version")
    return found


class Timing(Protocol):
    """What updates need from the emulator: when they finish, on its clock."""

    def duration(self, kind: str) -> float: ...

    def schedule(self, seconds: float, action: Callable[[], None]) -> None: ...


@dataclass(frozen=True)
class EksContext:
    timing: Timing
    fault: Fault | None  # an `operation_error` fault that matched this request


@dataclass
class _Update:
    id: str
    type: str
    params: list[dict[str, str]]
    nodegroup: str | None
    token: str | None
    status: str = "InProgress"
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    errors: list[dict[str, Any]] | None = None

    def view(self) -> JSON:
        return {
            "id": self.id,
            "status": self.status,
            "type": self.type,
            "params": list(self.params),
            "createdAt": self.created_at,
            "errors": list(self.errors or []),
        }


# Updates live as long as their cluster: moto's reset drops both.
_UPDATES: weakref.WeakKeyDictionary[Cluster, dict[str, _Update]] = weakref.WeakKeyDictionary()
_UPDATES_LOCK = threading.Lock()


def _updates(cluster: Cluster) -> dict[str, _Update]:
    with _UPDATES_LOCK:
        return _UPDATES.setdefault(cluster, {})


def _cluster_not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(
        clusterName=name,
        nodegroupName=None,
        fargateProfileName=None,
        addonName=None,
        message=f"No cluster found for name: {name}.",
    )


class EmulatedEKSResponse(EKSResponse):
    """moto's EKS responses plus the calls and defaults listed in the module docstring."""

    # helpers -------------------------------------------------------------------------

    def _context(self) -> EksContext:
        context: EksContext = self.normalized_request.environ[ENVIRON_KEY]
        return context

    def _cluster(self, name: str) -> Cluster:
        cluster = self.eks_backend.clusters.get(name)
        if cluster is None:
            raise _cluster_not_found(name)
        return cluster

    def _nodegroup(self, cluster: Cluster, name: str) -> Nodegroup:
        group = cluster.nodegroups.get(name)
        if group is None:
            raise ResourceNotFoundException(
                clusterName=cluster.name,
                nodegroupName=name,
                fargateProfileName=None,
                addonName=None,
                message=f"No node group found for name: {name}.",
            )
        return group

    def _start(
        self,
        cluster: Cluster,
        update: _Update,
        target: Cluster | Nodegroup,
        duration_kind: str,
        apply: Callable[[], None],
    ) -> _Update:
        """Store the update, mark the target UPDATING, and finish it when its time comes."""
        context = self._context()
        _updates(cluster)[update.id] = update
        target.status = "UPDATING"
        fault = context.fault

        def finish() -> None:
            target.status = "ACTIVE"
            if fault is None:
                apply()
                update.status = "Successful"
                return
            update.status = "Failed"
            update.errors = [
                {
                    "errorCode": fault.code or "Unknown",
                    "errorMessage": fault.message or "The update failed.",
                    "resourceIds": [cluster.name],
                }
            ]

        context.timing.schedule(context.timing.duration(duration_kind), finish)
        return update

    def _replayed(self, cluster: Cluster, token: str | None) -> _Update | None:
        if not token:
            return None
        return next((u for u in _updates(cluster).values() if u.token == token), None)

    def _in_progress(self, cluster: Cluster, nodegroup: str | None) -> bool:
        return any(
            u.status == "InProgress" and u.nodegroup == nodegroup
            for u in _updates(cluster).values()
        )

    def _get_list(self, name: str) -> set[str]:
        value = self._get_param(name) or self.querystring.get(name) or []
        return {value} if isinstance(value, str) else set(value)

    # versions ------------------------------------------------------------------------

    def describe_cluster_versions(self) -> ActionResult:
        cluster_type = self._get_param("clusterType") or "eks"
        wanted = self._get_list("clusterVersions")
        default_only = bool(self._get_param("defaultOnly"))
        include_all = bool(self._get_param("includeAll"))
        status = self._get_param("versionStatus") or self._get_param("status")
        found = [
            v
            for v in VERSIONS
            if cluster_type == "eks"
            and (not wanted or v.minor in wanted)
            and (not default_only or v.minor == DEFAULT_VERSION)
            and (include_all or wanted or v.status != "UNSUPPORTED")
            and (not status or status in (v.status, _LEGACY_STATUS[v.status]))
        ]
        # Newest first, as EKS lists them.
        found.sort(key=lambda v: _minor(v.minor), reverse=True)
        start = int(self._get_param("nextToken") or 0)
        size = int(self._get_param("maxResults") or 100)
        page = found[start : start + size]
        result: JSON = {
            "clusterVersions": [
                {
                    "clusterVersion": v.minor,
                    "clusterType": "eks",
                    "defaultPlatformVersion": v.platform,
                    "defaultVersion": v.minor == DEFAULT_VERSION,
                    "releaseDate": dt.datetime.combine(v.released, dt.time(), dt.UTC),
                    "endOfStandardSupportDate": dt.datetime.combine(
                        v.end_of_standard_support, dt.time(), dt.UTC
                    ),
                    "endOfExtendedSupportDate": dt.datetime.combine(
                        v.end_of_extended_support, dt.time(), dt.UTC
                    ),
                    "status": _LEGACY_STATUS[v.status],
                    "versionStatus": v.status,
                    "kubernetesPatchVersion": v.patch,
                }
                for v in page
            ]
        }
        if start + size < len(found):
            result["nextToken"] = str(start + size)
        return ActionResult(result)

    # defaults real EKS applies ---------------------------------------------------------

    def create_cluster(self) -> ActionResult:
        result = super().create_cluster()
        cluster = self._cluster(self._get_param("name"))
        context = self._context()
        if context.fault is not None:  # the response (serialized later) says CREATING too
            cluster.status = "CREATING"

            def fail() -> None:
                cluster.status = "FAILED"

            context.timing.schedule(context.timing.duration("cluster_create"), fail)
        if not self._get_param("version"):
            cluster.version = DEFAULT_VERSION
            cluster.platformVersion = _BY_MINOR[DEFAULT_VERSION].platform
        config = cluster.resources_vpc_config
        if isinstance(config, dict) and "vpcId" not in config:
            vpc = self._vpc_of(list(config.get("subnetIds") or []))
            if vpc is not None:
                config["vpcId"] = vpc
        return result

    def _vpc_of(self, subnet_ids: list[str]) -> str | None:
        from moto.ec2.models import ec2_backends

        ec2 = ec2_backends[self.current_account][self.region]
        for subnet_id in subnet_ids:
            try:
                return str(ec2.get_subnet(subnet_id).vpc_id)
            except Exception:  # moto raises its own InvalidSubnetIdError; any miss will do
                continue
        return None

    def create_nodegroup(self) -> ActionResult:
        cluster = self._cluster(self._get_param("name"))
        requested = self._get_param("version")
        result = super().create_nodegroup()
        if not requested:
            group = cluster.nodegroups[self._get_param("nodegroupName")]
            group.version = cluster.version
            if not self._get_param("releaseVersion") and cluster.version in _BY_MINOR:
                group.release_version = _BY_MINOR[cluster.version].release_version()
        return result

    # updates -------------------------------------------------------------------------

    def update_cluster_version(self) -> ActionResult:
        cluster = self._cluster(self._get_param("name"))
        token = self._get_param("clientRequestToken")
        replayed = self._replayed(cluster, token)
        if replayed is not None:
            return ActionResult({"update": replayed.view()})
        version = str(self._get_param("version") or "")
        target = _supported(version)
        if _minor(version) != (_minor(cluster.version)[0], _minor(cluster.version)[1] + 1):
            raise InvalidParameterException(
                clusterName=cluster.name,
                message=f"Unsupported Kubernetes minor version update from "
                f"{cluster.version} to {version}",
            )
        if cluster.status != "ACTIVE" or self._in_progress(cluster, None):
            raise ResourceInUseException(
                clusterName=cluster.name,
                nodegroupName=None,
                addonName=None,
                message="Update already in progress",
            )
        update = _Update(
            id=str(uuid.uuid4()),
            type="VersionUpdate",
            params=[
                {"type": "Version", "value": target.minor},
                {"type": "PlatformVersion", "value": target.platform},
            ],
            nodegroup=None,
            token=token,
        )

        def apply() -> None:
            cluster.version = target.minor
            cluster.platformVersion = target.platform

        return ActionResult(
            {"update": self._start(cluster, update, cluster, "cluster_update", apply).view()}
        )

    def update_nodegroup_version(self) -> ActionResult:
        cluster = self._cluster(self._get_param("name"))
        group = self._nodegroup(cluster, self._get_param("nodegroupName"))
        token = self._get_param("clientRequestToken")
        replayed = self._replayed(cluster, token)
        if replayed is not None:
            return ActionResult({"update": replayed.view()})
        version = str(self._get_param("version") or cluster.version)
        target = _supported(version)
        if _minor(version) > _minor(cluster.version):
            raise InvalidParameterException(
                clusterName=cluster.name,
                nodegroupName=group.nodegroup_name,
                message=f"Requested Nodegroup Kubernetes version {version} is newer than the "
                f"cluster's Kubernetes version {cluster.version}",
            )
        if _minor(version) < _minor(group.version):
            raise InvalidParameterException(
                clusterName=cluster.name,
                nodegroupName=group.nodegroup_name,
                message=f"Unsupported Kubernetes minor version update from "
                f"{group.version} to {version}",
            )
        if group.status != "ACTIVE" or self._in_progress(cluster, group.nodegroup_name):
            raise ResourceInUseException(
                clusterName=cluster.name,
                nodegroupName=group.nodegroup_name,
                addonName=None,
                message="Update already in progress",
            )
        release = self._get_param("releaseVersion") or target.release_version()
        update = _Update(
            id=str(uuid.uuid4()),
            type="VersionUpdate",
            params=[
                {"type": "Version", "value": target.minor},
                {"type": "ReleaseVersion", "value": release},
            ],
            nodegroup=group.nodegroup_name,
            token=token,
        )

        def apply() -> None:
            group.version = target.minor
            group.release_version = release

        return ActionResult(
            {"update": self._start(cluster, update, group, "nodegroup_update", apply).view()}
        )

    def describe_update(self) -> ActionResult:
        cluster = self._cluster(self._get_param("name"))
        update_id = self._get_param("updateId")
        nodegroup = self._get_param("nodegroupName")
        if nodegroup:
            self._nodegroup(cluster, nodegroup)
        update = _updates(cluster).get(update_id)
        if update is None or update.nodegroup != (nodegroup or None):
            raise ResourceNotFoundException(
                clusterName=cluster.name,
                nodegroupName=nodegroup,
                fargateProfileName=None,
                addonName=None,
                message=f"No update found for ID: {update_id}",
            )
        return ActionResult({"update": update.view()})

    def list_updates(self) -> ActionResult:
        cluster = self._cluster(self._get_param("name"))
        nodegroup = self._get_param("nodegroupName") or None
        if nodegroup:
            self._nodegroup(cluster, nodegroup)
        ids = [u.id for u in _updates(cluster).values() if u.nodegroup == nodegroup]
        start = int(self._get_param("nextToken") or 0)
        size = int(self._get_param("maxResults") or 100)
        result: JSON = {"updateIds": ids[start : start + size]}
        if start + size < len(ids):
            result["nextToken"] = str(start + size)
        return ActionResult(result)

    # node group tags -----------------------------------------------------------------

    def _tagged_nodegroup(self) -> Nodegroup | None:
        arn = self._extract_arn_from_path()
        if ":nodegroup/" not in arn:
            return None
        backend: EKSBackend = self.eks_backend
        for cluster in backend.clusters.values():
            for group in cluster.nodegroups.values():
                if group.arn == arn:
                    return group
        raise ResourceNotFoundException(
            clusterName=None,
            nodegroupName=None,
            fargateProfileName=None,
            addonName=None,
            message="Resource was not found",
        )

    def tag_resource(self) -> ActionResult:
        group = self._tagged_nodegroup()
        if group is None:
            return super().tag_resource()
        group.tags.update(self._get_param("tags") or {})
        return EmptyResult()

    def untag_resource(self) -> ActionResult:
        group = self._tagged_nodegroup()
        if group is None:
            return super().untag_resource()
        keys = self._get_param("tagKeys") or []
        for key in [keys] if isinstance(keys, str) else keys:
            group.tags.pop(key, None)
        return EmptyResult()

    def list_tags_for_resource(self) -> ActionResult:
        group = self._tagged_nodegroup()
        if group is None:
            return super().list_tags_for_resource()
        return ActionResult({"tags": dict(group.tags)})


_EXTRA_PATHS = (
    "{0}/cluster-versions$",
    "{0}/clusters/(?P<name>[^/]+)/updates$",
    "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$",
    "{0}/clusters/(?P<name>[^/]+)/node-groups/(?P<nodegroupName>[^/]+)/update-version$",
)


def install() -> None:
    """Route every EKS path, old and new, to `EmulatedEKSResponse` (idempotent). Must run
    before moto builds its EKS app, that is before the first EKS request."""
    for path in (*eks_urls.url_paths, *_EXTRA_PATHS):
        eks_urls.url_paths[path] = EmulatedEKSResponse.dispatch


def resources() -> list[JSON]:
    """Every EKS cluster and node group in every account and region."""
    from moto.eks.models import eks_backends

    out: list[JSON] = []
    for _, _, backend in eks_backends.iter_backends():
        assert isinstance(backend, EKSBackend)
        for cluster in backend.clusters.values():
            out.append(
                {
                    "type": "eks/cluster",
                    "arn": cluster.arn,
                    "status": cluster.status,
                    "version": cluster.version,
                }
            )
            for group in cluster.nodegroups.values():
                out.append(
                    {
                        "type": "eks/nodegroup",
                        "arn": group.arn,
                        "status": group.status,
                        "version": group.version,
                    }
                )
    return out


__all__ = [
    "DEFAULT_VERSION",
    "ENVIRON_KEY",
    "VERSIONS",
    "EksContext",
    "EmulatedEKSResponse",
    "Timing",
    "install",
    "resources",
]
