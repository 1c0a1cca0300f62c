"""GKE (container.googleapis.com v1): clusters, node pools and operations."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.responses import Response

from .._core import JSON, rfc3339
from ._common import (
    CLUSTER_NAME_RE,
    COMPUTE_HOST,
    CONTAINER_HOST,
    GRPC_CODES,
    NAME_RE,
    Call,
    GoogleError,
    Project,
    bad_request,
    failed_precondition,
    is_zone,
    json_response,
    new_id,
    not_found,
    region_of,
    resource_name,
)

SERVICE = "container.googleapis.com"
DEFAULT_VERSION = "1.31.6-gke.1020000"
VALID_VERSIONS = ["1.32.2-gke.1182003", "1.31.6-gke.1020000", "1.30.10-gke.1070000"]
DEFAULT_QUOTA_MESSAGE = (
    'Insufficient regional quota to satisfy request: resource "CPUS": request requires '
    "'12.0' and is short '4.0'. project has a quota of '24.0' with '8.0' available."
)


def _cluster_path(project_id: str, location: str, name: str) -> str:
    return f"projects/{project_id}/locations/{location}/clusters/{name}"


def label_fingerprint(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _ca_certificate_b64(cluster_name: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{cluster_name}-ca")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode()


def _resolve_version(requested: str | None) -> str:
    if not requested or requested in ("latest", "-"):
        return DEFAULT_VERSION
    for version in VALID_VERSIONS:
        if version == requested or version.startswith(requested + "."):
            return version
    raise bad_request(f'Master version "{requested}" is unsupported.')


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _master_upgrade(current: str, requested: str) -> str:
    """The version a master upgrade to `requested` lands on: GKE moves the control plane
    one minor version at a time and never down a minor."""
    resolved = _resolve_version(current if requested == "-" else requested)
    if _minor(resolved) < _minor(current):
        raise bad_request(
            f'Master version "{resolved}" is older than the current version "{current}"; '
            "downgrading the master to an earlier minor version is not supported."
        )
    if _minor(resolved)[1] > _minor(current)[1] + 1:
        raise bad_request(
            f'Master cannot be upgraded from "{current}" to "{resolved}": the control plane '
            "can only be upgraded one minor version at a time."
        )
    return resolved


def _node_version(cluster: JSON, requested: str) -> str:
    """Nodes run the master's version or an older one ("-" is the master's)."""
    master = cluster["currentMasterVersion"]
    resolved = master if requested == "-" else _resolve_version(requested)
    if _minor(resolved) > _minor(master):
        raise bad_request(
            f'Node version "{resolved}" must not be newer than the master version "{master}".'
        )
    return resolved


def _get_cluster(call: Call, location: str, name: str) -> JSON:
    cluster = call.project.clusters.get((location, name))
    if cluster is None:
        raise not_found(f"Not found: {_cluster_path(call.project.project_id, location, name)}.")
    return cluster


def _get_pool(call: Call, cluster: JSON, pool_name: str) -> JSON:
    for pool in cluster["nodePools"]:
        if pool["name"] == pool_name:
            return pool
    path = _cluster_path(call.project.project_id, cluster["location"], cluster["name"])
    raise not_found(f"Not found: {path}/nodePools/{pool_name}.")


def _ensure_idle(cluster: JSON) -> None:
    if cluster.get("_op"):
        raise failed_precondition(f"Cluster is running incompatible operation {cluster['_op']}.")
    if cluster["status"] not in ("RUNNING", "ERROR", "DEGRADED"):
        raise failed_precondition(
            f"Cluster {cluster['name']} is not ready (status {cluster['status']})."
        )


def _split_verb(raw: str) -> tuple[str, str]:
    name, _, verb = raw.partition(":")
    return name, verb


def render_cluster(project: Project, cluster: JSON) -> JSON:
    out = dict(cluster)
    out["nodePools"] = [render_pool(pool) for pool in cluster["nodePools"]]
    out["currentNodeCount"] = sum(
        pool["_nodeCount"] * len(pool["locations"])
        for pool in cluster["nodePools"]
        if pool["status"] in ("RUNNING", "RECONCILING")
    )
    return out


def render_pool(pool: JSON) -> JSON:
    return dict(pool)


def set_pool_size(project: Project, pool: JSON, count: int) -> None:
    pool["_nodeCount"] = count
    for key in pool["_igms"]:
        igm = project.instance_group_managers.get(key)
        if igm is not None:
            igm["targetSize"] = count


def _start_operation(
    call: Call,
    location: str,
    op_type: str,
    target: str,
    duration_kind: str,
    *,
    cluster: JSON | None,
    apply: Callable[[], None],
    fail: Callable[[str], None] | None = None,
) -> JSON:
    emu = call.emu
    project = call.project
    now = emu.clock.now()
    name = f"operation-{int(now * 1000)}-{secrets.token_hex(4)}"
    base = f"{CONTAINER_HOST}/projects/{project.number}/locations/{location}"
    op: JSON = {
        "name": name,
        "zone": location,
        "operationType": op_type,
        "status": "RUNNING",
        "selfLink": f"{base}/operations/{name}",
        "targetLink": f"{base}/{target}",
        "location": location,
        "startTime": rfc3339(now, digits=9),
    }
    project.gke_operations[name] = op
    if cluster is not None:
        cluster["_op"] = name
    fault = call.fault if call.fault is not None and call.fault.operation_error else None

    def finish() -> None:
        if cluster is not None and cluster.get("_op") == name:
            cluster.pop("_op", None)
        if fault is not None:
            status = fault.code or "RESOURCE_EXHAUSTED"
            message = fault.message or DEFAULT_QUOTA_MESSAGE
            op["error"] = {
                "code": GRPC_CODES.get(status, GRPC_CODES["UNKNOWN"]),
                "message": message,
            }
            op["statusMessage"] = message
            if fail is not None:
                fail(message)
        else:
            apply()
        op["status"] = "DONE"
        op["endTime"] = rfc3339(emu.clock.now(), digits=9)

    emu.scheduler.after(emu.durations[duration_kind], finish)
    emu.scheduler.run_due()
    return op


def _build_pool(
    call: Call, cluster_name: str, location: str, spec: JSON, default_locations: list[str]
) -> JSON:
    name = spec.get("name", "")
    if not NAME_RE.match(name) or len(name) > 40:
        raise bad_request(
            f'Invalid node pool name "{name}": must be 1-40 characters of lowercase letters, '
            "numbers and hyphens, starting with a letter."
        )
    count = int(spec.get("initialNodeCount", 0) or 0)
    autoscaling = spec.get("autoscaling") or {}
    if count < 0 or (count == 0 and not autoscaling.get("enabled")):
        raise bad_request(f'Node pool "{name}": initial_node_count must be greater than zero.')
    project = call.project
    locations = list(spec.get("locations") or default_locations)
    version = _resolve_version(spec.get("version"))
    config = {
        "machineType": "e2-medium",
        "diskSizeGb": 100,
        "diskType": "pd-balanced",
        "imageType": "COS_CONTAINERD",
        "serviceAccount": "default",
        "oauthScopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "metadata": {"disable-legacy-endpoints": "true"},
        **(spec.get("config") or {}),
    }
    suffix = secrets.token_hex(4)
    igm_keys: list[tuple[str, str]] = []
    urls: list[str] = []
    for zone in locations:
        igm_name = f"gke-{cluster_name[:14]}-{name[:14]}-{suffix}-grp"
        link = f"{COMPUTE_HOST}/projects/{project.project_id}/zones/{zone}/instanceGroupManagers"
        project.instance_group_managers[(zone, igm_name)] = {
            "kind": "compute#instanceGroupManager",
            "id": new_id(),
            "creationTimestamp": rfc3339(call.emu.clock.now()),
            "name": igm_name,
            "zone": f"{COMPUTE_HOST}/projects/{project.project_id}/zones/{zone}",
            "baseInstanceName": igm_name.removesuffix("-grp"),
            "instanceGroup": (
                f"{COMPUTE_HOST}/projects/{project.project_id}/zones/{zone}/instanceGroups/{igm_name}"
            ),
            "targetSize": count,
            "status": {"isStable": True},
            "selfLink": f"{link}/{igm_name}",
        }
        igm_keys.append((zone, igm_name))
        urls.append(f"{link}/{igm_name}")
    base = f"{CONTAINER_HOST}/projects/{project.project_id}"
    scope = "zones" if is_zone(location) else "locations"
    pool: JSON = {
        **spec,
        "name": name,
        "config": config,
        "initialNodeCount": count,
        "locations": locations,
        "selfLink": f"{base}/{scope}/{location}/clusters/{cluster_name}/nodePools/{name}",
        "version": version,
        "instanceGroupUrls": urls,
        "status": "PROVISIONING",
        "management": spec.get("management") or {"autoUpgrade": True, "autoRepair": True},
        "maxPodsConstraint": spec.get("maxPodsConstraint") or {"maxPodsPerNode": "110"},
        "podIpv4CidrSize": 24,
        "upgradeSettings": spec.get("upgradeSettings") or {"maxSurge": 1, "strategy": "SURGE"},
        "etag": secrets.token_hex(16),
        "_nodeCount": count,
        "_igms": igm_keys,
    }
    return pool


def _drop_pool_igms(project: Project, pool: JSON) -> None:
    for key in pool["_igms"]:
        project.instance_group_managers.pop(key, None)


async def list_clusters(call: Call) -> Response:
    location = call.params["location"]
    clusters = [
        render_cluster(call.project, c)
        for (loc, _), c in sorted(call.project.clusters.items())
        if location in ("-", loc)
    ]
    return json_response({"clusters": clusters} if clusters else {})


async def create_cluster(call: Call) -> Response:
    location = call.params["location"]
    project = call.project
    spec = call.body.get("cluster")
    if not isinstance(spec, dict):
        raise bad_request("Cluster is required.")
    name = spec.get("name", "")
    if not CLUSTER_NAME_RE.match(name):
        raise bad_request(
            f'Invalid value for field "cluster.name": "{name}". Must be 1-40 characters of '
            "lowercase letters, numbers and hyphens, starting with a letter and ending with a "
            "letter or number."
        )
    if (location, name) in project.clusters:
        raise GoogleError(
            409, f"Already exists: {_cluster_path(project.project_id, location, name)}."
        )

    network = resource_name(spec.get("network"), "networks") or "default"
    subnetwork = resource_name(spec.get("subnetwork"), "subnetworks")
    if network != "default" and network not in project.networks:
        raise bad_request(f'Network "{network}" does not exist.')
    if subnetwork is not None:
        sub = project.subnetworks.get((region_of(location), subnetwork))
        if sub is None or resource_name(sub["network"], "networks") != network:
            raise bad_request(
                f'Subnetwork "projects/{project.project_id}/regions/{region_of(location)}/'
                f'subnetworks/{subnetwork}" is not valid for Network "{network}".'
            )
    locations = list(spec.get("locations") or [])
    if not locations:
        locations = [location] if is_zone(location) else [f"{location}-{z}" for z in "abc"]
    pool_specs = list(spec.get("nodePools") or [])
    initial = int(spec.get("initialNodeCount", 0) or 0)
    if pool_specs and initial:
        raise bad_request("Cannot specify both initial_node_count and node_pools.")
    if not pool_specs:
        if initial <= 0:
            raise bad_request("Cluster.initial_node_count must be greater than zero.")
        pool_specs = [
            {"name": "default-pool", "initialNodeCount": initial, "config": spec.get("nodeConfig")}
        ]
    names = [p.get("name") for p in pool_specs]
    if len(set(names)) != len(names):
        raise bad_request("Node pool names must be unique.")
    version = _resolve_version(spec.get("initialClusterVersion"))
    for pool_spec in pool_specs:
        pool_spec.setdefault("version", version)
    pools = [_build_pool(call, name, location, p, locations) for p in pool_specs]

    now = call.emu.clock.now()
    labels = spec.get("resourceLabels") or {}
    scope = "zones" if is_zone(location) else "locations"
    cluster: JSON = {
        **spec,
        "name": name,
        "nodePools": pools,
        "network": network,
        "subnetwork": subnetwork or network,
        "locations": locations,
        "location": location,
        "zone": location,
        "resourceLabels": labels,
        "labelFingerprint": label_fingerprint(labels),
        "masterAuth": {
            **(spec.get("masterAuth") or {}),
            "clusterCaCertificate": _ca_certificate_b64(name),
        },
        "loggingService": spec.get("loggingService") or "logging.googleapis.com/kubernetes",
        "monitoringService": spec.get("monitoringService")
        or "monitoring.googleapis.com/kubernetes",
        "clusterIpv4Cidr": spec.get("clusterIpv4Cidr") or f"10.{secrets.randbelow(64) * 4}.0.0/14",
        "servicesIpv4Cidr": "34.118.224.0/20",
        "nodeIpv4CidrSize": 24,
        "selfLink": (
            f"{CONTAINER_HOST}/projects/{project.project_id}/{scope}/{location}/clusters/{name}"
        ),
        "initialClusterVersion": version,
        "currentMasterVersion": version,
        "currentNodeVersion": version,
        "createTime": rfc3339(now, digits=0),
        "status": "PROVISIONING",
        "id": secrets.token_hex(32),
        "etag": secrets.token_hex(16),
        "releaseChannel": spec.get("releaseChannel") or {"channel": "REGULAR"},
    }
    for deprecated in ("initialNodeCount", "nodeConfig"):
        if not initial:
            cluster.pop(deprecated, None)
    project.clusters[(location, name)] = cluster

    def apply() -> None:
        cluster["status"] = "RUNNING"
        octets = (secrets.randbelow(200) + 20, secrets.randbelow(255), secrets.randbelow(254) + 1)
        cluster["endpoint"] = "34.{}.{}.{}".format(*octets)
        for pool in cluster["nodePools"]:
            pool["status"] = "RUNNING"

    def fail(message: str) -> None:
        cluster["status"] = "ERROR"
        cluster["statusMessage"] = message
        for pool in cluster["nodePools"]:
            pool["status"] = "ERROR"

    op = _start_operation(
        call,
        location,
        "CREATE_CLUSTER",
        f"clusters/{name}",
        "cluster_create",
        cluster=cluster,
        apply=apply,
        fail=fail,
    )
    return json_response(op)


async def get_cluster(call: Call) -> Response:
    name, verb = _split_verb(call.params["cluster"])
    if verb:
        raise not_found(f"Method {verb} not found.")
    cluster = _get_cluster(call, call.params["location"], name)
    return json_response(render_cluster(call.project, cluster))


_UPDATE_FIELDS = {
    "desiredLoggingService": "loggingService",
    "desiredMonitoringService": "monitoringService",
    "desiredLocations": "locations",
    "desiredReleaseChannel": "releaseChannel",
    "desiredAddonsConfig": "addonsConfig",
    "desiredVerticalPodAutoscaling": "verticalPodAutoscaling",
    "desiredWorkloadIdentityConfig": "workloadIdentityConfig",
    "desiredShieldedNodes": "shieldedNodes",
    "desiredLoggingConfig": "loggingConfig",
    "desiredMonitoringConfig": "monitoringConfig",
    "desiredBinaryAuthorization": "binaryAuthorization",
    "desiredDatabaseEncryption": "databaseEncryption",
    "desiredClusterAutoscaling": "autoscaling",
    "desiredPrivateClusterConfig": "privateClusterConfig",
    "desiredCostManagementConfig": "costManagementConfig",
}


async def update_cluster(call: Call) -> Response:
    location = call.params["location"]
    name, _ = _split_verb(call.params["cluster"])
    cluster = _get_cluster(call, location, name)
    update = call.body.get("update")
    if not isinstance(update, dict) or not update:
        raise bad_request("Update is required and must specify a field to change.")
    _ensure_idle(cluster)
    master_version = update.get("desiredMasterVersion")
    resolved = (
        _master_upgrade(cluster["currentMasterVersion"], master_version) if master_version else None
    )
    pool_id = update.get("desiredNodePoolId")
    pool = _get_pool(call, cluster, pool_id) if pool_id else None
    node_version = update.get("desiredNodeVersion")
    if node_version and pool is None:
        raise bad_request("desired_node_pool_id must be set with desired_node_version.")
    resolved_node = _node_version(cluster, node_version) if node_version else None
    cluster["status"] = "RECONCILING"

    def apply() -> None:
        cluster["status"] = "RUNNING"
        for source, target in _UPDATE_FIELDS.items():
            if source in update:
                cluster[target] = update[source]
        if resolved:
            cluster["currentMasterVersion"] = resolved
        if pool is not None:
            if "desiredNodePoolAutoscaling" in update:
                pool["autoscaling"] = update["desiredNodePoolAutoscaling"]
            if resolved_node:
                pool["version"] = resolved_node
        cluster["etag"] = secrets.token_hex(16)

    def fail(_: str) -> None:
        cluster["status"] = "RUNNING"

    op_type = "UPGRADE_MASTER" if resolved else "UPDATE_CLUSTER"
    op = _start_operation(
        call,
        location,
        op_type,
        f"clusters/{name}",
        "cluster_update",
        cluster=cluster,
        apply=apply,
        fail=fail,
    )
    return json_response(op)


async def cluster_action(call: Call) -> Response:
    location = call.params["location"]
    name, verb = _split_verb(call.params["cluster"])
    if verb != "setResourceLabels":
        raise not_found(f"Method {verb or 'POST'} not found for clusters.")
    cluster = _get_cluster(call, location, name)
    labels = call.body.get("resourceLabels") or {}
    fingerprint = call.body.get("labelFingerprint")
    if not fingerprint or fingerprint != cluster["labelFingerprint"]:
        raise failed_precondition("Labels could not be set due to fingerprint mismatch.")
    _ensure_idle(cluster)
    cluster["status"] = "RECONCILING"

    def apply() -> None:
        cluster["status"] = "RUNNING"
        cluster["resourceLabels"] = dict(labels)
        cluster["labelFingerprint"] = label_fingerprint(labels)

    def fail(_: str) -> None:
        cluster["status"] = "RUNNING"

    op = _start_operation(
        call,
        location,
        "SET_LABELS",
        f"clusters/{name}",
        "cluster_update",
        cluster=cluster,
        apply=apply,
        fail=fail,
    )
    return json_response(op)


async def delete_cluster(call: Call) -> Response:
    location = call.params["location"]
    name, _ = _split_verb(call.params["cluster"])
    project = call.project
    cluster = _get_cluster(call, location, name)
    if cluster.get("_op"):
        raise failed_precondition(f"Cluster is running incompatible operation {cluster['_op']}.")
    if cluster["status"] == "STOPPING":
        raise failed_precondition(f"Cluster {name} is already being deleted.")
    previous = cluster["status"]
    cluster["status"] = "STOPPING"
    for pool in cluster["nodePools"]:
        pool["status"] = "STOPPING"

    def apply() -> None:
        if project.clusters.get((location, name)) is cluster:
            del project.clusters[(location, name)]
        for pool in cluster["nodePools"]:
            _drop_pool_igms(project, pool)

    def fail(_: str) -> None:
        cluster["status"] = previous

    op = _start_operation(
        call,
        location,
        "DELETE_CLUSTER",
        f"clusters/{name}",
        "cluster_delete",
        cluster=cluster,
        apply=apply,
        fail=fail,
    )
    return json_response(op)


async def list_node_pools(call: Call) -> Response:
    name, _ = _split_verb(call.params["cluster"])
    cluster = _get_cluster(call, call.params["location"], name)
    pools = [render_pool(p) for p in cluster["nodePools"]]
    return json_response({"nodePools": pools} if pools else {})


async def create_node_pool(call: Call) -> Response:
    location = call.params["location"]
    cluster_name, _ = _split_verb(call.params["cluster"])
    cluster = _get_cluster(call, location, cluster_name)
    spec = call.body.get("nodePool")
    if not isinstance(spec, dict):
        raise bad_request("Node pool is required.")
    if any(p["name"] == spec.get("name") for p in cluster["nodePools"]):
        path = _cluster_path(call.project.project_id, location, cluster_name)
        raise GoogleError(409, f"Already exists: {path}/nodePools/{spec.get('name')}.")
    _ensure_idle(cluster)
    spec = {**spec, "version": spec.get("version") or cluster["currentMasterVersion"]}
    pool = _build_pool(call, cluster_name, location, spec, cluster["locations"])
    cluster["nodePools"].append(pool)
    cluster["status"] = "RECONCILING"

    def apply() -> None:
        cluster["status"] = "RUNNING"
        pool["status"] = "RUNNING"

    def fail(message: str) -> None:
        cluster["status"] = "RUNNING"
        pool["status"] = "ERROR"
        pool["statusMessage"] = message

    op = _start_operation(
        call,
        location,
        "CREATE_NODE_POOL",
        f"clusters/{cluster_name}/nodePools/{pool['name']}",
        "node_pool_create",
        cluster=cluster,
        apply=apply,
        fail=fail,
    )
    return json_response(op)


async def get_node_pool(call: Call) -> Response:
    cluster_name, _ = _split_verb(call.params["cluster"])
    pool_name, verb = _split_verb(call.params["pool"])
    if verb:
        raise not_found(f"Method {verb} not found.")
    cluster = _get_cluster(call, call.params["location"], cluster_name)
    return json_response(render_pool(_get_pool(call, cluster, pool_name)))


async def delete_node_pool(call: Call) -> Response:
    location = call.params["location"]
    cluster_name, _ = _split_verb(call.params["cluster"])
    pool_name, _ = _split_verb(call.params["pool"])
    project = call.project
    cluster = _get_cluster(call, location, cluster_name)
    pool = _get_pool(call, cluster, pool_name)
    _ensure_idle(cluster)
    cluster["status"] = "RECONCILING"
    pool["status"] = "STOPPING"

    def apply() -> None:
        cluster["status"] = "RUNNING"
        if pool in cluster["nodePools"]:
            cluster["nodePools"].remove(pool)
        _drop_pool_igms(project, pool)

    def fail(_: str) -> None:
        cluster["status"] = "RUNNING"
        pool["status"] = "RUNNING"

    op = _start_operation(
        call,
        location,
        "DELETE_NODE_POOL",
        f"clusters/{cluster_name}/nodePools/{pool_name}",
        "node_pool_delete",
        cluster=cluster,
        apply=apply,
        fail=fail,
    )
    return json_response(op)


_POOL_UPDATE_FIELDS = {
    "imageType": ("config", "imageType"),
    "machineType": ("config", "machineType"),
    "diskType": ("config", "diskType"),
    "diskSizeGb": ("config", "diskSizeGb"),
    "workloadMetadataConfig": ("config", "workloadMetadataConfig"),
    "linuxNodeConfig": ("config", "linuxNodeConfig"),
    "kubeletConfig": ("config", "kubeletConfig"),
    "gvnic": ("config", "gvnic"),
}
_POOL_WRAPPED_FIELDS = {
    "labels": ("labels", "labels"),
    "resourceLabels": ("resourceLabels", "labels"),
    "tags": ("tags", "tags"),
    "taints": ("taints", "taints"),
}


async def update_node_pool(call: Call) -> Response:
    location = call.params["location"]
    cluster_name, _ = _split_verb(call.params["cluster"])
    pool_name, _ = _split_verb(call.params["pool"])
    cluster = _get_cluster(call, location, cluster_name)
    pool = _get_pool(call, cluster, pool_name)
    body = call.body
    if body.get("etag") and body["etag"] != pool["etag"]:
        raise GoogleError(409, "Node pool etag does not match.", status="ABORTED")
    node_version = body.get("nodeVersion")
    resolved = _node_version(cluster, node_version) if node_version else None
    _ensure_idle(cluster)
    pool["status"] = "RECONCILING"

    def apply() -> None:
        pool["status"] = "RUNNING"
        if resolved:
            pool["version"] = resolved
        for source, (section, target) in _POOL_UPDATE_FIELDS.items():
            if source in body:
                pool[section][target] = body[source]
        for source, (target, inner) in _POOL_WRAPPED_FIELDS.items():
            if source in body:
                pool["config"][target] = (body[source] or {}).get(inner) or (
                    [] if target in ("tags", "taints") else {}
                )
        if body.get("locations"):
            pool["locations"] = list(body["locations"])
        if "upgradeSettings" in body:
            pool["upgradeSettings"] = body["upgradeSettings"]
        pool["etag"] = secrets.token_hex(16)

    def fail(_: str) -> None:
        pool["status"] = "RUNNING"

    op = _start_operation(
        call,
        location,
        "UPGRADE_NODES" if resolved else "UPDATE_CLUSTER",
        f"clusters/{cluster_name}/nodePools/{pool_name}",
        "node_pool_update",
        cluster=cluster,
        apply=apply,
        fail=fail,
    )
    return json_response(op)


async def node_pool_action(call: Call) -> Response:
    location = call.params["location"]
    cluster_name, _ = _split_verb(call.params["cluster"])
    pool_name, verb = _split_verb(call.params["pool"])
    project = call.project
    cluster = _get_cluster(call, location, cluster_name)
    pool = _get_pool(call, cluster, pool_name)
    if verb == "setSize":
        count = call.body.get("nodeCount", 0)
        if not isinstance(count, int) or count < 0:
            raise bad_request(f"Invalid value for field 'node_count': {count}.")
        _ensure_idle(cluster)
        pool["status"] = "RECONCILING"

        def apply_size() -> None:
            pool["status"] = "RUNNING"
            set_pool_size(project, pool, count)

        def fail_size(_: str) -> None:
            pool["status"] = "RUNNING"

        op = _start_operation(
            call,
            location,
            "SET_NODE_POOL_SIZE",
            f"clusters/{cluster_name}/nodePools/{pool_name}",
            "node_pool_update",
            cluster=cluster,
            apply=apply_size,
            fail=fail_size,
        )
        return json_response(op)
    if verb == "setAutoscaling":
        autoscaling = call.body.get("autoscaling") or {}
        _ensure_idle(cluster)

        def apply_autoscaling() -> None:
            pool["autoscaling"] = autoscaling

        op = _start_operation(
            call,
            location,
            "SET_NODE_POOL_MANAGEMENT",
            f"clusters/{cluster_name}/nodePools/{pool_name}",
            "node_pool_update",
            cluster=cluster,
            apply=apply_autoscaling,
        )
        return json_response(op)
    raise not_found(f"Method {verb or 'POST'} not found for nodePools.")


async def get_operation(call: Call) -> Response:
    name, verb = _split_verb(call.params["operation"])
    op = call.project.gke_operations.get(name)
    if op is None or op["location"] != call.params["location"]:
        raise not_found(
            f"Not found: projects/{call.project.project_id}/locations/"
            f"{call.params['location']}/operations/{name}."
        )
    if verb == "cancel":
        raise failed_precondition(f"Operation {name} cannot be cancelled.")
    return json_response(op)


async def list_operations(call: Call) -> Response:
    location = call.params["location"]
    ops = [op for op in call.project.gke_operations.values() if location in ("-", op["location"])]
    return json_response({"operations": ops} if ops else {})


async def server_config(call: Call) -> Response:
    return json_response(
        {
            "defaultClusterVersion": DEFAULT_VERSION,
            "validNodeVersions": VALID_VERSIONS,
            "defaultImageType": "COS_CONTAINERD",
            "validImageTypes": ["COS_CONTAINERD", "UBUNTU_CONTAINERD"],
            "validMasterVersions": VALID_VERSIONS,
            "channels": [
                {"channel": ch, "defaultVersion": DEFAULT_VERSION, "validVersions": VALID_VERSIONS}
                for ch in ("RAPID", "REGULAR", "STABLE")
            ],
        }
    )
