from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from skyclust_common.errors import NotFound, ValidationFailed

from ..auth import Principal
from ..envelope import ok
from ..permissions import Permission, require
from .deps import Services, services
from .models import ClusterBody, Provider

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
