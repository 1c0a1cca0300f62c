from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from ..auth import Principal
from ..envelope import ok
from ..permissions import Permission, require
from .deps import Services, services
from .models import CredentialBody

router = APIRouter(prefix="/api/v1/credentials", tags=["credentials"])
VAULT = "credential-vault"


class RotateBody(BaseModel):
    """The new secret, in the credential's own provider schema (all of it: a rotation
    replaces the secret, it does not patch it)."""

    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any]


@router.post("", status_code=201)
async def create_credential(
    body: CredentialBody,
    principal: Principal = Depends(require(Permission.CREDENTIALS_MANAGE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    result = await svc.call(
        VAULT,
        "CreateCredential",
        {
            "workspace_id": principal.workspace_id,
            "actor_id": principal.user_id,
            "provider": body.provider.value,
            "name": body.name,
            "data": body.data,
        },
    )
    return ok(result, 201)


@router.get("")
async def list_credentials(
    principal: Principal = Depends(require(Permission.READ)), svc: Services = Depends(services)
) -> JSONResponse:
    result = await svc.call(VAULT, "ListCredentials", {"workspace_id": principal.workspace_id})
    return ok(result["items"])


@router.get("/{credential_id}")
async def get_credential(
    credential_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.READ)),
    svc: Services = Depends(services),
) -> JSONResponse:
    result = await svc.call(
        VAULT,
        "GetCredential",
        {"workspace_id": principal.workspace_id, "credential_id": str(credential_id)},
    )
    return ok(result)


@router.put("/{credential_id}")
async def rotate_credential(
    credential_id: uuid.UUID,
    body: RotateBody,
    principal: Principal = Depends(require(Permission.CREDENTIALS_MANAGE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    """Replace the cloud secret. The new one is checked with the cloud first and must
    reach the same account; clusters and networks using the credential keep working."""
    result = await svc.call(
        VAULT,
        "RotateCredential",
        {
            "workspace_id": principal.workspace_id,
            "actor_id": principal.user_id,
            "credential_id": str(credential_id),
            "data": body.data,
        },
    )
    return ok(result)


@router.post("/{credential_id}/validate")
async def validate_credential(
    credential_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.CREDENTIALS_MANAGE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    """Check the stored secret with its cloud now; the verdict is stored and returned."""
    result = await svc.call(
        VAULT,
        "ValidateCredential",
        {
            "workspace_id": principal.workspace_id,
            "actor_id": principal.user_id,
            "credential_id": str(credential_id),
        },
    )
    return ok(result)


@router.delete("/{credential_id}")
async def delete_credential(
    credential_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.CREDENTIALS_MANAGE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await svc.call(
        VAULT,
        "DeleteCredential",
        {
            "workspace_id": principal.workspace_id,
            "actor_id": principal.user_id,
            "credential_id": str(credential_id),
        },
    )
    return ok({"id": str(credential_id), "deleted": True})
