"""Clusters per provider: create, upgrade, reconcile drift, import and promote existing
ones, node groups and kubeconfigs. Changes answer 202 with the cluster in its new state;
progress is on the event stream.

Every request names the path's provider: provisioning answers `CLUSTER_NOT_FOUND` for a
cluster of another workspace, of another provider, or none at all."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from skyclust_common.errors import ValidationFailed

from ..auth import Principal
from ..envelope import ok
from ..paging import ResourceList, StatusList, paged
from ..permissions import Role
from .deps import ClusterWriter, KubeconfigReader, Reader, Svc
from .models import (
    ClusterBody,
    ImportBody,
    NewNodeGroupBody,
    NodeGroupBody,
    NodeGroupUpdateBody,
    Provider,
    UpgradeBody,
)

router = APIRouter(prefix="/api/v1/{provider}/kubernetes/clusters", tags=["clusters"])
# The workspace's clusters in every cloud: its paths cannot match the provider router's.
all_clouds_router = APIRouter(prefix="/api/v1/kubernetes/clusters", tags=["clusters"])
PROVISIONING = "provisioning"
STREAM_HINT = "follow its progress on /api/v1/events/stream"
REGION = r"^[a-z][a-z0-9-]{1,63}$"


def _refused(fields: list[str], problem: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        message, details={"errors": [{"field": f, "problem": problem} for f in fields]}
    )


def _key(
    principal: Principal,
    provider: Provider,
    cluster_id: uuid.UUID,
    node_group_id: uuid.UUID | None = None,
) -> dict[str, str]:
    key = {
        "workspace_id": principal.workspace_id,
        "provider": provider.value,
        "cluster_id": str(cluster_id),
    }
    if node_group_id is not None:
        key["node_group_id"] = str(node_group_id)
    return key


def _change(
    principal: Principal,
    provider: Provider,
    cluster_id: uuid.UUID,
    node_group_id: uuid.UUID | None = None,
) -> dict[str, str]:
    return {
        **_key(principal, provider, cluster_id, node_group_id),
        "actor_id": principal.user_id,
    }


def _guarded(principal: Principal) -> dict[str, bool]:
    """For a change the budget guardrail checks: whether the caller may override it."""
    return {"actor_is_admin": principal.role == Role.ADMIN}


@router.post("", status_code=202)
async def create_cluster(
    provider: Provider, body: ClusterBody, principal: ClusterWriter, svc: Svc
) -> JSONResponse:
    """Ask for a cluster (and its node groups, and a network unless one is given): 202 with
    the cluster `PENDING`; progress is on the event stream, ending in `ClusterReady` or
    `ClusterFailed`. The budget guardrail checks the estimate first: past an `enforce`
    budget it is `409 BUDGET_EXCEEDED` unless an admin overrides; `warn` budgets'
    warnings are in the answer."""
    request = body.model_dump(mode="json", exclude_none=True)
    foreign = {f"{p.value}_config" for p in Provider} - {f"{provider.value}_config"}
    given = sorted(foreign & set(request))
    if given:
        raise _refused(
            given, "not_allowed", f"{', '.join(given)} does not apply to {provider.value} clusters"
        )
    named = body.network_named_by_config()
    if body.network is not None and named:
        raise _refused(
            ["network", *named],
            "conflict",
            f"give either network or {', '.join(named)}, not both",
        )
    result = await svc.call(
        PROVISIONING,
        "CreateCluster",
        {
            **request,
            "workspace_id": principal.workspace_id,
            "actor_id": principal.user_id,
            "provider": provider.value,
            **_guarded(principal),
        },
    )
    return ok(result, 202, f"cluster requested; {STREAM_HINT}")


@router.get("")
async def list_clusters(
    provider: Provider, principal: Reader, svc: Svc, query: ResourceList
) -> JSONResponse:
    """The workspace's clusters in this cloud, oldest first, with status, step, progress,
    conditions and drift; paged and filtered."""
    result = await svc.call(
        PROVISIONING,
        "ListClusters",
        {"workspace_id": principal.workspace_id, "provider": provider.value},
    )
    return paged(result["items"], query)


@all_clouds_router.get("")
async def list_all_clusters(
    principal: Reader,
    svc: Svc,
    query: ResourceList,
    provider: Annotated[Provider | None, Query(description="only this cloud's")] = None,
) -> JSONResponse:
    """The workspace's clusters in every cloud (or one), oldest first; each names its
    `provider`, whose path (`/api/v1/{provider}/kubernetes/clusters/{id}`) has the rest."""
    request = {"workspace_id": principal.workspace_id}
    if provider is not None:
        request["provider"] = provider.value
    result = await svc.call(PROVISIONING, "ListClusters", request)
    return paged(result["items"], query)


# Declared before the `/{cluster_id}` routes, which would otherwise take "discover" for an id.
@router.get("/discover")
async def discover_clusters(
    provider: Provider,
    credential_id: Annotated[uuid.UUID, Query(description="the credential to look with")],
    region: Annotated[str, Query(pattern=REGION, description="the cloud's region name")],
    principal: Reader,
    svc: Svc,
) -> JSONResponse:
    """The clusters the credential can see in the region now; `tracked_by` names the
    SkyClust cluster already tracking one."""
    result = await svc.call(
        PROVISIONING,
        "DiscoverClusters",
        {
            "workspace_id": principal.workspace_id,
            "provider": provider.value,
            "credential_id": str(credential_id),
            "region": region,
        },
    )
    items = result["items"]
    return ok(items, message=f"{len(items)} cluster(s) in {region}")


@router.post("/import", status_code=201)
async def import_cluster(
    provider: Provider, body: ImportBody, principal: ClusterWriter, svc: Svc
) -> JSONResponse:
    """Adopt an existing cloud cluster read-only: shown and watched for drift, changed
    only once promoted."""
    if body.resource_group is not None and provider is not Provider.azure:
        raise _refused(
            ["resource_group"],
            "not_allowed",
            f"resource_group does not apply to {provider.value} clusters",
        )
    result = await svc.call(
        PROVISIONING,
        "ImportCluster",
        {
            **body.model_dump(mode="json", exclude_none=True),
            "workspace_id": principal.workspace_id,
            "actor_id": principal.user_id,
            "provider": provider.value,
        },
    )
    return ok(result, 201, "cluster imported read-only; promote it to let SkyClust change it")


@router.get("/{cluster_id}")
async def get_cluster(
    provider: Provider,
    cluster_id: uuid.UUID,
    principal: Reader,
    svc: Svc,
    include_deleted: Annotated[
        bool, Query(description="a deleted cluster too, in its last state (DELETED)")
    ] = False,
) -> JSONResponse:
    """The cluster; a deleted one is `404 CLUSTER_NOT_FOUND` unless `include_deleted`."""
    request: dict[str, Any] = _key(principal, provider, cluster_id)
    if include_deleted:
        request["include_deleted"] = True
    return ok(await svc.call(PROVISIONING, "GetCluster", request))


@router.patch("/{cluster_id}", status_code=202)
async def upgrade_cluster(
    provider: Provider,
    cluster_id: uuid.UUID,
    body: UpgradeBody,
    principal: ClusterWriter,
    svc: Svc,
) -> JSONResponse:
    """Move to a Kubernetes version the cloud offers: the control plane, then the node
    groups."""
    result = await svc.call(
        PROVISIONING,
        "UpgradeCluster",
        {**_change(principal, provider, cluster_id), "version": body.version},
    )
    return ok(result, 202, f"upgrade to {body.version} requested; {STREAM_HINT}")


@router.delete("/{cluster_id}", status_code=202)
async def delete_cluster(
    provider: Provider, cluster_id: uuid.UUID, principal: ClusterWriter, svc: Svc
) -> JSONResponse:
    """Delete a managed cluster: its node groups, the control plane, then the network made
    for it. 202 with the cluster `DELETING`; `ClusterDeleted` on the stream."""
    change = _change(principal, provider, cluster_id)
    result = await svc.call(PROVISIONING, "DeleteCluster", change)
    return ok(result, 202, "cluster deletion requested")


@router.post("/{cluster_id}/reconcile", status_code=202)
async def reconcile_cluster(
    provider: Provider, cluster_id: uuid.UUID, principal: ClusterWriter, svc: Svc
) -> JSONResponse:
    """Put the fields that drifted back to their desired values; `actions` says what
    is done to each."""
    change = _change(principal, provider, cluster_id)
    result = await svc.call(PROVISIONING, "ReconcileCluster", change)
    drifted = len(result["actions"])
    message = f"reconciling {drifted} drifted field(s)" if drifted else "nothing has drifted"
    return ok(result, 202, message)


@router.post("/{cluster_id}/promote")
async def promote_cluster(
    provider: Provider, cluster_id: uuid.UUID, principal: ClusterWriter, svc: Svc
) -> JSONResponse:
    """Make an imported cluster managed: SkyClust tags it and from then on may change it."""
    change = _change(principal, provider, cluster_id)
    result = await svc.call(PROVISIONING, "PromoteCluster", change)
    return ok(result, message="cluster promoted; SkyClust now manages it")


@router.post("/{cluster_id}/forget")
async def forget_cluster(
    provider: Provider, cluster_id: uuid.UUID, principal: ClusterWriter, svc: Svc
) -> JSONResponse:
    """Stop tracking a cluster adopted read-only; the cloud cluster is not touched. A
    managed cluster is refused (409 `CLUSTER_MANAGED`): DELETE removes it."""
    change = _change(principal, provider, cluster_id)
    result = await svc.call(PROVISIONING, "ForgetCluster", change)
    return ok(result, message="SkyClust no longer tracks this cluster; the cloud was not changed")


@router.get(
    "/{cluster_id}/kubeconfig",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {}}, "description": "The kubeconfig"}},
)
async def get_kubeconfig(
    provider: Provider,
    cluster_id: uuid.UUID,
    principal: KubeconfigReader,
    svc: Svc,
    mode: Annotated[
        Literal["exec", "static"],
        Query(description="exec: kubectl runs `skyclust kubeconfig token`; static: the token"),
    ] = "exec",
) -> Response:
    """The kubeconfig as text (JSON, which is YAML too). By default its user entry runs
    the SkyClust CLI for a fresh token whenever kubectl needs one; `mode=static` embeds a
    short-lived credential instead, `X-Credential-Expires-At` says until when. Every
    issue is in `/audit-logs`."""
    change = {**_change(principal, provider, cluster_id), "mode": mode}
    change["actor_type"] = _actor_type(principal)
    result = await svc.call(PROVISIONING, "GetKubeconfig", change)
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{result["name"]}-kubeconfig.yaml"',
    }
    if result.get("expires_at"):
        headers["X-Credential-Expires-At"] = result["expires_at"]
    return Response(result["kubeconfig"], media_type="application/yaml", headers=headers)


@router.get("/{cluster_id}/kubeconfig/token")
async def get_cluster_token(
    provider: Provider, cluster_id: uuid.UUID, principal: KubeconfigReader, svc: Svc
) -> JSONResponse:
    """A fresh short-lived credential for the cluster, as the `status` of a
    client.authentication.k8s.io/v1 ExecCredential (what the exec plugin hands kubectl),
    with `expires_at`. Every issue is in `/audit-logs`."""
    change = {**_change(principal, provider, cluster_id), "actor_type": _actor_type(principal)}
    result = await svc.call(PROVISIONING, "GetClusterToken", change)
    response = ok(result)
    response.headers["Cache-Control"] = "no-store"
    return response


def _actor_type(principal: Principal) -> str:
    return "api_key" if principal.actor_type == "api_key" else "user"


# node groups ---------------------------------------------------------------------


def _body(model: NodeGroupBody | NodeGroupUpdateBody) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


@router.post("/{cluster_id}/node-groups", status_code=202)
async def create_node_group(
    provider: Provider,
    cluster_id: uuid.UUID,
    body: NewNodeGroupBody,
    principal: ClusterWriter,
    svc: Svc,
) -> JSONResponse:
    """Add a node group to a ready cluster: 202, then `NodeGroupReady`. Checked against the
    budgets first, as a cluster is."""
    change = {**_body(body), **_change(principal, provider, cluster_id), **_guarded(principal)}
    result = await svc.call(PROVISIONING, "CreateNodeGroup", change)
    return ok(result, 202, f"node group requested; {STREAM_HINT}")


@router.get("/{cluster_id}/node-groups")
async def list_node_groups(
    provider: Provider, cluster_id: uuid.UUID, principal: Reader, svc: Svc, query: StatusList
) -> JSONResponse:
    """The cluster's node groups with sizes, instance type, labels, taints and status."""
    result = await svc.call(PROVISIONING, "ListNodeGroups", _key(principal, provider, cluster_id))
    return paged(result["items"], query)


@router.get("/{cluster_id}/node-groups/{node_group_id}")
async def get_node_group(
    provider: Provider,
    cluster_id: uuid.UUID,
    node_group_id: uuid.UUID,
    principal: Reader,
    svc: Svc,
) -> JSONResponse:
    # The cluster first: one of another workspace or provider is CLUSTER_NOT_FOUND,
    # which GetNodeGroup alone would answer NODE_GROUP_NOT_FOUND. A read: no race.
    """One node group of the cluster."""
    cluster = _key(principal, provider, cluster_id)
    await svc.call(PROVISIONING, "GetCluster", cluster)
    key = {k: v for k, v in cluster.items() if k != "provider"}
    return ok(
        await svc.call(PROVISIONING, "GetNodeGroup", {**key, "node_group_id": str(node_group_id)})
    )


@router.patch("/{cluster_id}/node-groups/{node_group_id}", status_code=202)
async def update_node_group(
    provider: Provider,
    cluster_id: uuid.UUID,
    node_group_id: uuid.UUID,
    body: NodeGroupUpdateBody,
    principal: ClusterWriter,
    svc: Svc,
) -> JSONResponse:
    """Scale a node group or change its labels and taints: 202, then `NodeGroupScaled`. A
    larger desired size is checked against the budgets first."""
    change = {
        **_body(body),
        **_change(principal, provider, cluster_id, node_group_id),
        **_guarded(principal),
    }
    result = await svc.call(PROVISIONING, "UpdateNodeGroup", change)
    return ok(result, 202, "node group change requested")


@router.delete("/{cluster_id}/node-groups/{node_group_id}", status_code=202)
async def delete_node_group(
    provider: Provider,
    cluster_id: uuid.UUID,
    node_group_id: uuid.UUID,
    principal: ClusterWriter,
    svc: Svc,
) -> JSONResponse:
    """Delete a node group: 202, then `NodeGroupDeleted`."""
    change = _change(principal, provider, cluster_id, node_group_id)
    result = await svc.call(PROVISIONING, "DeleteNodeGroup", change)
    return ok(result, 202, "node group deletion requested")
