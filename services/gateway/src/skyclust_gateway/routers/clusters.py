from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from skyclust_common.errors import NotFound, ValidationFailed

from ..auth import Principal
from ..envelope import ok
from ..permissions import Permission, require
from .deps import Services, services
from .models import ClusterBody, Provider, Strict


class Taint(Strict):
    key: str = Field(min_length=1, max_length=63)
    value: str = Field(default="", max_length=63)
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class NodeGroupBody(Strict):
    """An EKS managed node group, GKE node pool or AKS agent pool. AKS pool names are
    a lowercase letter then letters and digits, 12 at most; GKE sizes are per zone."""

    name: str = Field(pattern=r"^[a-zA-Z][a-zA-Z0-9_-]{0,62}$")
    instance_type: str | None = Field(default=None, min_length=1, max_length=64)
    min_size: int = Field(ge=0, le=1000)
    max_size: int = Field(ge=0, le=1000)
    desired_size: int = Field(ge=0, le=1000)
    labels: dict[str, str] | None = Field(default=None, max_length=50)
    taints: list[Taint] | None = Field(default=None, max_length=50)


class NodeGroupUpdateBody(Strict):
    """Fields left out keep their value; `labels` and `taints` replace the current ones."""

    min_size: int | None = Field(default=None, ge=0, le=1000)
    max_size: int | None = Field(default=None, ge=0, le=1000)
    desired_size: int | None = Field(default=None, ge=0, le=1000)
    labels: dict[str, str] | None = Field(default=None, max_length=50)
    taints: list[Taint] | None = Field(default=None, max_length=50)


router = APIRouter(prefix="/api/v1/{provider}/kubernetes/clusters", tags=["clusters"])
PROVISIONING = "provisioning"


async def _get(
    svc: Services, principal: Principal, provider: Provider, cluster_id: uuid.UUID
) -> dict[str, Any]:
    cluster: dict[str, Any] = await svc.call(
        PROVISIONING,
        "GetCluster",
        {"workspace_id": principal.workspace_id, "cluster_id": str(cluster_id)},
    )
    if cluster["provider"] != provider.value:
        raise NotFound("cluster not found", code="CLUSTER_NOT_FOUND")
    return cluster


@router.post("", status_code=202)
async def create_cluster(
    provider: Provider,
    body: ClusterBody,
    principal: Principal = Depends(require(Permission.CLUSTERS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    request = body.model_dump(mode="json", exclude_none=True)
    foreign = {f"{p.value}_config" for p in Provider} - {f"{provider.value}_config"}
    given = sorted(foreign & set(request))
    if given:
        raise ValidationFailed(
            f"{', '.join(given)} does not apply to {provider.value} clusters",
            code="VALIDATION_ERROR",
            details={"errors": [{"field": f, "problem": "not_allowed"} for f in given]},
        )
    result = await svc.call(
        PROVISIONING,
        "CreateCluster",
        {
            **request,
            "workspace_id": principal.workspace_id,
            "actor_id": principal.user_id,
            "provider": provider.value,
        },
    )
    return ok(result, 202, "cluster requested; follow its progress on /api/v1/events/stream")


@router.get("")
async def list_clusters(
    provider: Provider,
    principal: Principal = Depends(require(Permission.READ)),
    svc: Services = Depends(services),
) -> JSONResponse:
    result = await svc.call(
        PROVISIONING,
        "ListClusters",
        {"workspace_id": principal.workspace_id, "provider": provider.value},
    )
    return ok(result["items"])


@router.get("/{cluster_id}")
async def get_cluster(
    provider: Provider,
    cluster_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.READ)),
    svc: Services = Depends(services),
) -> JSONResponse:
    return ok(await _get(svc, principal, provider, cluster_id))


@router.delete("/{cluster_id}", status_code=202)
async def delete_cluster(
    provider: Provider,
    cluster_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.CLUSTERS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await _get(svc, principal, provider, cluster_id)
    result = await svc.call(
        PROVISIONING,
        "DeleteCluster",
        {
            "workspace_id": principal.workspace_id,
            "actor_id": principal.user_id,
            "cluster_id": str(cluster_id),
        },
    )
    return ok(result, 202, "cluster deletion requested")


@router.get(
    "/{cluster_id}/kubeconfig",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {}}, "description": "The kubeconfig"}},
)
async def get_kubeconfig(
    provider: Provider,
    cluster_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.KUBECONFIG)),
    svc: Services = Depends(services),
) -> Response:
    """The kubeconfig as text (JSON, which is YAML too), with a short-lived credential;
    `X-Credential-Expires-At` says until when. Every download is recorded
    (`KubeconfigIssued`)."""
    cluster = await _get(svc, principal, provider, cluster_id)
    result = await svc.call(
        PROVISIONING,
        "GetKubeconfig",
        {
            "workspace_id": principal.workspace_id,
            "cluster_id": str(cluster_id),
            "actor_id": principal.user_id,
        },
    )
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{cluster["name"]}-kubeconfig.yaml"',
    }
    if result.get("expires_at"):
        headers["X-Credential-Expires-At"] = result["expires_at"]
    return Response(result["kubeconfig"], media_type="application/yaml", headers=headers)


# node groups ---------------------------------------------------------------------


def _node_group_key(
    principal: Principal, cluster_id: uuid.UUID, node_group_id: uuid.UUID | None = None
) -> dict[str, str]:
    key = {"workspace_id": principal.workspace_id, "cluster_id": str(cluster_id)}
    if node_group_id is not None:
        key["node_group_id"] = str(node_group_id)
    return key


@router.post("/{cluster_id}/node-groups", status_code=202)
async def create_node_group(
    provider: Provider,
    cluster_id: uuid.UUID,
    body: NodeGroupBody,
    principal: Principal = Depends(require(Permission.CLUSTERS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await _get(svc, principal, provider, cluster_id)
    result = await svc.call(
        PROVISIONING,
        "CreateNodeGroup",
        {
            **body.model_dump(mode="json", exclude_none=True),
            **_node_group_key(principal, cluster_id),
            "actor_id": principal.user_id,
        },
    )
    return ok(result, 202, "node group requested; follow its progress on /api/v1/events/stream")


@router.get("/{cluster_id}/node-groups")
async def list_node_groups(
    provider: Provider,
    cluster_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.READ)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await _get(svc, principal, provider, cluster_id)
    result = await svc.call(PROVISIONING, "ListNodeGroups", _node_group_key(principal, cluster_id))
    return ok(result["items"])


@router.get("/{cluster_id}/node-groups/{node_group_id}")
async def get_node_group(
    provider: Provider,
    cluster_id: uuid.UUID,
    node_group_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.READ)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await _get(svc, principal, provider, cluster_id)
    return ok(
        await svc.call(
            PROVISIONING, "GetNodeGroup", _node_group_key(principal, cluster_id, node_group_id)
        )
    )


@router.patch("/{cluster_id}/node-groups/{node_group_id}", status_code=202)
async def update_node_group(
    provider: Provider,
    cluster_id: uuid.UUID,
    node_group_id: uuid.UUID,
    body: NodeGroupUpdateBody,
    principal: Principal = Depends(require(Permission.CLUSTERS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await _get(svc, principal, provider, cluster_id)
    result = await svc.call(
        PROVISIONING,
        "UpdateNodeGroup",
        {
            **body.model_dump(mode="json", exclude_none=True),
            **_node_group_key(principal, cluster_id, node_group_id),
            "actor_id": principal.user_id,
        },
    )
    return ok(result, 202, "node group change requested")


@router.delete("/{cluster_id}/node-groups/{node_group_id}", status_code=202)
async def delete_node_group(
    provider: Provider,
    cluster_id: uuid.UUID,
    node_group_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.CLUSTERS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await _get(svc, principal, provider, cluster_id)
    result = await svc.call(
        PROVISIONING,
        "DeleteNodeGroup",
        {**_node_group_key(principal, cluster_id, node_group_id), "actor_id": principal.user_id},
    )
    return ok(result, 202, "node group deletion requested")
