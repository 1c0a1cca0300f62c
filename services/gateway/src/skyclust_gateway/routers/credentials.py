from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..envelope import ok
from ..paging import StatusList, paged
from .deps import CredentialManager, Reader, Svc
from .models import CredentialBody, RotateBody

router = APIRouter(prefix="/api/v1/credentials", tags=["credentials"])
VAULT = "credential-vault"


@router.post("", status_code=201)
async def create_credential(
    body: CredentialBody,
    principal: CredentialManager,
    svc: Svc,
) -> JSONResponse:
    """Store a cloud credential (AWS keys, a GCP service-account key or an Azure service
    principal), encrypted; it is validated against the cloud first and answered masked."""
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
async def list_credentials(principal: Reader, svc: Svc, query: StatusList) -> JSONResponse:
    """The workspace's cloud credentials, masked, with status, last use and last validation."""
    result = await svc.call(VAULT, "ListCredentials", {"workspace_id": principal.workspace_id})
    return paged(result["items"], query)


@router.get("/{credential_id}")
async def get_credential(
    credential_id: uuid.UUID,
    principal: Reader,
    svc: Svc,
) -> JSONResponse:
    """One credential, masked, with status, last use and last validation."""
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
    principal: CredentialManager,
    svc: Svc,
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
    principal: CredentialManager,
    svc: Svc,
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
    principal: CredentialManager,
    svc: Svc,
) -> JSONResponse:
    """Delete a credential. One that clusters or networks still use is refused with `409
    CREDENTIAL_IN_USE`, naming them."""
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
