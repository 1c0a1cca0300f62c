"""Microsoft.ContainerService: managed clusters and their agent pools."""

from __future__ import annotations

import base64
import re
import secrets
from typing import TYPE_CHECKING

from starlette.responses import Response

from .._core import JSON
from ._arm import (
    Ref,
    ResourceKind,
    cancel_operation,
    check_location_unchanged,
    check_preconditions,
    ensure_group_writable,
    require_location,
    start_operation,
    validate_tags,
)
from ._common import ArmError, Call, bad_request, guid, json_response
from ._network import SUBNET

if TYPE_CHECKING:
    from ._app import AzureEmulator

NAMESPACE = "Microsoft.ContainerService"
VERSIONS = ["1.30.10", "1.31.6", "1.32.2"]
DEFAULT_VERSION = "1.31.6"
NODE_IMAGE = "AKSUbuntu-2204gen2containerd-202501.12.0"
CLUSTER_NAME_RE = re.compile(r"^[a-zA-Z0-9]([-_a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$")
DNS_PREFIX_RE = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]{0,52}[a-zA-Z0-9])?$")
POOL_NAME_RE = re.compile(r"^[a-z][a-z0-9]{0,11}$")
QUOTA_ERROR = (
    "QuotaExceeded",
    "Preflight validation check for resource(s) for container service failed. Message: "
    "Operation could not be completed as it results in exceeding approved standardDSv2Family "
    "Cores quota.",
)
_FIXED_POOL_FIELDS = ("vmSize", "osType", "osDiskSizeGB", "vnetSubnetID", "maxPods")


def _resolve_version(requested: object) -> str:
    if not requested:
        return DEFAULT_VERSION
    for version in VERSIONS:
        if requested == version or version.startswith(f"{requested}."):
            return version
    raise bad_request(
        "K8sVersionNotSupported",
        f"Version {requested} is not supported in this region. Please use "
        "[az aks get-versions] command to get the supported version list in this region.",
    )


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _next_minor(current: str, version: str) -> bool:
    """AKS moves one minor version at a time (patches within a minor are free)."""
    return _minor(version)[0] == _minor(current)[0] and (
        _minor(version)[1] - _minor(current)[1] in (0, 1)
    )


def _upgrades(version: str) -> list[str]:
    return [
        v
        for v in VERSIONS
        if v != version and _minor(v) >= _minor(version) and _next_minor(version, v)
    ]


def _settle_pool(pool: JSON) -> None:
    props = pool["properties"]
    props.update(
        provisioningState="Succeeded", currentOrchestratorVersion=props["orchestratorVersion"]
    )


def kubernetes_versions(call: Call, location: str) -> Response:
    """GET .../providers/Microsoft.ContainerService/locations/{location}/kubernetesVersions"""
    minors: dict[str, list[str]] = {}
    for version in VERSIONS:
        minors.setdefault(".".join(version.split(".")[:2]), []).append(version)
    default = ".".join(DEFAULT_VERSION.split(".")[:2])
    return json_response(
        {
            "values": [
                {
                    "version": minor,
                    "capabilities": {"supportPlan": ["KubernetesOfficial", "AKSLongTermSupport"]},
                    "isDefault": minor == default,
                    "isPreview": False,
                    "patchVersions": {patch: {"upgrades": _upgrades(patch)} for patch in patches},
                }
                for minor, patches in minors.items()
            ]
        }
    )


def _busy(cluster: JSON, action: str) -> ArmError:
    return ArmError(
        409,
        "OperationNotAllowed",
        f"Operation is not allowed because there's an in progress {action} operation "
        f"(ID: {cluster.get('_busy', '')}). Please wait for it to finish before starting a new "
        "operation. See https://aka.ms/aks-pending-operation for more details",
    )


def _ensure_idle(cluster: JSON) -> None:
    state = cluster["properties"]["provisioningState"]
    if cluster.get("_busy") or state in ("Creating", "Updating", "Upgrading", "Deleting"):
        action = {"Creating": "create", "Deleting": "delete"}.get(state, "update")
        raise _busy(cluster, f"{action} managed cluster")


def _pools(emu: AzureEmulator, cluster: JSON) -> list[JSON]:
    sub = emu.subscription_of(cluster["id"])
    prefix = f"{cluster['id'].lower()}/agentpools/"
    return [r for k, r in sub.resources.items() if k.startswith(prefix)]


class AgentPoolKind(ResourceKind):
    namespace = NAMESPACE
    type_name = "agentPools"

    def not_found(self, ref: Ref) -> ArmError:
        return ArmError(
            404,
            "NotFound",
            f"Could not find agent pool {ref.name} in managed cluster "
            f"{ref.parent['name'] if ref.parent else ''}.",
        )

    def validate(
        self,
        call: Call,
        name: str,
        props: JSON,
        *,
        existing: JSON | None,
        default_mode: str,
        control_plane: str,
    ) -> JSON:
        """The pool's properties as stored; `control_plane` is the cluster's Kubernetes
        version, which new pools default to and no pool may be newer than."""
        if not POOL_NAME_RE.match(name):
            raise bad_request(
                "InvalidParameter",
                f"The value of parameter agentPoolProfile.name is invalid: '{name}'. Agent pool "
                "names must start with a lowercase letter, have at most 12 characters and only "
                "contain lowercase letters and numbers.",
                target="agentPoolProfile.name",
            )
        current = existing["properties"] if existing else {}
        merged: JSON = {
            "count": 1,
            "vmSize": "Standard_DS2_v2",
            "osDiskSizeGB": 128,
            "osDiskType": "Managed",
            "kubeletDiskType": "OS",
            "maxPods": 250,
            "type": "VirtualMachineScaleSets",
            "enableAutoScaling": False,
            "scaleDownMode": "Delete",
            "enableNodePublicIP": False,
            "mode": default_mode,
            "osType": "Linux",
            "osSKU": "Ubuntu",
            "enableFIPS": False,
            "upgradeSettings": {"maxSurge": "10%"},
            **current,
            **{k: v for k, v in props.items() if k != "name" and v is not None},
        }
        if existing:
            for field in _FIXED_POOL_FIELDS:
                if (
                    field in props
                    and props[field] is not None
                    and props[field] != current.get(field)
                ):
                    raise bad_request(
                        "PropertyChangeNotAllowed",
                        f"Changing property '{field}' is not allowed.",
                        target=field,
                    )
        count = merged["count"]
        if not isinstance(count, int) or not 0 <= count <= 1000:
            raise bad_request(
                "InvalidParameter",
                f"The value of parameter agentPoolProfile.count is invalid: {count}. It must be "
                "between 0 and 1000.",
                target="agentPoolProfile.count",
            )
        if merged["mode"] not in ("System", "User"):
            raise bad_request(
                "InvalidParameter",
                f"The value of parameter agentPoolProfile.mode is invalid: {merged['mode']}.",
                target="agentPoolProfile.mode",
            )
        if merged["mode"] == "System" and count < 1:
            raise bad_request(
                "InvalidParameter",
                f"System agent pool {name} must have at least one node.",
                target="agentPoolProfile.count",
            )
        if merged["enableAutoScaling"]:
            low, high = merged.get("minCount"), merged.get("maxCount")
            if (
                not isinstance(low, int)
                or not isinstance(high, int)
                or not 0 <= low <= count <= high
            ):
                raise bad_request(
                    "InvalidParameter",
                    "When enableAutoScaling is true, minCount and maxCount must be set and "
                    "minCount <= count <= maxCount.",
                    target="agentPoolProfile.minCount",
                )
        subnet_id = merged.get("vnetSubnetID")
        if subnet_id and not existing:
            found = call.emu.find_resource(str(subnet_id))
            if found is None or found["_kind"] != SUBNET.key:
                raise bad_request(
                    "InvalidParameter",
                    f"The value of parameter agentPoolProfile.vnetSubnetID is invalid: subnet "
                    f"{subnet_id} was not found.",
                    target="agentPoolProfile.vnetSubnetID",
                )
        version = _resolve_version(merged.get("orchestratorVersion") or control_plane)
        if _minor(version) > _minor(control_plane):
            raise bad_request(
                "NodePoolMcVersionIncompatible",
                f"Node pool version {version} and control plane version {control_plane} are "
                "incompatible. Minor version of node pool version cannot be greater than the "
                "control plane version.",
            )
        running = current.get("currentOrchestratorVersion") or version
        if existing and not _next_minor(running, version):
            raise bad_request(
                "OperationNotAllowed",
                f"Upgrade agent pool version from {running} to {version} is not allowed, you "
                "can only upgrade one minor version at a time.",
            )
        merged["orchestratorVersion"] = version
        # The nodes move to orchestratorVersion when the operation finishes (_settle_pool).
        merged["currentOrchestratorVersion"] = running
        merged["nodeImageVersion"] = NODE_IMAGE
        merged["powerState"] = {"code": "Running"}
        merged.pop("provisioningState", None)
        return merged

    def store(self, call: Call, ref: Ref, props: JSON, state: str) -> JSON:
        pool = ref.existing or self.new_resource(ref)
        pool["properties"] = {**props, "provisioningState": state}
        call.sub.resources[ref.key] = pool
        return pool

    async def put(self, call: Call, ref: Ref) -> Response:
        ensure_group_writable(ref.group)
        cluster = ref.parent
        assert cluster is not None
        existing = ref.existing
        check_preconditions(call, existing)
        _ensure_idle(cluster)
        props = self.validate(
            call,
            ref.name,
            dict(call.body.get("properties") or {}),
            existing=existing,
            default_mode="User",
            control_plane=cluster["properties"]["currentKubernetesVersion"],
        )
        created = existing is None
        previous = dict(existing["properties"]) if existing else None
        upgrading = props["orchestratorVersion"] != props["currentOrchestratorVersion"]
        state = "Creating" if created else "Upgrading" if upgrading else "Updating"
        pool = self.store(call, ref, props, state)

        def fail() -> None:
            if previous is None:
                pool["properties"]["provisioningState"] = "Failed"
            else:
                pool["properties"] = {**previous, "provisioningState": "Failed"}

        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=cluster["location"],
            duration_kind="agent_pool_create" if created else "agent_pool_update",
            busy=cluster,
            apply=lambda: _settle_pool(pool),
            fail=fail,
            default_error=QUOTA_ERROR,
        )
        return json_response(pool, 201 if created else 200, headers)

    async def delete(self, call: Call, ref: Ref) -> Response:
        cluster = ref.parent
        assert cluster is not None
        pool = ref.existing
        if pool is None:
            return Response(status_code=204)
        _ensure_idle(cluster)
        systems = [p for p in _pools(call.emu, cluster) if p["properties"].get("mode") == "System"]
        if pool["properties"].get("mode") == "System" and len(systems) <= 1:
            raise bad_request(
                "OperationNotAllowed",
                f"Cannot delete agent pool {ref.name} because it is the last System agent pool "
                "in the cluster. A cluster must have at least one System agent pool.",
            )
        pool["properties"]["provisioningState"] = "Deleting"
        sub = call.sub

        def apply() -> None:
            sub.resources.pop(ref.key, None)

        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=cluster["location"],
            duration_kind="agent_pool_delete",
            busy=cluster,
            apply=apply,
            fail=lambda: pool["properties"].update(provisioningState="Succeeded"),
            delete=True,
            default_error=QUOTA_ERROR,
        )
        return Response(status_code=202, headers=headers)


class ManagedClusterKind(ResourceKind):
    namespace = NAMESPACE
    type_name = "managedClusters"

    def render(self, emu: AzureEmulator, resource: JSON) -> JSON:
        out = {**resource, "properties": dict(resource["properties"])}
        out["type"] = "Microsoft.ContainerService/ManagedClusters"
        out["properties"]["agentPoolProfiles"] = [
            {"name": pool["name"], **pool["properties"]} for pool in _pools(emu, resource)
        ]
        return out

    def _check_pools(
        self, call: Call, cluster_id: str, profiles: list[JSON], control_plane: str
    ) -> list[tuple[str, JSON]]:
        names = [str(p.get("name", "")) for p in profiles]
        if len(set(names)) != len(names):
            raise bad_request("InvalidParameter", "Agent pool names must be unique.")
        sub = call.sub
        validated = []
        has_system = any(p.get("mode") == "System" for p in profiles)
        for profile in profiles:
            name = str(profile.get("name", ""))
            existing = sub.resources.get(f"{cluster_id}/agentPools/{name}".lower())
            default_mode = "User" if has_system or existing else "System"
            validated.append(
                (
                    name,
                    POOL.validate(
                        call,
                        name,
                        profile,
                        existing=existing,
                        default_mode=default_mode,
                        control_plane=control_plane,
                    ),
                )
            )
        return validated

    async def put(self, call: Call, ref: Ref) -> Response:
        ensure_group_writable(ref.group)
        if not CLUSTER_NAME_RE.match(ref.name):
            raise bad_request(
                "InvalidParameter",
                f"The value of parameter resourceName is invalid: '{ref.name}'. Please see "
                "https://aka.ms/aks-naming-rules for more details.",
                target="resourceName",
            )
        existing = ref.existing
        check_preconditions(call, existing)
        if existing is not None:
            return await self._update(call, ref, existing)
        body = call.body
        location = require_location(call, body)
        props = dict(body.get("properties") or {})
        dns_prefix = props.get("dnsPrefix")
        if not dns_prefix and not props.get("fqdnSubdomain"):
            raise bad_request(
                "InvalidParameter",
                "The value of parameter properties.dnsPrefix is invalid: ''. Either dnsPrefix "
                "or fqdnSubdomain must be specified.",
                target="dnsPrefix",
            )
        if dns_prefix and not DNS_PREFIX_RE.match(str(dns_prefix)):
            raise bad_request(
                "InvalidParameter",
                f"The value of parameter properties.dnsPrefix is invalid: '{dns_prefix}'. Please "
                "see https://aka.ms/aks-naming-rules for more details.",
                target="dnsPrefix",
            )
        identity = body.get("identity")
        if not identity and not (props.get("servicePrincipalProfile") or {}).get("clientId"):
            raise bad_request(
                "InvalidParameter",
                "The value of parameter servicePrincipalProfile.clientId is invalid. Either a "
                "managed identity or a service principal must be specified.",
                target="servicePrincipalProfile.clientId",
            )
        profiles = list(props.pop("agentPoolProfiles", None) or [])
        if not profiles:
            raise bad_request(
                "InvalidParameter",
                "The value of parameter agentPoolProfiles is invalid: at least one agent pool is "
                "required.",
                target="agentPoolProfiles",
            )
        version = _resolve_version(props.get("kubernetesVersion"))
        pools = self._check_pools(call, ref.id, profiles, version)
        if not any(p["mode"] == "System" for _, p in pools):
            raise bad_request(
                "InvalidParameter",
                "The managed cluster must have at least one agent pool with mode 'System'.",
                target="agentPoolProfiles",
            )
        suffix = secrets.token_hex(4)
        host = f"{dns_prefix or props.get('fqdnSubdomain')}-{suffix}.hcp.{location}.azmk8s.io"
        if identity and identity.get("type") == "SystemAssigned":
            identity = {**identity, "principalId": guid(), "tenantId": call.sub.tenant_id}
        network = {
            "networkPlugin": "azure",
            "networkPluginMode": "overlay",
            "podCidr": "10.244.0.0/16",
            "serviceCidr": "10.0.0.0/16",
            "dnsServiceIP": "10.0.0.10",
            "outboundType": "loadBalancer",
            "loadBalancerSku": "standard",
            "ipFamilies": ["IPv4"],
            **(props.pop("networkProfile", None) or {}),
        }
        cluster = self.new_resource(
            ref,
            location=location,
            tags=validate_tags(body),
            sku=body.get("sku") or {"name": "Base", "tier": "Free"},
            properties={
                "enableRBAC": True,
                "supportPlan": "KubernetesOfficial",
                "disableLocalAccounts": False,
                "oidcIssuerProfile": {"enabled": False},
                "autoUpgradeProfile": {"nodeOSUpgradeChannel": "NodeImage"},
                **props,
                "provisioningState": "Creating",
                "powerState": {"code": "Running"},
                "kubernetesVersion": props.get("kubernetesVersion") or version,
                "currentKubernetesVersion": version,
                "fqdn": host,
                "azurePortalFQDN": host.replace(".hcp.", ".portal.hcp."),
                "nodeResourceGroup": props.get("nodeResourceGroup")
                or f"MC_{ref.group['name']}_{ref.name}_{location}",
                "maxAgentPools": 100,
                "networkProfile": network,
                "servicePrincipalProfile": props.get("servicePrincipalProfile")
                or {"clientId": "msi"},
                "resourceUID": secrets.token_hex(12),
            },
        )
        if identity:
            cluster["identity"] = identity
        sub = call.sub
        sub.resources[ref.key] = cluster
        stored = [
            POOL.store(call, Ref(sub, ref.group, POOL, name, cluster), pool_props, "Creating")
            for name, pool_props in pools
        ]

        def apply() -> None:
            cluster["properties"]["provisioningState"] = "Succeeded"
            for pool in stored:
                _settle_pool(pool)

        def fail() -> None:
            cluster["properties"]["provisioningState"] = "Failed"
            for pool in stored:
                pool["properties"]["provisioningState"] = "Failed"

        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=location,
            duration_kind="managed_cluster_create",
            busy=cluster,
            apply=apply,
            fail=fail,
            default_error=QUOTA_ERROR,
        )
        return json_response(self.render(call.emu, cluster), 201, headers)

    async def _update(self, call: Call, ref: Ref, cluster: JSON) -> Response:
        body = call.body
        location = require_location(call, body)
        check_location_unchanged(cluster, location, ref)
        _ensure_idle(cluster)
        props = dict(body.get("properties") or {})
        current = cluster["properties"]
        for field in ("dnsPrefix", "fqdnSubdomain", "nodeResourceGroup"):
            if props.get(field) and props[field] != current.get(field):
                raise bad_request(
                    "PropertyChangeNotAllowed",
                    f"Changing property '{field}' is not allowed.",
                    target=field,
                )
        running = current["currentKubernetesVersion"]
        version = running
        if props.get("kubernetesVersion"):
            version = _resolve_version(props["kubernetesVersion"])
            if _minor(version) < _minor(running):
                raise bad_request(
                    "NotAllowedDowngrade",
                    f"Downgrading from {running} to {version} is not allowed.",
                )
            if not _next_minor(running, version):
                raise bad_request(
                    "OperationNotAllowed",
                    f"Upgrading Kubernetes version {running} to {version} is not allowed. "
                    f"Available upgrades: [{' '.join(_upgrades(running))}]. Please see "
                    "https://aka.ms/aks-supported-k8s-ver for version details.",
                )
        pools = self._check_pools(
            call, ref.id, list(props.pop("agentPoolProfiles", None) or []), version
        )
        sub = call.sub
        changed: list[tuple[JSON, JSON | None]] = []
        for name, pool_props in pools:
            pool_ref = Ref(sub, ref.group, POOL, name, cluster)
            previous = pool_ref.existing
            if (
                previous is not None
                and {k: v for k, v in previous["properties"].items() if k != "provisioningState"}
                == pool_props
            ):
                continue
            before = dict(previous["properties"]) if previous else None
            upgrading = (
                pool_props["orchestratorVersion"] != pool_props["currentOrchestratorVersion"]
            )
            state = "Creating" if not previous else "Upgrading" if upgrading else "Updating"
            changed.append((POOL.store(call, pool_ref, pool_props, state), before))
        for server_field in ("provisioningState", "fqdn", "azurePortalFQDN", "maxAgentPools"):
            props.pop(server_field, None)
        before_cluster = {k: v for k, v in cluster.items() if k != "_busy"}
        cluster["tags"] = validate_tags(body)
        cluster["properties"] = {
            **current,
            **props,
            "provisioningState": "Upgrading" if version != running else "Updating",
            "kubernetesVersion": props.get("kubernetesVersion") or current["kubernetesVersion"],
            # The control plane moves to `version` when the operation finishes.
            "currentKubernetesVersion": running,
        }

        def apply() -> None:
            cluster["properties"].update(
                provisioningState="Succeeded", currentKubernetesVersion=version
            )
            for pool, _ in changed:
                _settle_pool(pool)

        def fail() -> None:
            cluster.update(before_cluster)
            cluster["properties"] = {**cluster["properties"], "provisioningState": "Failed"}
            for pool, before in changed:
                if before is None:
                    pool["properties"]["provisioningState"] = "Failed"
                else:
                    pool["properties"] = {**before, "provisioningState": "Failed"}

        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=location,
            duration_kind="managed_cluster_update",
            busy=cluster,
            apply=apply,
            fail=fail,
            default_error=QUOTA_ERROR,
        )
        return json_response(self.render(call.emu, cluster), 200, headers)

    async def patch(self, call: Call, ref: Ref) -> Response:
        cluster = ref.existing
        if cluster is None:
            raise self.not_found(ref)
        _ensure_idle(cluster)
        cluster["tags"] = validate_tags(call.body)
        cluster["properties"]["provisioningState"] = "Updating"
        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=cluster["location"],
            duration_kind="managed_cluster_update",
            busy=cluster,
            apply=lambda: cluster["properties"].update(provisioningState="Succeeded"),
            fail=lambda: cluster["properties"].update(provisioningState="Failed"),
            default_error=QUOTA_ERROR,
        )
        return json_response(self.render(call.emu, cluster), 200, headers)

    async def delete(self, call: Call, ref: Ref) -> Response:
        cluster = ref.existing
        if cluster is None:
            return Response(status_code=204)
        emu = call.emu
        sub = call.sub
        if cluster["properties"]["provisioningState"] == "Deleting":
            raise _busy(cluster, "delete managed cluster")
        cancel_operation(emu, cluster)
        pools = _pools(emu, cluster)
        previous = cluster["properties"]["provisioningState"]
        for resource in [cluster, *pools]:
            resource["properties"]["provisioningState"] = "Deleting"

        def apply() -> None:
            for resource in [cluster, *_pools(emu, cluster)]:
                sub.resources.pop(resource["id"].lower(), None)

        def fail() -> None:
            for resource in [cluster, *pools]:
                resource["properties"]["provisioningState"] = previous

        headers = start_operation(
            call,
            namespace=NAMESPACE,
            location=cluster["location"],
            duration_kind="managed_cluster_delete",
            busy=cluster,
            apply=apply,
            fail=fail,
            delete=True,
            default_error=QUOTA_ERROR,
        )
        return Response(status_code=202, headers=headers)

    async def action(self, call: Call, ref: Ref, action: str) -> Response:
        cluster = ref.existing
        if cluster is None:
            raise self.not_found(ref)
        kinds = {
            "listclusteradmincredential": "clusterAdmin",
            "listclusterusercredential": "clusterUser",
        }
        if action.lower() not in kinds:
            raise ArmError(404, "NotFound", f"Action {action} is not supported.")
        name = kinds[action.lower()]
        host = cluster["properties"]["fqdn"]
        kubeconfig = (
            "apiVersion: v1\nkind: Config\nclusters:\n"
            f"- cluster:\n    server: https://{host}:443\n  name: {ref.name}\n"
            f"contexts:\n- context:\n    cluster: {ref.name}\n    user: {name}_{ref.name}\n"
            f"  name: {ref.name}\ncurrent-context: {ref.name}\n"
            f"users:\n- name: {name}_{ref.name}\n  user:\n    token: {secrets.token_hex(32)}\n"
        )
        return json_response(
            {
                "kubeconfigs": [
                    {"name": name, "value": base64.b64encode(kubeconfig.encode()).decode()}
                ]
            }
        )


MANAGED_CLUSTER = ManagedClusterKind()
POOL = AgentPoolKind()
POOL.parent = MANAGED_CLUSTER

KINDS: list[ResourceKind] = [MANAGED_CLUSTER, POOL]
